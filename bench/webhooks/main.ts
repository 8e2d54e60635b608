// The webhooks benchmark: GitHub push deliveries through Gantry's real endpoint (verify, store,
// enqueue, 202) and its real drain (parse, match 1,000 stacks of one monorepo, create the run).
//
//   npm run bench -- webhooks [--stacks=1000] [--pushes=200] [--rate=20] [--duration=10] [--connections=50] [--load-rate=500]
//                             [--synchronous-commit=on|off]
//
// 1. receipt → QUEUED: open-loop pushes at --rate per second, each touching one stack out of
//    --stacks; latency from sending the request to the run's row (its created_at), p50/p99.
// 2. 202 under load: autocannon with --connections for --duration seconds, each request a new
//    delivery id (the drain keeps running), once at a steady --load-rate req/s and once flat out
//    (saturation: latency there is mostly waiting for a database connection); baseline: a bare
//    Hono route answering 202, same server adapter, same settings, measured in the same run.
// Uses DATABASE_URL (it must allow CREATE DATABASE) or an embedded PostgreSQL in a temp dir.
// Prints a table and ends with one line of key figures.
import { randomBytes } from "node:crypto";
import { parseArgs } from "node:util";
import postgres from "postgres";
import autocannon from "autocannon";
import { Hono } from "hono";
import { startScratchPostgres } from "../../shared/db/embedded.ts";
import { createPool } from "../../shared/db/connect.ts";
import { migrate } from "../../shared/db/migrate.ts";
import { withDatabase } from "../../shared/db/testing.ts";
import { createLogger } from "../../shared/log.ts";
import { listenHttp } from "../../shared/net/http.ts";
import { SYSTEM_ACTOR } from "../../shared/auth/roles.ts";
import { createIntegration } from "../../shared/vcs/operations.ts";
import { githubSignature } from "../../shared/vcs/signature.ts";
import { startDrain } from "../../drain/drain.ts";
import { webhookHandlers } from "../../drain/webhooks.ts";
import { webhookRoutes } from "../../server/webhooks/routes.ts";

const { values: flags } = parseArgs({
  args: process.argv.slice(3),
  options: {
    stacks: { type: "string", default: "1000" },
    pushes: { type: "string", default: "200" },
    rate: { type: "string", default: "20" },
    duration: { type: "string", default: "10" },
    connections: { type: "string", default: "50" },
    "load-rate": { type: "string", default: "500" },
    "synchronous-commit": { type: "string", default: "on" },
  },
});
const num = (name: keyof typeof flags) => {
  const n = Number(flags[name]);
  if (!Number.isInteger(n) || n <= 0) {
    console.error(`--${name} must be a positive integer`);
    process.exit(2);
  }
  return n;
};
const STACKS = num("stacks");
const PUSHES = num("pushes");
const RATE = num("rate");
const DURATION = num("duration");
const CONNECTIONS = num("connections");
const LOAD_RATE = num("load-rate");
const SYNC = flags["synchronous-commit"];
if (SYNC !== "on" && SYNC !== "off") {
  console.error("--synchronous-commit must be on or off");
  process.exit(2);
}
const SECRET = "bench-webhook-secret-0123456789";
const key = Buffer.alloc(32, 1);
const log = createLogger({ level: "error" });
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
const pct = (values: number[], p: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
};
const ms = (v: number) => `${v.toFixed(1)} ms`;

const cleanups: Array<() => Promise<unknown>> = [];
async function cleanup() {
  for (const step of cleanups.splice(0).reverse()) await step().catch((e) => console.error(`cleanup: ${e}`));
}
process.once("SIGINT", () => void cleanup().finally(() => process.exit(130)));

try {
  let admin = process.env.DATABASE_URL;
  if (!admin) {
    const embedded = await startScratchPostgres("gantry-bench", log);
    cleanups.push(() => embedded.stop());
    admin = embedded.url;
  }
  const adminSql = postgres(admin, { max: 1, onnotice: () => {} });
  cleanups.push(() => adminSql.end({ timeout: 5 }));
  const name = `gantry_bench_webhooks_${process.pid}_${randomBytes(3).toString("hex")}`;
  await adminSql`create database ${adminSql(name)}`;
  await adminSql`alter database ${adminSql(name)} set synchronous_commit = ${adminSql.unsafe(SYNC)}`;
  cleanups.push(() => adminSql`drop database if exists ${adminSql(name)} with (force)`);
  const sql = createPool(withDatabase(admin, name), { max: 10, applicationName: "gantry-bench" });
  cleanups.push(() => sql.end({ timeout: 5 }));
  await migrate(sql);

  // 1,000 stacks of one monorepo, one project root each.
  await createIntegration(sql, key, SYSTEM_ACTOR, { provider: "GITHUB", spaceId: "root", name: "GitHub", isDefault: true, apiHost: "http://127.0.0.1:9", credentials: { token: "t" }, webhookSecret: SECRET });
  await sql`
    insert into stacks (id, space_id, name, provider, namespace, repository, branch, project_root, vendor, vendor_config)
    select 'stack-' || i, 'root', 'stack ' || i, 'GITHUB', 'acme', 'mono', 'main', 'stacks/' || i, 'OPENTOFU', '{}'::jsonb
    from generate_series(0, ${STACKS - 1}) as i`;

  // The servers: Gantry's endpoint and the baseline, on the same adapter.
  const app = new Hono();
  app.route("/webhooks", webhookRoutes({ sql, log, key, maxBodyBytes: 10 * 1024 * 1024 }));
  const gantry = await listenHttp((r) => app.fetch(r), "127.0.0.1", 0, "bench");
  cleanups.push(() => gantry.close());
  const bare = new Hono();
  bare.post("/webhooks/github", async (c) => {
    await c.req.arrayBuffer();
    return c.json({ status: "queued" }, 202);
  });
  const baseline = await listenHttp((r) => bare.fetch(r), "127.0.0.1", 0, "bench");
  cleanups.push(() => baseline.close());

  const drain = await startDrain({
    sql,
    log,
    registry: new Map(webhookHandlers({ key, publicUrl: "http://gantry" })),
    queue: { leaseSeconds: 60, maxAttempts: 5, pollIntervalMs: 1000, concurrency: { webhooks: 20, async: 1, async_fifo: 1, cronjobs: 1, worker_messages: 1 } },
    queues: ["webhooks"],
    shutdownTimeoutSeconds: 5,
  });
  cleanups.push(() => drain.stop());

  const payload = (i: number, stack: number) =>
    JSON.stringify({
      ref: "refs/heads/main",
      before: (1_000_000 + i).toString(16).padStart(40, "0"),
      after: (i + 1).toString(16).padStart(40, "0"),
      repository: { full_name: "acme/mono", name: "mono", owner: { login: "acme" } },
      commits: [{ id: (i + 1).toString(16).padStart(40, "0"), message: `change ${i}`, author: { name: "A", username: "a" }, added: [], modified: [`stacks/${stack}/main.tf`], removed: [] }],
      head_commit: { id: (i + 1).toString(16).padStart(40, "0"), message: `change ${i}`, author: { name: "A", username: "a" } },
      sender: { login: "a" },
    });
  const headers = (body: string, id: string) => ({ "content-type": "application/json", "x-github-event": "push", "x-github-delivery": id, "x-hub-signature-256": githubSignature(SECRET, new TextEncoder().encode(body)) });
  const gantryUrl = `http://127.0.0.1:${gantry.port}/webhooks/github`;

  // Warm up: connections, prepared statements, the secret cache.
  for (let i = 0; i < 20; i++) {
    const body = payload(900_000 + i, i % STACKS);
    await fetch(gantryUrl, { method: "POST", body, headers: headers(body, `warm-${i}`) });
  }

  // Phase 1: receipt → QUEUED.
  const sentAt = new Map<string, number>();
  const statuses: number[] = [];
  const inFlight: Promise<void>[] = [];
  const started = Date.now();
  for (let i = 0; i < PUSHES; i++) {
    const due = started + (i * 1000) / RATE;
    if (due > Date.now()) await sleep(due - Date.now());
    const body = payload(i, (i * 7919) % STACKS);
    sentAt.set((i + 1).toString(16).padStart(40, "0"), Date.now());
    inFlight.push(fetch(gantryUrl, { method: "POST", body, headers: headers(body, `push-${i}`) }).then(async (r) => {
      statuses.push(r.status);
      await r.arrayBuffer();
    }));
  }
  await Promise.all(inFlight);
  const deadline = Date.now() + 120_000;
  let rows: Array<{ commit_sha: string; created: number }> = [];
  for (;;) {
    rows = await sql<Array<{ commit_sha: string; created: number }>>`select commit_sha, (extract(epoch from created_at) * 1000)::float8 as created from runs where commit_sha = any(${[...sentAt.keys()]}::text[])`;
    if (rows.length >= PUSHES || Date.now() > deadline) break;
    await sleep(50);
  }
  const queued = rows.map((r) => r.created - (sentAt.get(r.commit_sha) as number));
  const accepted = statuses.filter((s) => s === 202).length;

  // Phase 2: the 202 under load, Gantry and the baseline.
  let counter = 0;
  const cannon = (url: string, overallRate?: number) =>
    autocannon({
      url,
      method: "POST",
      connections: CONNECTIONS,
      duration: DURATION,
      ...(overallRate ? { overallRate } : {}),
      requests: [
        {
          setupRequest: (req) => {
            const i = counter++;
            const body = payload(2_000_000 + i, i % STACKS);
            return { ...req, body, headers: headers(body, `load-${i}`) };
          },
        },
      ],
    });
  const baseSteady = await cannon(`http://127.0.0.1:${baseline.port}/webhooks/github`, LOAD_RATE);
  const steady = await cannon(gantryUrl, LOAD_RATE);
  const base = await cannon(`http://127.0.0.1:${baseline.port}/webhooks/github`);
  const real = await cannon(gantryUrl);
  const [{ stored }] = await sql<{ stored: number }[]>`select count(*)::int as stored from vcs_deliveries where delivery_id like 'load-%'`;

  const rowsOut = [
    ["receipt → QUEUED (1 of " + STACKS + " stacks)", `${rows.length}/${PUSHES} runs, ${accepted} × 202`, ms(pct(queued, 50)), ms(pct(queued, 99)), ms(Math.max(...queued))],
    [`202, Gantry at ${LOAD_RATE} req/s`, `${Math.round(steady.requests.average)} req/s, ${steady.non2xx} non-2xx`, ms(steady.latency.p50), ms(steady.latency.p99), ms(steady.latency.max)],
    [`202, bare Hono route at ${LOAD_RATE} req/s (baseline)`, `${Math.round(baseSteady.requests.average)} req/s`, ms(baseSteady.latency.p50), ms(baseSteady.latency.p99), ms(baseSteady.latency.max)],
    [`202, Gantry flat out (${CONNECTIONS} connections, ${DURATION} s)`, `${Math.round(real.requests.average)} req/s, ${real.non2xx} non-2xx, ${stored} stored`, ms(real.latency.p50), ms(real.latency.p99), ms(real.latency.max)],
    [`202, bare Hono route flat out (baseline)`, `${Math.round(base.requests.average)} req/s`, ms(base.latency.p50), ms(base.latency.p99), ms(base.latency.max)],
  ];
  console.log(`\nwebhooks benchmark: ${STACKS} stacks in one repository, synchronous_commit=${SYNC}, node ${process.version}\n`);
  const widths = [0, 1, 2, 3, 4].map((c) => Math.max(...[["measure", "volume", "p50", "p99", "max"], ...rowsOut].map((r) => String(r[c]).length)));
  for (const r of [["measure", "volume", "p50", "p99", "max"], ...rowsOut]) console.log(r.map((v, c) => String(v).padEnd(widths[c])).join("  "));
  const ratio = (a: number, b: number) => `×${(a / Math.max(b, 1)).toFixed(1)}`;
  console.log(`\ntargets: 202 p99 < 20 ms at ${LOAD_RATE} req/s: ${steady.latency.p99 < 20 ? "met" : "NOT met"}; QUEUED p99 < 200 ms: ${pct(queued, 99) < 200 ? "met" : "NOT met"}`);
  console.log(
    `webhooks: 202 p50 ${ms(steady.latency.p50)} p99 ${ms(steady.latency.p99)} at ${LOAD_RATE} req/s (bare ${ms(baseSteady.latency.p99)}, ${ratio(steady.latency.p99, baseSteady.latency.p99)}); flat out ${Math.round(real.requests.average)} req/s p99 ${ms(real.latency.p99)} (bare ${Math.round(base.requests.average)} req/s, ${ratio(real.latency.p99, base.latency.p99)}); receipt→QUEUED p50 ${ms(pct(queued, 50))} p99 ${ms(pct(queued, 99))} (1 of ${STACKS} stacks, ${RATE}/s)`,
  );
} finally {
  await cleanup();
}
