// Runs one process of a phase in the working directory, in its own process group, its output going
// to the phase's log sink (or, for stdout, captured when asked). Stopping (the context's signal)
// sends SIGINT to the whole group, then SIGKILL if it has not ended KILL_AFTER_MS later; the kill
// signal sends SIGKILL at once. A tool that forks (terraform → provider plugins, sh → sleep) is
// stopped with everything it started.
import { Buffer } from "node:buffer";
import { spawn, type ChildProcess } from "node:child_process";
import type { PhaseContext, PhaseResult } from "./driver.ts";

export const KILL_AFTER_MS = 10_000;

export type CommandResult = PhaseResult & Readonly<{ stdout: string; signal: NodeJS.Signals | null }>;

export type CommandOptions = Readonly<{
  /** Keep stdout as the result instead of writing it to the log (stderr still goes to the log). */
  captureStdout?: boolean;
  /** With captureStdout: write stdout to the log as well. */
  echo?: boolean;
  /** Extra variables for this process only (over the context's environment). */
  env?: Readonly<Record<string, string>>;
  /** Names the process in reasons ("terraform plan exited with code 1"); default "the command". */
  label?: string;
}>;

/** Sends `signal` to the child's process group, or to the child alone where groups are unavailable. */
function signalGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.exitCode !== null || child.signalCode !== null) return;
  try {
    process.kill(-(child.pid as number), signal);
  } catch {
    try {
      child.kill(signal);
    } catch {
      // already gone
    }
  }
}

export function runCommand(file: string, args: readonly string[], context: PhaseContext, options: CommandOptions = {}): Promise<CommandResult> {
  const label = options.label ?? "the command";
  return new Promise((resolve) => {
    if (context.signal.aborted) return resolve({ exitCode: 130, reason: `${label} was not started: the run is stopping`, stdout: "", signal: null });
    let child: ChildProcess;
    try {
      child = spawn(file, [...args], {
        cwd: context.workspace.workingDir,
        env: { ...context.env, ...options.env },
        stdio: ["ignore", "pipe", "pipe"],
        detached: true,
      });
    } catch (error) {
      return resolve({ exitCode: 127, reason: `cannot start ${label}: ${(error as NodeJS.ErrnoException).code ?? "error"}`, stdout: "", signal: null });
    }
    const stdout: Buffer[] = [];
    const decoders = { stdout: new TextDecoder(), stderr: new TextDecoder() };
    child.stdout!.on("data", (chunk: Buffer) => {
      if (options.captureStdout) stdout.push(chunk);
      if (!options.captureStdout || options.echo) context.output.write(decoders.stdout.decode(chunk, { stream: true }));
    });
    child.stderr!.on("data", (chunk: Buffer) => context.output.write(decoders.stderr.decode(chunk, { stream: true })));
    let killer: ReturnType<typeof setTimeout> | null = null;
    const stop = () => {
      signalGroup(child, "SIGINT");
      killer ??= setTimeout(() => signalGroup(child, "SIGKILL"), KILL_AFTER_MS);
    };
    const kill = () => signalGroup(child, "SIGKILL");
    context.signal.addEventListener("abort", stop, { once: true });
    context.kill?.addEventListener("abort", kill, { once: true });
    if (context.kill?.aborted) kill();
    const detach = () => {
      context.signal.removeEventListener("abort", stop);
      context.kill?.removeEventListener("abort", kill);
      if (killer) clearTimeout(killer);
    };
    child.once("error", (error) => {
      detach();
      const code = (error as NodeJS.ErrnoException).code;
      resolve({ exitCode: 127, reason: code === "ENOENT" ? `${label} was not found (${file})` : `cannot start ${label}: ${code ?? "error"}`, stdout: "", signal: null });
    });
    // Whatever the group left behind (a background child holding the pipes open) goes with it.
    child.once("exit", () => {
      try {
        process.kill(-(child.pid as number), "SIGKILL");
      } catch {
        // no one left
      }
    });
    child.once("close", (code, signal) => {
      detach();
      const out = Buffer.concat(stdout).toString("utf8");
      if (code === 0) return resolve({ exitCode: 0, stdout: out, signal: null });
      resolve({
        exitCode: code ?? 128,
        reason: signal ? `${label} was ended by ${signal}` : `${label} exited with code ${code}`,
        stdout: out,
        signal,
      });
    });
  });
}

/** One shell command (`sh -c`), as tasks and hooks run them. */
export function runShell(command: string, context: PhaseContext, options: CommandOptions = {}): Promise<CommandResult> {
  return runCommand("sh", ["-c", command], context, options);
}
