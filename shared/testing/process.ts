// Child processes for end-to-end tests: start a Gantry entrypoint with its own environment,
// collect its output, wait for a line, and always clean up. Under Deno the child is started with
// Deno.Command: Deno's node:child_process reports a child it sent a signal to as killed by that
// signal even when the child handled it and exited 0, which is exactly what these tests check.
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";

export const ROOT = fileURLToPath(new URL("../../", import.meta.url));

export type Exit = { code: number | null; signal: string | null };

export type Child = Readonly<{
  output: () => string;
  waitForLine: (pattern: RegExp, timeoutMs?: number) => Promise<string>;
  exited: Promise<Exit>;
  kill: (signal?: "SIGTERM" | "SIGKILL" | "SIGINT") => void;
}>;

type DenoLike = {
  execPath(): string;
  Command: new (cmd: string, options: Record<string, unknown>) => {
    spawn(): { stdout: ReadableStream<Uint8Array>; stderr: ReadableStream<Uint8Array>; status: Promise<{ code: number; signal: string | null }>; kill(signal: string): void };
  };
};

/** Runs a TypeScript entrypoint (path relative to the project root) under the current runtime. */
export function startEntrypoint(entry: string, env: Record<string, string | undefined>, args: string[] = []): Child {
  const fullEnv = Object.fromEntries(
    Object.entries({ PATH: process.env.PATH, HOME: process.env.HOME, NO_COLOR: "1", ...env }).filter((e): e is [string, string] => e[1] !== undefined),
  );
  let out = "";
  let done = false;
  const waiters: Array<() => void> = [];
  const onData = (chunk: string) => {
    out += chunk;
    waiters.splice(0).forEach((w) => w());
  };
  const finish = (exit: Exit) => {
    done = true;
    waiters.splice(0).forEach((w) => w());
    return exit;
  };

  let exited: Promise<Exit>;
  let kill: (signal: "SIGTERM" | "SIGKILL" | "SIGINT") => void;
  const deno = (globalThis as { Deno?: DenoLike }).Deno;
  if (deno) {
    const child = new deno.Command(deno.execPath(), { args: ["run", "-A", "--quiet", entry, ...args], cwd: ROOT, env: fullEnv, clearEnv: true, stdin: "null", stdout: "piped", stderr: "piped" }).spawn();
    const pump = async (stream: ReadableStream<Uint8Array>) => {
      const decoder = new TextDecoder();
      for await (const chunk of stream) onData(decoder.decode(chunk, { stream: true }));
    };
    const pumped = Promise.all([pump(child.stdout), pump(child.stderr)]);
    exited = child.status.then(async (s) => {
      await pumped;
      return finish({ code: s.signal ? null : s.code, signal: s.signal });
    });
    kill = (signal) => {
      if (!done) {
        try {
          child.kill(signal);
        } catch {
          // already gone
        }
      }
    };
  } else {
    const child = spawn(process.execPath, ["--import", "tsx", entry, ...args], { cwd: ROOT, env: fullEnv, stdio: ["ignore", "pipe", "pipe"] });
    child.stdout!.on("data", (d: Buffer) => onData(d.toString()));
    child.stderr!.on("data", (d: Buffer) => onData(d.toString()));
    exited = new Promise((resolve) => child.once("exit", (code, signal) => resolve(finish({ code, signal }))));
    kill = (signal) => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    };
  }

  return {
    output: () => out,
    exited,
    kill: (signal = "SIGKILL") => kill(signal),
    waitForLine: (pattern, timeoutMs = 20_000) =>
      new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`timed out waiting for ${pattern} in output of ${entry}:\n${out.slice(-3000)}`)), timeoutMs);
        const check = () => {
          const line = out.split("\n").find((l) => pattern.test(l));
          if (line !== undefined) {
            clearTimeout(timer);
            resolve(line);
          } else if (done) {
            clearTimeout(timer);
            reject(new Error(`${entry} exited before printing ${pattern}:\n${out.slice(-3000)}`));
          } else waiters.push(check);
        };
        check();
      }),
  };
}
