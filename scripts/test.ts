// The test runner: every *_test.ts file in its own process (two at a time), each with a per-file
// deadline, against one PostgreSQL for the whole run: an embedded one when DATABASE_URL is unset,
// else DATABASE_URL. Prints each file's output when it ends, then `N passed, N failed, N skipped`
// as the last line. Usage: npm test [-- <path filter>...]; `--deno` runs the files under Deno.
import { spawn } from "node:child_process";
import { readdirSync, statSync } from "node:fs";
import { cpus } from "node:os";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { startScratchPostgres } from "../shared/db/embedded.ts";
import { ensureTemplate } from "../shared/db/testing.ts";
import { createLogger } from "../shared/log.ts";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const FOLDERS = ["server", "drain", "scheduler", "worker", "shared", "scripts", "bench"];
const FILE_TIMEOUT_MS = Number(process.env.GANTRY_TEST_FILE_TIMEOUT_MS ?? 600_000);

const args = process.argv.slice(2);
const deno = args.includes("--deno");
const filters = args.filter((a) => !a.startsWith("--"));

function findTests(dir: string, out: string[] = []): string[] {
  for (const entry of readdirSync(dir)) {
    if (entry === "node_modules" || entry.startsWith(".")) continue;
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) findTests(path, out);
    else if (entry.endsWith("_test.ts")) out.push(path);
  }
  return out;
}

const files = FOLDERS.flatMap((f) => {
  try {
    return findTests(join(ROOT, f));
  } catch {
    return [];
  }
})
  .map((f) => relative(ROOT, f))
  .filter((f) => filters.length === 0 || filters.some((x) => f.includes(x)))
  .sort();

const log = createLogger({ level: "warn" });
const embedded = process.env.DATABASE_URL ? null : await startScratchPostgres("gantry-test", log);
const adminUrl = process.env.DATABASE_URL ?? embedded!.url;
await ensureTemplate(adminUrl);
console.log(`testing ${files.length} files on ${embedded ? "an embedded PostgreSQL" : "DATABASE_URL"}${deno ? " under Deno" : ""}`);

// Interrupted (Ctrl-C, or a CI timeout): take the children and the database down with us.
const children = new Set<number>();
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.on(signal, async () => {
    for (const pid of children) {
      try {
        process.kill(-pid, "SIGKILL");
      } catch {}
    }
    await embedded?.stop();
    process.exit(130);
  });
}

type Result = { file: string; passed: number; failed: number; skipped: number; ms: number };

function runFile(file: string): Promise<Result> {
  const started = Date.now();
  const command = deno ? denoBinary() : process.execPath;
  const argv = deno ? ["run", "-A", "--quiet", file] : ["--import", "tsx", file];
  return new Promise((resolve) => {
    const child = spawn(command, argv, {
      cwd: ROOT,
      env: { ...process.env, NO_COLOR: "1", FORCE_COLOR: "0", GANTRY_TEST_DATABASE_URL: adminUrl },
      stdio: ["ignore", "pipe", "pipe"],
      detached: true,
    });
    children.add(child.pid!);
    let out = "";
    child.stdout.on("data", (d) => (out += d));
    child.stderr.on("data", (d) => (out += d));
    const timer = setTimeout(() => {
      out += `\n!! ${file} exceeded ${FILE_TIMEOUT_MS / 1000} s and was killed\n`;
      try {
        process.kill(-child.pid!, "SIGKILL");
      } catch {}
    }, FILE_TIMEOUT_MS);
    child.on("close", (code) => {
      clearTimeout(timer);
      children.delete(child.pid!);
      const num = (label: string) => Number((out.match(new RegExp(`^\\s*${label}:\\s+(\\d+)`, "m")) ?? [])[1] ?? 0);
      const total = num("Total");
      const passed = num("Passed");
      const skipped = num("Skipped");
      let failed = Math.max(0, total - passed);
      if (code !== 0 && failed === 0) failed = 1; // crashed, or failed outside a test
      const ms = Date.now() - started;
      process.stdout.write(`\n── ${file} (${(ms / 1000).toFixed(1)} s) ${failed ? "FAILED" : "ok"}\n${out.trimEnd()}\n`);
      resolve({ file, passed, failed, skipped, ms });
    });
  });
}

function denoBinary(): string {
  return process.env.DENO_BINARY ?? (globalThis as { Deno?: { execPath(): string } }).Deno?.execPath() ?? "deno";
}

const results: Result[] = [];
const queue = [...files];
const parallel = Math.max(1, Math.min(Number(process.env.GANTRY_TEST_PARALLEL ?? 2), cpus().length));
await Promise.all(
  Array.from({ length: parallel }, async () => {
    for (let file = queue.shift(); file; file = queue.shift()) results.push(await runFile(file));
  }),
);

await embedded?.stop();

const sum = (k: "passed" | "failed" | "skipped") => results.reduce((a, r) => a + r[k], 0);
const failedFiles = results.filter((r) => r.failed).map((r) => r.file);
if (failedFiles.length) console.log(`\nfailed files:\n  ${failedFiles.join("\n  ")}`);
console.log(`\n${sum("passed")} passed, ${sum("failed")} failed, ${sum("skipped")} skipped`);
process.exit(sum("failed") > 0 || files.length === 0 ? 1 : 0);
