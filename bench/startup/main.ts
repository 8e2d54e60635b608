// Time from `npm start` (the all-in-one main.ts) to a healthy /readyz: cold (a new data directory,
// so initdb and migrations run) and warm (the same directory again). The baseline, measured in the
// same run, is the floor of any TypeScript service here: a bare Hono app started the same way
// (node + tsx) answering its first request.
import { spawn } from "node:child_process";
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { freePort } from "../../shared/db/embedded.ts";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);

async function timeToReady(entry: string, env: Record<string, string>, path: string): Promise<number> {
  const port = env.SERVER_PORT;
  const started = performance.now();
  const child = spawn(process.execPath, ["--import", "tsx", entry], { cwd: ROOT, env: { PATH: process.env.PATH!, HOME: process.env.HOME!, ...env }, stdio: "ignore" });
  try {
    for (;;) {
      try {
        const res = await fetch(`http://127.0.0.1:${port}${path}`);
        if (res.status === 200) return performance.now() - started;
      } catch {
        // not listening yet
      }
      if (child.exitCode !== null) throw new Error(`${entry} exited with ${child.exitCode}`);
      if (performance.now() - started > 120_000) throw new Error(`${entry} not ready within 120 s`);
      await new Promise((r) => setTimeout(r, 10));
    }
  } finally {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((r) => child.once("exit", r));
      child.kill("SIGTERM");
      await exited;
    }
  }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

// The baseline lives inside the project so that it resolves hono from node_modules.
const localBaseline = join(ROOT, "bench", "startup", ".hello_baseline.ts");
writeFileSync(
  localBaseline,
  `import { Hono } from "hono";\nimport { serve } from "@hono/node-server";\nconst app = new Hono();\napp.get("/readyz", (c) => c.text("ok"));\nserve({ fetch: app.fetch, port: Number(process.env.SERVER_PORT), hostname: "127.0.0.1" });\n`,
);

const cold: number[] = [];
const warm: number[] = [];
const baseline: number[] = [];
try {
  for (let round = 0; round < ROUNDS; round++) {
    const dataDir = mkdtempSync(join(tmpdir(), "gantry-bench-start-"));
    chmodSync(dataDir, 0o755);
    const env = async () => ({
      GANTRY_DATA_DIR: dataDir,
      SERVER_PORT: String(await freePort()),
      SERVER_HOST: "127.0.0.1",
      MQTT_BROKER_BUILTIN_PORT: String(await freePort()),
      LOG_LEVEL: "warn",
    });
    try {
      cold.push(await timeToReady("main.ts", await env(), "/readyz"));
      warm.push(await timeToReady("main.ts", await env(), "/readyz"));
      baseline.push(await timeToReady(localBaseline, { SERVER_PORT: String(await freePort()) }, "/readyz"));
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
    console.log(`round ${round + 1}: cold ${cold[round].toFixed(0)} ms, warm ${warm[round].toFixed(0)} ms, bare Hono ${baseline[round].toFixed(0)} ms`);
  }
} finally {
  rmSync(localBaseline, { force: true });
}
const [c, w, b] = [median(cold), median(warm), median(baseline)];
console.log(`startup: npm start → ready /readyz cold ${c.toFixed(0)} ms (${(c / b).toFixed(1)}x bare Hono), warm ${w.toFixed(0)} ms (${(w / b).toFixed(1)}x bare Hono ${b.toFixed(0)} ms); median of ${ROUNDS}`);
