// The dispatch benchmark: how fast a READY run reaches a worker, on the built-in broker (aedes)
// and on Mosquitto in the same run; how long a trivial task takes from trigger to FINISHED on a
// real worker; and how much server memory an idle connected worker costs. Each figure next to a
// baseline measured in the same run. See bench/README.md.
//
//   npm run bench -- dispatch [--workers=50] [--samples=200] [--runs=20] [--idle-workers=200]
//                             [--mosquitto=mqtt://127.0.0.1:1883] [--only=aedes,mosquitto,task,memory]
//
// Gantry runs as child processes (main.ts, server/main.ts, worker/main.ts) on fresh databases of
// DATABASE_URL (which must allow CREATE DATABASE) or of an embedded PostgreSQL in a temporary
// directory; every process and database it starts is stopped and removed at the end, also after
// an error or Ctrl-C. Ends with one line of key figures.
import { cpus, loadavg } from "node:os";
import { parseArgs } from "node:util";
import mqtt, { type MqttClient } from "mqtt";
import { startScratchPostgres } from "../../shared/db/embedded.ts";
import { createLogger } from "../../shared/log.ts";
import { reachable } from "../../shared/testing/mqtt.ts";
import { serverMqttCredentials } from "../../shared/secret_key.ts";
import { measureDispatch, type DispatchResult } from "./dispatch.ts";
import { measureBareAedesMemory, measureGantryMemory, type MemoryReading } from "./memory.ts";
import { measureTaskRuns, type TaskRunResult } from "./task_runs.ts";
import { Scope, startGantry, type Broker, type Percentiles } from "./support.ts";

const { values: flags } = parseArgs({
  args: process.argv.slice(3),
  options: {
    workers: { type: "string", default: "50" },
    samples: { type: "string", default: "200" },
    runs: { type: "string", default: "20" },
    "idle-workers": { type: "string", default: "200" },
    mosquitto: { type: "string", default: "mqtt://127.0.0.1:1883" },
    only: { type: "string" },
  },
});
function positive(name: "workers" | "samples" | "runs" | "idle-workers"): number {
  const n = Number(flags[name]);
  if (!Number.isInteger(n) || n <= 0) {
    console.error(`--${name} must be a positive integer`);
    process.exit(2);
  }
  return n;
}
const WORKERS = positive("workers");
const SAMPLES = positive("samples");
const RUNS = positive("runs");
const IDLE_WORKERS = positive("idle-workers");
const PARTS = ["aedes", "mosquitto", "task", "memory"] as const;
const only = flags.only?.split(",").map((s) => s.trim());
const wanted = (part: (typeof PARTS)[number]) => !only || only.includes(part);

// Targets from the issue.
const TARGET = { p50Ms: 5, p99Ms: 50, kibPerWorker: 100 };

const root = new Scope();
let stopping = false;
const abort = (code: number) => {
  if (stopping) return;
  stopping = true;
  void root.close().finally(() => process.exit(code));
};
process.once("SIGINT", () => abort(130));
process.once("SIGTERM", () => abort(143));
process.on("unhandledRejection", (error) => {
  console.error(`dispatch: ${(error as Error)?.stack ?? error}`);
  abort(1);
});

const progress = (line: string) => console.log(`  ${line}`);
const ms = (n: number) => n.toFixed(2);

/** Whether the external broker takes an anonymous MQTT connection, and if not, why. */
async function probeMosquitto(url: string): Promise<string | null> {
  const { hostname, port } = new URL(url);
  if (!(await reachable(hostname, Number(port || 1883)))) return `nothing listens at ${hostname}:${port || 1883}`;
  try {
    const client = await mqtt.connectAsync(url, { reconnectPeriod: 0, connectTimeout: 3000, clientId: `gantry-bench-probe-${process.pid}` });
    await client.endAsync(true);
    return null;
  } catch (error) {
    return `an anonymous MQTT connection was refused (${(error as Error).message})`;
  }
}

async function dispatchOn(label: string, broker: Broker, withTasks: boolean): Promise<{ dispatch: DispatchResult; tasks: TaskRunResult | null }> {
  console.log(`\n${label}: Gantry (main.ts: server, drain, scheduler) on ${broker.kind === "builtin" ? "its built-in broker" : `the external broker ${broker.url}`}`);
  const scope = new Scope();
  root.add(() => scope.close());
  try {
    const gantry = await startGantry(scope, "main.ts", broker);
    const publisher: MqttClient = await mqtt.connectAsync(gantry.brokerEndpoint, {
      clientId: `gantry-bench-publisher-${process.pid}`,
      reconnectPeriod: 0,
      ...(broker.kind === "builtin" ? serverMqttCredentials(gantry.secretKey) : {}),
    });
    scope.add(() => publisher.endAsync(true));
    const dispatch = await measureDispatch(scope, gantry, { workers: WORKERS, samples: SAMPLES, publisher, progress });
    const tasks = withTasks ? await measureTaskRuns(scope, gantry, { runs: RUNS, progress }) : null;
    return { dispatch, tasks };
  } finally {
    await scope.close();
  }
}

async function memory(): Promise<{ gantry: MemoryReading; bare: MemoryReading }> {
  console.log(`\nmemory: a server process (server/main.ts, built-in broker) with ${IDLE_WORKERS} idle workers, and a bare aedes process with ${IDLE_WORKERS} clients`);
  const scope = new Scope();
  root.add(() => scope.close());
  try {
    const gantry = await measureGantryMemory(scope, { workers: IDLE_WORKERS, progress });
    await scope.close();
    const bare = await measureBareAedesMemory(scope, { connections: IDLE_WORKERS, progress });
    return { gantry, bare };
  } finally {
    await scope.close();
  }
}

function row(name: string, p: Percentiles, baseline?: Percentiles): string[] {
  return [name, ms(p.p50), ms(p.p90), ms(p.p99), ms(p.max), baseline ? `${(p.p50 / baseline.p50).toFixed(1)}x` : ""];
}

function printTable(header: string[], rows: string[][]): void {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join("  ").trimEnd();
  console.log(line(header));
  console.log(widths.map((w) => "-".repeat(w)).join("  "));
  rows.forEach((r) => console.log(line(r)));
}

try {
  console.log(
    `dispatch benchmark: ${WORKERS} workers, ${SAMPLES} dispatches per broker, ${RUNS} task runs, ${IDLE_WORKERS} idle workers for memory; ` +
      `Node ${process.version}, ${cpus().length} CPUs, load average ${loadavg()[0].toFixed(2)}`,
  );
  if (!process.env.DATABASE_URL && !process.env.GANTRY_TEST_DATABASE_URL) {
    const pg = await startScratchPostgres("gantry-bench-dispatch", createLogger({ level: "warn" }));
    root.add(() => pg.stop());
    process.env.GANTRY_TEST_DATABASE_URL = pg.url;
  }

  const mosquittoUrl = flags.mosquitto!;
  const mosquittoSkipped = wanted("mosquitto") ? await probeMosquitto(mosquittoUrl) : "not asked for (--only)";
  const aedes = wanted("aedes") || wanted("task") ? await dispatchOn("aedes", { kind: "builtin" }, wanted("task")) : null;
  const mosquitto = mosquittoSkipped === null ? await dispatchOn("mosquitto", { kind: "external", url: mosquittoUrl }, false) : null;
  if (mosquittoSkipped !== null) console.log(`\nmosquitto: SKIPPED: ${mosquittoSkipped}`);
  const mem = wanted("memory") ? await memory() : null;

  console.log("\nREADY → assignment received, ms (READY: the READY transition's now(), on this clock; received: the worker's message handler)");
  const dispatchRows: string[][] = [];
  for (const [name, result] of [["aedes", aedes?.dispatch], ["mosquitto", mosquitto?.dispatch]] as const) {
    if (!result) continue;
    dispatchRows.push(row(`${name}: READY → received`, result.readyToReceived, result.baseline));
    dispatchRows.push(row(`${name}: createTask → received`, result.triggerToReceived));
    dispatchRows.push(row(`${name}: raw MQTT publish → received (baseline)`, result.baseline));
  }
  printTable(["path", "p50", "p90", "p99", "max", "p50 vs raw"], dispatchRows);
  for (const [name, result] of [["aedes", aedes?.dispatch], ["mosquitto", mosquitto?.dispatch]] as const) {
    if (result) console.log(`  ${name}: PostgreSQL clock − ours = ${ms(result.clock.offsetMs)} ms (±${ms(result.clock.rttMs / 2)} ms)`);
  }
  if (aedes?.dispatch && mosquitto?.dispatch) {
    const a = aedes.dispatch.readyToReceived;
    const m = mosquitto.dispatch.readyToReceived;
    console.log(`  Mosquitto / aedes, READY → received: p50 ${(m.p50 / a.p50).toFixed(2)}x, p99 ${(m.p99 / a.p99).toFixed(2)}x`);
  }
  if (aedes?.tasks) {
    const t = aedes.tasks;
    console.log(`\ntrivial TASK (\`true\`) on a real worker process, aedes, ms`);
    printTable(["path", "p50", "p90", "p99", "max", "p50 vs baseline"], [
      row("taskCreate (GraphQL) → FINISHED", t.triggerToFinished, t.baseline),
      row("git clone + sh -c true + rm (baseline)", t.baseline),
    ]);
    console.log(`  medians of the steps: trigger → READY ${ms(t.steps.toReady)} ms, READY → accepted ${ms(t.steps.toAccepted)} ms, accepted → FINISHED ${ms(t.steps.toFinished)} ms`);
  }
  if (mem) {
    console.log(`\nmemory per connection, KiB (medians of ${mem.gantry.rounds.length} rounds of none → ${IDLE_WORKERS} connected, after 2 warm-up rounds; each reading after a full GC)`);
    const kib = (n: number) => n.toFixed(1);
    printTable(["process", "RSS before", "RSS after", "RSS/conn", "rounds", "live heap+external/conn"], [
      ["gantry server (server/main.ts)", String(mem.gantry.rssBeforeKiB), String(mem.gantry.rssAfterKiB), kib(mem.gantry.perConnectionKiB), mem.gantry.rounds.map(kib).join(" "), kib(mem.gantry.livePerConnectionKiB)],
      ["bare aedes (baseline)", String(mem.bare.rssBeforeKiB), String(mem.bare.rssAfterKiB), kib(mem.bare.perConnectionKiB), mem.bare.rounds.map(kib).join(" "), kib(mem.bare.livePerConnectionKiB)],
    ]);
  }
  console.log(`\nload average at the end: ${loadavg()[0].toFixed(2)} (1 min), ${loadavg()[1].toFixed(2)} (5 min) on ${cpus().length} CPUs; other work on the machine shows in the tails first`);
  console.log();

  if (aedes?.dispatch && aedes.tasks && mem && (mosquitto || mosquittoSkipped !== "not asked for (--only)")) {
    const a = aedes.dispatch;
    const met = (ok: boolean) => (ok ? "met" : "MISSED");
    const dispatchOk = a.readyToReceived.p50 < TARGET.p50Ms && a.readyToReceived.p99 < TARGET.p99Ms && (!mosquitto || (mosquitto.dispatch.readyToReceived.p50 < TARGET.p50Ms && mosquitto.dispatch.readyToReceived.p99 < TARGET.p99Ms));
    const mosq = mosquitto
      ? `Mosquitto p50 ${ms(mosquitto.dispatch.readyToReceived.p50)} ms p99 ${ms(mosquitto.dispatch.readyToReceived.p99)} ms (raw p50 ${ms(mosquitto.dispatch.baseline.p50)} ms, ${(mosquitto.dispatch.readyToReceived.p50 / mosquitto.dispatch.baseline.p50).toFixed(1)}x; ${(mosquitto.dispatch.readyToReceived.p50 / a.readyToReceived.p50).toFixed(2)}x aedes)`
      : `Mosquitto skipped (${mosquittoSkipped})`;
    console.log(
      `dispatch: READY→assign with ${WORKERS} workers aedes p50 ${ms(a.readyToReceived.p50)} ms p99 ${ms(a.readyToReceived.p99)} ms (raw p50 ${ms(a.baseline.p50)} ms, ${(a.readyToReceived.p50 / a.baseline.p50).toFixed(1)}x), ${mosq} [target p50<${TARGET.p50Ms} p99<${TARGET.p99Ms} ms: ${met(dispatchOk)}]; ` +
        `task trigger→FINISHED p50 ${ms(aedes.tasks.triggerToFinished.p50)} ms p99 ${ms(aedes.tasks.triggerToFinished.p99)} ms (${(aedes.tasks.triggerToFinished.p50 / aedes.tasks.baseline.p50).toFixed(1)}x git clone+sh ${ms(aedes.tasks.baseline.p50)} ms); ` +
        `server memory per idle worker RSS ${mem.gantry.perConnectionKiB.toFixed(1)} KiB, live ${mem.gantry.livePerConnectionKiB.toFixed(1)} KiB (${(mem.gantry.livePerConnectionKiB / mem.bare.livePerConnectionKiB).toFixed(1)}x bare aedes live ${mem.bare.livePerConnectionKiB.toFixed(1)} KiB/conn, RSS ${mem.bare.perConnectionKiB.toFixed(1)}) ` +
        `[target <${TARGET.kibPerWorker} KiB: ${met(Math.max(mem.gantry.perConnectionKiB, mem.gantry.livePerConnectionKiB) < TARGET.kibPerWorker)}]`,
    );
  }
} catch (error) {
  console.error(`dispatch: ${(error as Error).stack ?? error}`);
  process.exitCode = 1;
} finally {
  await root.close();
}
process.exit(process.exitCode ?? 0);
