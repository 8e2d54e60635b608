// Runs one shell command (`sh -c`) in the workspace, its output going to the worker's log.
// Stopping (the signal) sends SIGINT, then SIGKILL if the command has not ended 10 s later.
import { spawn } from "node:child_process";
import type { PhaseContext, PhaseResult } from "./driver.ts";

export const KILL_AFTER_MS = 10_000;

export function runShell(command: string, context: PhaseContext): Promise<PhaseResult> {
  return new Promise((resolve) => {
    const child = spawn("sh", ["-c", command], { cwd: context.workspace.workingDir, env: { ...context.env }, stdio: ["ignore", "pipe", "pipe"] });
    const emit = (stream: "stdout" | "stderr") => (chunk: Buffer) => {
      for (const line of chunk.toString("utf8").split("\n")) if (line !== "") context.log.info(line, { run: context.run.id, stream });
    };
    child.stdout!.on("data", emit("stdout"));
    child.stderr!.on("data", emit("stderr"));
    let killer: ReturnType<typeof setTimeout> | null = null;
    const stop = () => {
      child.kill("SIGINT");
      killer = setTimeout(() => child.kill("SIGKILL"), KILL_AFTER_MS);
    };
    context.signal.addEventListener("abort", stop, { once: true });
    child.once("error", (error) => {
      context.signal.removeEventListener("abort", stop);
      resolve({ exitCode: 127, reason: `cannot start sh: ${error.message}` });
    });
    child.once("close", (code, signal) => {
      context.signal.removeEventListener("abort", stop);
      if (killer) clearTimeout(killer);
      if (code === 0) return resolve({ exitCode: 0 });
      resolve({ exitCode: code ?? 128, reason: signal ? `the command was ended by ${signal}` : `the command exited with code ${code}` });
    });
  });
}
