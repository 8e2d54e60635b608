// Child processes for end-to-end tests: start a Gantry entrypoint with its own environment,
// collect its output, wait for a line, and always clean up.
import { spawn, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";

export const ROOT = fileURLToPath(new URL("../../", import.meta.url));

export type Child = Readonly<{
  process: ChildProcess;
  output: () => string;
  waitForLine: (pattern: RegExp, timeoutMs?: number) => Promise<string>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  kill: (signal?: NodeJS.Signals) => void;
}>;

/** Runs a TypeScript entrypoint (path relative to the project root) under the current runtime. */
export function startEntrypoint(entry: string, env: Record<string, string | undefined>, args: string[] = []): Child {
  const deno = (globalThis as { Deno?: unknown }).Deno !== undefined;
  const command = deno ? (globalThis as unknown as { Deno: { execPath(): string } }).Deno.execPath() : process.execPath;
  const argv = deno ? ["run", "-A", "--quiet", entry, ...args] : ["--import", "tsx", entry, ...args];
  const child = spawn(command, argv, {
    cwd: ROOT,
    env: { PATH: process.env.PATH, HOME: process.env.HOME, NO_COLOR: "1", ...env } as NodeJS.ProcessEnv,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  const waiters: Array<() => void> = [];
  const onData = (d: Buffer) => {
    out += d.toString();
    waiters.splice(0).forEach((w) => w());
  };
  child.stdout!.on("data", onData);
  child.stderr!.on("data", onData);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once("exit", (code, signal) => {
      waiters.splice(0).forEach((w) => w());
      resolve({ code, signal });
    }),
  );
  return {
    process: child,
    output: () => out,
    exited,
    kill: (signal = "SIGKILL") => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    },
    waitForLine: (pattern, timeoutMs = 20_000) =>
      new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`timed out waiting for ${pattern} in output of ${entry}:\n${out.slice(-3000)}`)), timeoutMs);
        const check = () => {
          const line = out.split("\n").find((l) => pattern.test(l));
          if (line !== undefined) {
            clearTimeout(timer);
            resolve(line);
          } else if (child.exitCode !== null || child.signalCode !== null) {
            clearTimeout(timer);
            reject(new Error(`${entry} exited (${child.exitCode ?? child.signalCode}) before printing ${pattern}:\n${out.slice(-3000)}`));
          } else waiters.push(check);
        };
        check();
      }),
  };
}
