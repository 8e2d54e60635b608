// The queue benchmark: Gantry's queue against graphile-worker (default and fastest settings) and a
// bare SKIP LOCKED loop, on one PostgreSQL, in one run. See bench/README.md.
//
//   npm run bench -- queue [--jobs=10000] [--rounds=3] [--concurrency=500] [--pickups=200]
//
// Uses DATABASE_URL (it must allow CREATE DATABASE) or else an embedded PostgreSQL in a temp dir.
// Prints a table and ends with one line of key figures.
import { cpus } from "node:os";
import { randomBytes } from "node:crypto";
import { parseArgs } from "node:util";
import postgres from "postgres";
import { Logger as GraphileLogger, run as runGraphile, runMigrations as graphileMigrations, type Runner, type TaskList } from "graphile-worker";
import { startScratchPostgres, type EmbeddedPostgres } from "../../shared/db/embedded.ts";
import { createPool } from "../../shared/db/connect.ts";
import { migrate } from "../../shared/db/migrate.ts";
import { withDatabase } from "../../shared/db/testing.ts";
import { createLogger } from "../../shared/log.ts";
import { enqueue, enqueueMany, type NewJob } from "../../shared/queue/jobs.ts";
import { startDrain } from "../../drain/drain.ts";

const { values: flags } = parseArgs({
  args: process.argv.slice(3),
  options: {
    jobs: { type: "string", default: "10000" },
    rounds: { type: "string", default: "5" },
    concurrency: { type: "string", default: "500" },
    pickups: { type: "string", default: "200" },
    "synchronous-commit": { type: "string", default: "off" },
    only: { type: "string" },
  },
});
const JOBS = positive("jobs");
const ROUNDS = positive("rounds");
const CONCURRENCY = positive("concurrency"); // Gantry's async-queue concurrency
const GRAPHILE_FASTEST_CONCURRENCY = 24;
const PICKUPS = positive("pickups");
const SYNCHRONOUS_COMMIT = flags["synchronous-commit"];
if (SYNCHRONOUS_COMMIT !== "on" && SYNCHRONOUS_COMMIT !== "off") {
  console.error("--synchronous-commit must be on or off");
  process.exit(2);
}
const GANTRY_POOL = 10; // DATABASE_POOL_SIZE default
const GANTRY_POLL_MS = 1000; // QUEUE_POLL_INTERVAL_MS default
const BARE_BATCH = 500;

// graphile-worker's two configurations. "fastest" is the one from its performance page
// (https://worker.graphile.org/docs/performance): 24 concurrent jobs, a pool of 25, a local queue
// of 500 and batched completion/failure with a 0 ms delay. "default" sets nothing.
type GraphileConfig = { name: "default" | "fastest"; label: string; options: Record<string, unknown> };
const GRAPHILE_CONFIGS: GraphileConfig[] = [
  { name: "default", label: "concurrency 1, pool 10, poll 2000 ms (library defaults)", options: {} },
  {
    name: "fastest",
    label: "concurrency 24, pool 25, localQueue 500, complete/failJobBatchDelay 0",
    options: { concurrency: GRAPHILE_FASTEST_CONCURRENCY, maxPoolSize: 25, preset: { worker: { localQueue: { size: 500 }, completeJobBatchDelay: 0, failJobBatchDelay: 0 } } },
  },
];

function positive(name: "jobs" | "rounds" | "concurrency" | "pickups"): number {
  const n = Number(flags[name]);
  if (!Number.isInteger(n) || n <= 0) {
    console.error(`--${name} must be a positive integer`);
    process.exit(2);
  }
  return n;
}

const log = createLogger({ level: "warn" });
const quietGraphile = new GraphileLogger(() => (level, message) => {
  if (level === "error") console.error(`graphile-worker: ${message}`);
});
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

// ---------------------------------------------------------------------------------------------
// Setup and teardown

let embedded: EmbeddedPostgres | null = null;
const cleanups: (() => Promise<unknown>)[] = [];

async function cleanup(): Promise<void> {
  for (const step of cleanups.splice(0).reverse()) await step().catch((error) => console.error(`cleanup: ${error}`));
}

process.once("SIGINT", () => void cleanup().finally(() => process.exit(130)));

let admin = process.env.DATABASE_URL;
if (!admin) {
  embedded = await startScratchPostgres("gantry-bench", log);
  cleanups.push(() => embedded!.stop());
  admin = embedded.url;
}

const adminSql = postgres(admin, { max: 1, onnotice: () => {} });
cleanups.push(() => adminSql.end({ timeout: 5 }));
const suffix = `${process.pid}_${randomBytes(3).toString("hex")}`;
const names = { gantry: `gantry_bench_${suffix}`, graphile: `graphile_bench_${suffix}` };
for (const name of Object.values(names)) {
  await adminSql`create database ${adminSql(name)}`;
  // With "off" (the default) a commit does not wait for its WAL flush, so the figures measure the
  // queues rather than the disk's fsync latency (which would dominate one-commit-per-job designs).
  await adminSql`alter database ${adminSql(name)} set synchronous_commit = ${adminSql.unsafe(SYNCHRONOUS_COMMIT)}`;
  cleanups.push(() => adminSql`drop database if exists ${adminSql(name)} with (force)`);
}
const gantryUrl = withDatabase(admin, names.gantry);
const graphileUrl = withDatabase(admin, names.graphile);

const sql = createPool(gantryUrl, { max: GANTRY_POOL, applicationName: "gantry-bench" });
cleanups.push(() => sql.end({ timeout: 5 }));
await migrate(sql);
// A second client on each database for the benchmark's own statements (enqueue, checks).
const gantryClient = createPool(gantryUrl, { max: 2, applicationName: "bench-client" });
cleanups.push(() => gantryClient.end({ timeout: 5 }));
await graphileMigrations({ connectionString: graphileUrl, logger: quietGraphile });
const graphileClient = createPool(graphileUrl, { max: 2, applicationName: "bench-client" });
cleanups.push(() => graphileClient.end({ timeout: 5 }));

const [{ version }] = await adminSql<{ version: string }[]>`select current_setting('server_version') as version`;

// ---------------------------------------------------------------------------------------------
// The systems under test. Each one starts idle, then gets work; stop() closes everything it opened.

type Handler = (i: number) => void;
type System = Readonly<{ stop(): Promise<void> }>;

async function startGantry(onJob: Handler, concurrency: number): Promise<System> {
  const drain = await startDrain({
    sql,
    log,
    registry: new Map([["noop", async (payload: unknown) => onJob((payload as { i: number }).i)]]),
    queue: {
      leaseSeconds: 60,
      maxAttempts: 5,
      pollIntervalMs: GANTRY_POLL_MS,
      concurrency: { webhooks: 1, async: concurrency, async_fifo: 1, cronjobs: 1, worker_messages: 1 },
    },
    queues: ["async"],
    shutdownTimeoutSeconds: 10,
  });
  return { stop: async () => void (await drain.stop()) };
}

async function startGraphile(config: GraphileConfig, onJob: Handler): Promise<System> {
  const taskList: TaskList = { noop: async (payload) => onJob((payload as { i: number }).i) };
  const runner: Runner = await runGraphile({
    connectionString: graphileUrl,
    noHandleSignals: true,
    logger: quietGraphile,
    taskList,
    crontab: "",
    ...config.options,
  });
  return {
    stop: async () => {
      await runner.stop();
      await runner.promise.catch(() => {});
    },
  };
}

/** Enqueues `n` no-op jobs in one statement inside a transaction; `t0` is taken just before COMMIT. */
async function enqueueBulk(target: "gantry" | "graphile", n: number): Promise<{ enqueueMs: number; t0: number }> {
  const client = target === "gantry" ? gantryClient : graphileClient;
  const conn = await client.reserve();
  try {
    await conn`begin`;
    const started = performance.now();
    if (target === "gantry") {
      const jobs: NewJob[] = Array.from({ length: n }, (_, i) => ({ queue: "async", kind: "noop", payload: { i } }));
      await enqueueMany(conn, jobs);
    } else {
      await conn`
        select graphile_worker.add_jobs(array(
          select row('noop', p::json, null, null, null, null, null, null)::graphile_worker.job_spec
          from unnest(${Array.from({ length: n }, (_, i) => JSON.stringify({ i }))}::text[]) as u(p)))`;
    }
    const enqueueMs = performance.now() - started;
    const t0 = performance.now();
    await conn`commit`;
    return { enqueueMs, t0 };
  } finally {
    conn.release();
  }
}

async function remaining(target: "gantry" | "graphile"): Promise<number> {
  const rows =
    target === "gantry"
      ? await gantryClient<{ n: number }[]>`select count(*)::int as n from queue_jobs`
      : await graphileClient<{ n: number }[]>`select count(*)::int as n from graphile_worker._private_jobs`;
  return rows[0].n;
}

async function freshTables(): Promise<void> {
  // Same starting state for every trial: no rows, no dead tuples, fresh statistics.
  await gantryClient`truncate queue_jobs, queue_dead_letters`;
  await gantryClient`vacuum analyze queue_jobs, queue_counters`;
  await graphileClient`delete from graphile_worker._private_jobs`;
  await graphileClient`vacuum analyze graphile_worker._private_jobs, graphile_worker._private_job_queues, graphile_worker._private_tasks`;
}

// ---------------------------------------------------------------------------------------------
// Phase a: throughput. The consumer starts and goes idle; the jobs are committed in one
// transaction; the clock runs from COMMIT until the handler has run every job and the queue table
// is empty (every completion recorded).

type Trial = { jobsPerSecond: number; enqueuePerSecond: number; seconds: number };
// "gantry c24": Gantry with the handler concurrency graphile-worker's fastest configuration runs
// (for information: Gantry never leases more jobs than it has free slots, so this claims ≤ 24 a time).
type Subject = "gantry" | "gantry c24" | "graphile default" | "graphile fastest" | "bare loop";

function startSubject(subject: Exclude<Subject, "bare loop">, onJob: Handler): Promise<System> {
  if (subject === "gantry") return startGantry(onJob, CONCURRENCY);
  if (subject === "gantry c24") return startGantry(onJob, GRAPHILE_FASTEST_CONCURRENCY);
  return startGraphile(GRAPHILE_CONFIGS.find((c) => `graphile ${c.name}` === subject)!, onJob);
}

async function throughputTrial(subject: Subject): Promise<Trial> {
  await freshTables();
  if (subject === "bare loop") return bareLoopTrial();
  const target = subject.startsWith("gantry") ? "gantry" : "graphile";
  let handled = 0;
  let allHandled!: () => void;
  const handledAll = new Promise<void>((resolve) => (allHandled = resolve));
  const onJob = () => {
    if (++handled === JOBS) allHandled();
  };
  const system = await startSubject(subject, onJob);
  try {
    await sleep(300); // idle: waiting on its doorbell
    const { enqueueMs, t0 } = await enqueueBulk(target, JOBS);
    const deadline = setTimeout(() => allHandled(), 120_000);
    await handledAll;
    clearTimeout(deadline);
    while ((await remaining(target)) > 0) {
      if (performance.now() - t0 > 120_000) throw new Error(`${subject}: jobs still queued after 120 s`);
    }
    const seconds = (performance.now() - t0) / 1000;
    if (handled !== JOBS) throw new Error(`${subject}: handlers ran ${handled} times for ${JOBS} jobs`);
    return { jobsPerSecond: JOBS / seconds, enqueuePerSecond: JOBS / (enqueueMs / 1000), seconds };
  } finally {
    await system.stop();
  }
}

/** The ceiling: one connection claiming (FOR UPDATE SKIP LOCKED) and deleting 500 jobs per statement. */
async function bareLoopTrial(): Promise<Trial> {
  const { enqueueMs, t0 } = await enqueueBulk("gantry", JOBS);
  const conn = await sql.reserve();
  let total = 0;
  try {
    for (;;) {
      const rows = await conn`
        with picked as (
          select id from queue_jobs
          where queue = 'async' and locked_until is null and run_at <= now()
          order by priority desc, run_at, id
          limit ${BARE_BATCH}
          for update skip locked
        )
        delete from queue_jobs q using picked where q.id = picked.id
        returning q.id`;
      if (rows.length === 0) break;
      total += rows.length;
    }
  } finally {
    conn.release();
  }
  const seconds = (performance.now() - t0) / 1000;
  if (total !== JOBS) throw new Error(`bare loop: deleted ${total} of ${JOBS} jobs`);
  return { jobsPerSecond: JOBS / seconds, enqueuePerSecond: JOBS / (enqueueMs / 1000), seconds };
}

// ---------------------------------------------------------------------------------------------
// Phase b: pickup latency on an idle queue. One job at a time, 5–15 ms after the previous one ran;
// latency is from the enqueue call (an autocommit INSERT, so it includes the commit) to the start
// of the handler, in this process.

type Latency = { p50: number; p90: number; p99: number; max: number };

async function pickupTrial(subject: Exclude<Subject, "bare loop">): Promise<Latency> {
  await freshTables();
  const target = subject.startsWith("gantry") ? "gantry" : "graphile";
  const sentAt = new Map<number, number>();
  const latencies: number[] = [];
  let ran: (() => void) | null = null;
  const onJob = (i: number) => {
    const sent = sentAt.get(i);
    if (sent !== undefined) latencies.push(performance.now() - sent);
    ran?.();
  };
  const system = await startSubject(subject, onJob);
  try {
    await sleep(500);
    for (let i = 0; i < PICKUPS; i++) {
      await sleep(5 + Math.random() * 10);
      const started = new Promise<void>((resolve) => (ran = resolve));
      sentAt.set(i, performance.now());
      if (target === "gantry") await enqueue(gantryClient, { queue: "async", kind: "noop", payload: { i } });
      else await graphileClient`select graphile_worker.add_job('noop', ${graphileClient.json({ i })}::json)`;
      const timeout = sleep(5000).then(() => "timeout" as const);
      if ((await Promise.race([started, timeout])) === "timeout") throw new Error(`${subject}: job ${i} was not picked up within 5 s`);
    }
  } finally {
    await system.stop();
  }
  return summarise(latencies);
}

function summarise(values: number[]): Latency {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))];
  return { p50: at(0.5), p90: at(0.9), p99: at(0.99), max: sorted[sorted.length - 1] };
}

function shuffle<T>(items: readonly T[]): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Run

const ALL_SUBJECTS: Subject[] = ["gantry", "gantry c24", "graphile default", "graphile fastest", "bare loop"];
// --only=gantry,bare: a quicker partial run (the line of key figures needs gantry and both graphiles).
const SUBJECTS = flags.only ? ALL_SUBJECTS.filter((s) => flags.only!.split(",").some((o) => s.startsWith(o.trim()))) : ALL_SUBJECTS;
const PICKUP_SUBJECTS = (["gantry", "graphile default", "graphile fastest"] as const).filter((s) => SUBJECTS.includes(s));
const SETTINGS: Record<Subject, string> = {
  gantry: `drain on the async queue: concurrency ${CONCURRENCY}, pool ${GANTRY_POOL}, poll ${GANTRY_POLL_MS} ms, NOTIFY doorbell`,
  "gantry c24": `the same with concurrency ${GRAPHILE_FASTEST_CONCURRENCY} (graphile fastest's), so claims of at most ${GRAPHILE_FASTEST_CONCURRENCY}`,
  "graphile default": GRAPHILE_CONFIGS[0].label,
  "graphile fastest": GRAPHILE_CONFIGS[1].label,
  "bare loop": `1 connection, claim+delete ${BARE_BATCH} per statement, no handlers`,
};

try {
  console.log(
    `queue benchmark: ${JOBS} no-op jobs, best of ${ROUNDS} rounds (order shuffled each round), ${PICKUPS} idle pickups; ` +
      `PostgreSQL ${version} (${embedded ? "embedded" : "DATABASE_URL"}, synchronous_commit ${SYNCHRONOUS_COMMIT}), Node ${process.version}, ${cpus().length} CPUs`,
  );
  const trials = new Map<Subject, Trial[]>(SUBJECTS.map((s) => [s, []]));
  for (let round = 1; round <= ROUNDS; round++) {
    for (const subject of shuffle(SUBJECTS)) {
      const trial = await throughputTrial(subject);
      trials.get(subject)!.push(trial);
      console.log(`  round ${round}: ${subject.padEnd(16)} ${Math.round(trial.jobsPerSecond).toString().padStart(7)} jobs/s (${trial.seconds.toFixed(3)} s)`);
    }
  }
  const pickups = new Map<Subject, Latency>();
  for (const subject of shuffle(PICKUP_SUBJECTS)) {
    const latency = await pickupTrial(subject);
    pickups.set(subject, latency);
    console.log(`  pickup: ${subject.padEnd(16)} p50 ${latency.p50.toFixed(1)} ms, p99 ${latency.p99.toFixed(1)} ms`);
  }

  const rates = (s: Subject) => trials.get(s)!.map((t) => t.jobsPerSecond);
  const best = (s: Subject) => Math.max(...rates(s));
  const median = (s: Subject) => {
    const sorted = rates(s).sort((a, b) => a - b);
    const mid = Math.floor(sorted.length / 2);
    return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
  };
  const int = (n: number) => Math.round(n).toString();
  console.log();
  console.log("throughput, jobs/s (from COMMIT of the batch until every job has run and its completion is recorded)");
  printTable(
    ["system", "best", "median", ...Array.from({ length: ROUNDS }, (_, i) => `#${i + 1}`), "enqueue/s", "settings"],
    SUBJECTS.map((s) => [s, int(best(s)), int(median(s)), ...rates(s).map(int), int(Math.max(...trials.get(s)!.map((t) => t.enqueuePerSecond))), SETTINGS[s]]),
  );
  console.log();
  console.log(`idle pickup latency, ms (enqueue call → handler start, ${PICKUPS} jobs one at a time, 5–15 ms apart)`);
  printTable(
    ["system", "p50", "p90", "p99", "max"],
    PICKUP_SUBJECTS.map((s) => pickups.get(s)!).map((l, i) => [PICKUP_SUBJECTS[i], l.p50.toFixed(1), l.p90.toFixed(1), l.p99.toFixed(1), l.max.toFixed(1)]),
  );
  console.log();

  if (PICKUP_SUBJECTS.length === 3 && SUBJECTS.includes("bare loop")) {
    const g = best("gantry");
    const vs = (s: Subject) => `${(g / best(s)).toFixed(2)}x ${s} (${int(best(s))})`;
    const lat = (s: Subject) => pickups.get(s)!;
    console.log(
      `queue: gantry ${int(g)} jobs/s = ${vs("graphile default")}, ${vs("graphile fastest")}, ${vs("bare loop")}; ` +
        `idle pickup p50 ${lat("gantry").p50.toFixed(1)} ms p99 ${lat("gantry").p99.toFixed(1)} ms ` +
        `(graphile p99 ${lat("graphile default").p99.toFixed(1)} ms default, ${lat("graphile fastest").p99.toFixed(1)} ms fastest)`,
    );
  }
} finally {
  await cleanup();
}

function printTable(header: string[], rows: string[][]): void {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i === 0 || i === cells.length - 1 ? c.padEnd(widths[i]) : c.padStart(widths[i])))
      .join("  ")
      .trimEnd();
  console.log(line(header));
  console.log(widths.map((w) => "-".repeat(w)).join("  "));
  rows.forEach((r) => console.log(line(r)));
}
