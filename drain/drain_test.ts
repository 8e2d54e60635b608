import { test } from "uvu";
import * as assert from "uvu/assert";
import { testDatabase, type TestDatabase } from "../shared/db/testing.ts";
import { createPool } from "../shared/db/connect.ts";
import { startRelay } from "../shared/testing/relay.ts";
import { startEntrypoint } from "../shared/testing/process.ts";
import { waitFor } from "../shared/testing/wait.ts";
import { enqueueMany } from "../shared/queue/jobs.ts";
import { createLogger, memoryLogger } from "../shared/log.ts";
import { loadConfig } from "../shared/config/config.ts";
import type { Handler } from "../shared/queue/consumer.ts";
import { startDrain } from "./drain.ts";
import { defaultRegistry } from "./registry.ts";
import { runScheduler } from "../scheduler/scheduler.ts";

let db: TestDatabase;
test.before(async () => {
  db = await testDatabase({ max: 20 });
  await db.sql`create table processed (job_id bigint not null, at timestamptz not null default now())`;
});
test.after(async () => {
  await db.drop();
});
test.before.each(async () => {
  await db.sql`truncate queue_jobs, queue_dead_letters, processed, cron_fires`;
});

const queueSettings = { ...loadConfig({}).queue, pollIntervalMs: 100, leaseSeconds: 5 };

test("a database outage in the middle of the work loses no job", async () => {
  if ((globalThis as { Deno?: unknown }).Deno) {
    // Seen here in about one run in three under Deno 2.9.6: after the relay drops every connection,
    // the process stops making progress altogether (no timer fires, not even the 30 s statement
    // deadlines). Under investigation; the same test runs under Node on every CI pass.
    console.log("SKIP: database outage under Deno: the process can stall after connections are cut (known gap, see the closing note)");
    return;
  }
  const target = new URL(db.url);
  const relay = await startRelay(target.hostname, Number(target.port));
  const sql = createPool(relay.url(db.url), { max: 10 });
  const record: Handler = async (_p, { sql, job }) => {
    await new Promise((r) => setTimeout(r, 2));
    await sql`insert into processed (job_id) values (${job.id})`;
  };
  const log = process.env.DEBUG_TEST ? createLogger({ level: "debug" }) : memoryLogger();
  const drain = await startDrain({ sql, log, registry: new Map([...defaultRegistry({ mqtt: () => null, settings: { acceptTimeoutSeconds: 30, workerTimeoutSeconds: 60 } }), ["record", record]]), queue: queueSettings, shutdownTimeoutSeconds: 5, queues: ["async", "cronjobs"], backoffBaseMs: 50 });
  const controller = new AbortController();
  const scheduler = runScheduler({ sql, log, retryMs: 200, identity: "s" }, controller.signal);
  try {
    const ids = await enqueueMany(db.sql, Array.from({ length: 600 }, (_, i) => ({ queue: "async" as const, kind: "record", payload: { i }, maxAttempts: 20 })));
    await waitFor(async () => (await db.sql`select count(*)::int as n from processed`)[0].n > 50, { what: "work to start" });
    relay.cut(); // as if PostgreSQL restarted: every connection drops, new ones are refused
    await new Promise((r) => setTimeout(r, 1500));
    relay.restore();
    await waitFor(async () => (await db.sql`select count(*)::int as n from queue_jobs where queue = 'async'`)[0].n === 0, {
      timeoutMs: 60_000,
      what: "the queue to empty after the outage",
    });
    // Jobs whose outcome could not be written during the outage come back when their lease
    // expires (the lease sweeper, fired by the scheduler and run by the drain, returns them).
    const done = await db.sql<{ id: string }[]>`select distinct job_id::text as id from processed`;
    const seen = new Set(done.map((r) => r.id));
    assert.is(ids.filter((id) => !seen.has(id)).length, 0, "every job ran at least once");
    assert.is((await db.sql`select count(*)::int as n from queue_dead_letters`)[0].n, 0);
    // The scheduler reconnected too: it fires again after the outage.
    const outageEnd = new Date();
    await waitFor(async () => (await db.sql`select count(*)::int as n from cron_fires where fire_at > ${outageEnd}`)[0].n > 0, {
      timeoutMs: 15_000,
      what: "the scheduler to fire after the outage",
    });
  } finally {
    controller.abort();
    await scheduler;
    await drain.stop();
    await sql.end({ timeout: 1 });
    await relay.close();
  }
});

test("stop lets running jobs finish, returns the leases of jobs past the deadline, and claims no more", async () => {
  let started = 0;
  const slow: Handler = async (payload, { signal }) => {
    started++;
    const ms = (payload as { ms: number }).ms;
    await new Promise<void>((resolve) => {
      const t = setTimeout(resolve, ms);
      signal.addEventListener("abort", () => (clearTimeout(t), resolve()));
    });
    if (signal.aborted) throw new Error("aborted");
  };
  const drain = await startDrain({
    sql: db.sql,
    log: memoryLogger(),
    registry: new Map([["slow", slow]]),
    queue: { ...queueSettings, concurrency: { ...queueSettings.concurrency, async: 2 } },
    shutdownTimeoutSeconds: 1,
    queues: ["async"],
  });
  await enqueueMany(db.sql, [
    { queue: "async", kind: "slow", payload: { ms: 200 } },
    { queue: "async", kind: "slow", payload: { ms: 30_000 } },
    { queue: "async", kind: "slow", payload: { ms: 10 } },
  ]);
  await waitFor(() => started === 2, { what: "two jobs to start" });
  const result = await drain.stop();
  assert.equal(result, { finished: 1, returned: 1 });
  const rows = await db.sql`select payload->>'ms' as ms, attempts, locked_by from queue_jobs order by id`;
  assert.equal(
    rows.map((r) => [r.ms, r.attempts, r.locked_by]),
    [
      ["30000", 0, null],
      ["10", 0, null],
    ],
    "the long job is back in the queue unspent; the third was never claimed",
  );
});

test("the drain process exits 0 on SIGTERM", async () => {
  const drain = startEntrypoint("drain/main.ts", { DATABASE_URL: db.url, LOG_FORMAT: "json", GANTRY_SECRET_KEY: "a-secret-key-for-the-drain-test-0123456789" });
  try {
    await drain.waitForLine(/drain started/);
    drain.kill("SIGTERM");
    const { code } = await drain.exited;
    assert.is(code, 0);
    assert.match(drain.output(), /drain stopped/);
  } finally {
    drain.kill();
  }
});

test.run();
