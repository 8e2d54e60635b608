// The benchmark's child processes: `node --import tsx <entry>` from the project root with only the
// environment given (plus PATH and HOME), so the process measured is the entrypoint itself (its pid
// is the one whose RSS is read). Every child is registered with the benchmark's cleanup, which
// stops it (SIGTERM, then SIGKILL after 10 s) whatever happened.
import { spawn, type ChildProcess } from "node:child_process";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const KEEP_OUTPUT = 64 * 1024;

export type Child = Readonly<{
  name: string;
  pid: number;
  output(): string;
  waitForLine(pattern: RegExp, timeoutMs: number): Promise<string>;
  /** Resident set size from /proc, in KiB. */
  rssKiB(): number;
  running(): boolean;
  /** Calls `listener` with each complete line the child prints from now on. */
  onLine(listener: (line: string) => void): void;
  signal(signal: NodeJS.Signals): void;
  stop(): Promise<void>;
}>;

/** nodeArgs: extra Node options placed before the entry (e.g. a preload). */
export function startChild(name: string, entry: string, env: Record<string, string>, onCleanup: (stop: () => Promise<void>) => void, nodeArgs: readonly string[] = []): Child {
  const child: ChildProcess = spawn(process.execPath, ["--import", "tsx", ...nodeArgs, entry], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: process.env.HOME ?? "/tmp", NO_COLOR: "1", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  const waiters = new Set<() => void>();
  const lineListeners = new Set<(line: string) => void>();
  const partial = { stdout: "", stderr: "" };
  const onData = (stream: "stdout" | "stderr") => (chunk: Buffer) => {
    const text = chunk.toString();
    out = (out + text).slice(-KEEP_OUTPUT);
    const lines = (partial[stream] + text).split("\n");
    partial[stream] = lines.pop()!;
    for (const line of lines) lineListeners.forEach((l) => l(line));
    waiters.forEach((w) => w());
  };
  child.stdout!.on("data", onData("stdout"));
  child.stderr!.on("data", onData("stderr"));
  let exited = false;
  const exit = new Promise<void>((resolve) =>
    child.once("exit", () => {
      exited = true;
      waiters.forEach((w) => w());
      resolve();
    }),
  );
  child.once("error", () => {}); // a failed spawn also ends in "exit"; its output says why
  const stop = async () => {
    if (exited) return;
    child.kill("SIGTERM");
    const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
    await exit;
    clearTimeout(timer);
  };
  onCleanup(stop);
  if (child.pid === undefined) throw new Error(`${name}: could not start ${entry}`);
  const pid = child.pid;
  return {
    name,
    pid,
    output: () => out,
    running: () => !exited,
    onLine: (listener) => void lineListeners.add(listener),
    signal: (signal) => void (exited || child.kill(signal)),
    stop,
    rssKiB: () => {
      const status = readFileSync(`/proc/${pid}/status`, "utf8");
      const kib = /^VmRSS:\s+(\d+) kB/m.exec(status)?.[1];
      if (!kib) throw new Error(`${name}: no VmRSS in /proc/${pid}/status`);
      return Number(kib);
    },
    waitForLine: (pattern, timeoutMs) =>
      new Promise((resolve, reject) => {
        const check = () => {
          const line = out.split("\n").find((l) => pattern.test(l));
          if (line !== undefined) done(() => resolve(line));
          else if (exited) done(() => reject(new Error(`${name} exited before printing ${pattern}:\n${tail(out)}`)));
        };
        const timer = setTimeout(() => done(() => reject(new Error(`${name}: no ${pattern} within ${timeoutMs / 1000} s:\n${tail(out)}`))), timeoutMs);
        const done = (settle: () => void) => {
          clearTimeout(timer);
          waiters.delete(check);
          settle();
        };
        waiters.add(check);
        check();
      }),
  };
}

/** The end of a child's output, without the line that carries the admin key's secret. */
export function tail(output: string): string {
  return output
    .split("\n")
    .filter((line) => !/Admin API key/.test(line))
    .join("\n")
    .slice(-3000);
}
