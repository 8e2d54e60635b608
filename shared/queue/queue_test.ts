import { test } from "uvu";
import * as assert from "uvu/assert";
import { testDatabase, type TestDatabase } from "../db/testing.ts";
import { claim, complete, enqueue, enqueueMany, fail, heartbeat, release } from "./jobs.ts";
import { sweepExpiredLeases } from "./sweeper.ts";
import { queueMetrics } from "./metrics.ts";
import { Consumer, listenForJobs, type Handler } from "./consumer.ts";
import { memoryLogger } from "../log.ts";
import { waitFor } from "../testing/wait.ts";

let db: TestDatabase;
test.before(async () => {
  db = await testDatabase();
});
test.after(async () => {
  await db.drop();
});
test.before.each(async () => {
  await db.sql`truncate queue_jobs, queue_dead_letters`;
  await db.sql`update queue_counters set processed = 0, failed = 0, dead = 0`;
});

test("enqueue joins the caller's transaction", async () => {
  await db.sql.begin(async (tx) => {
    await enqueue(tx, { queue: "async", kind: "a" });
    await tx`select 1/0`.catch(() => {});
    throw new Error("roll back");
  }).catch(() => {});
  assert.is((await db.sql`select count(*)::int as n from queue_jobs`)[0].n, 0);
  await db.sql.begin((tx) => enqueue(tx, { queue: "async", kind: "a" }));
  assert.is((await db.sql`select count(*)::int as n from queue_jobs`)[0].n, 1);
});

test("an unknown queue is refused with a clear error", async () => {
  try {
    await enqueue(db.sql, { queue: "nope" as never, kind: "a" });
    assert.unreachable();
  } catch (error) {
    assert.match((error as Error).message, /unknown queue "nope"/);
  }
});

test("concurrent claims never hand out the same job", async () => {
  await enqueueMany(db.sql, Array.from({ length: 200 }, (_, i) => ({ queue: "async" as const, kind: "k", payload: { i } })));
  const batches = await Promise.all(Array.from({ length: 8 }, (_, i) => claim(db.sql, "async", `w${i}`, 40, 30)));
  const ids = batches.flat().map((j) => j.id);
  assert.is(ids.length, 200);
  assert.is(new Set(ids).size, 200);
  assert.is((await claim(db.sql, "async", "late", 10, 30)).length, 0);
});

test("claim respects priority, then run_at order, and leaves future jobs alone", async () => {
  await enqueue(db.sql, { queue: "async", kind: "low" });
  await enqueue(db.sql, { queue: "async", kind: "high", priority: 10 });
  await enqueue(db.sql, { queue: "async", kind: "later", runAt: new Date(Date.now() + 60_000) });
  const jobs = await claim(db.sql, "async", "w", 10, 30);
  assert.equal(jobs.map((j) => j.kind), ["high", "low"]);
});

test("a FIFO key serialises its jobs; other keys run alongside", async () => {
  await enqueueMany(db.sql, [
    { queue: "async_fifo", kind: "a1", fifoKey: "stack-a" },
    { queue: "async_fifo", kind: "b1", fifoKey: "stack-b" },
    { queue: "async_fifo", kind: "a2", fifoKey: "stack-a" },
    { queue: "async_fifo", kind: "b2", fifoKey: "stack-b" },
  ]);
  const first = await claim(db.sql, "async_fifo", "w", 10, 30);
  assert.equal(first.map((j) => j.kind).sort(), ["a1", "b1"]);
  assert.is((await claim(db.sql, "async_fifo", "w2", 10, 30)).length, 0, "heads are leased: nothing else may run");
  await complete(db.sql, "w", [first.find((j) => j.kind === "a1")!.id]);
  assert.equal((await claim(db.sql, "async_fifo", "w2", 10, 30)).map((j) => j.kind), ["a2"]);
});

test("a failed FIFO head blocks its successors until it succeeds or is buried", async () => {
  await enqueueMany(db.sql, [
    { queue: "async_fifo", kind: "a1", fifoKey: "k", maxAttempts: 2 },
    { queue: "async_fifo", kind: "a2", fifoKey: "k" },
  ]);
  const [head] = await claim(db.sql, "async_fifo", "w", 10, 30);
  assert.is(await fail(db.sql, "w", head, "boom", 0), "retry");
  const [again] = await claim(db.sql, "async_fifo", "w", 10, 30);
  assert.is(again.kind, "a1");
  assert.is(again.attempts, 2);
  assert.is(await fail(db.sql, "w", again, "boom twice", 0), "dead");
  assert.equal((await claim(db.sql, "async_fifo", "w", 10, 30)).map((j) => j.kind), ["a2"]);
});

test("failures back off, then land in the dead-letter table with the last error", async () => {
  const id = await enqueue(db.sql, { queue: "async", kind: "k", maxAttempts: 3, payload: { x: 1 } });
  for (let attempt = 1; attempt <= 3; attempt++) {
    await db.sql`update queue_jobs set run_at = now() where id = ${id}`;
    const [job] = await claim(db.sql, "async", "w", 1, 30);
    assert.is(job.attempts, attempt);
    const outcome = await fail(db.sql, "w", job, `error ${attempt}`, 60_000);
    assert.is(outcome, attempt < 3 ? "retry" : "dead");
    if (attempt < 3) {
      const [row] = await db.sql`select run_at > now() + interval '50 seconds' as later from queue_jobs where id = ${id}`;
      assert.ok(row.later, "retried later, not at once");
    }
  }
  const [dead] = await db.sql`select attempts, last_error, payload from queue_dead_letters where id = ${id}`;
  assert.equal({ ...dead }, { attempts: 3, last_error: "error 3", payload: { x: 1 } });
  const metrics = (await queueMetrics(db.sql)).find((m) => m.queue === "async")!;
  assert.equal([metrics.failed, metrics.dead, metrics.depth], [3, 1, 0]);
});

test("the sweeper returns expired leases and buries jobs that expired on their last attempt", async () => {
  await enqueueMany(db.sql, [{ queue: "async", kind: "again" }, { queue: "async", kind: "last", maxAttempts: 1 }]);
  const jobs = await claim(db.sql, "async", "crashed", 10, 30);
  assert.is(jobs.length, 2);
  assert.equal(await sweepExpiredLeases(db.sql), { returned: 0, buried: 0 }, "live leases are left alone");
  await db.sql`update queue_jobs set locked_until = now() - interval '1 second'`;
  assert.equal(await sweepExpiredLeases(db.sql), { returned: 1, buried: 1 });
  const [back] = await claim(db.sql, "async", "other", 10, 30);
  assert.is(back.kind, "again");
  assert.is(back.attempts, 2);
  const [dead] = await db.sql`select kind, last_error from queue_dead_letters`;
  assert.is(dead.kind, "last");
  assert.match(dead.last_error, /lease expired/);
  assert.is(await complete(db.sql, "crashed", jobs.map((j) => j.id)), 0, "a stale owner cannot complete what it lost");
});

test("heartbeats extend only leases still held; release gives the attempt back", async () => {
  await enqueueMany(db.sql, [{ queue: "async", kind: "a" }, { queue: "async", kind: "b" }]);
  const jobs = await claim(db.sql, "async", "w", 10, 1);
  await db.sql`update queue_jobs set locked_by = 'thief' where id = ${jobs[1].id}`;
  assert.equal(await heartbeat(db.sql, "w", jobs.map((j) => j.id), 60), [jobs[1].id]);
  assert.is(await release(db.sql, "w", [jobs[0].id]), 1);
  const [row] = await db.sql`select attempts, locked_until from queue_jobs where id = ${jobs[0].id}`;
  assert.equal([row.attempts, row.locked_until], [0, null]);
});

test("metrics report depth, age of the oldest job and counters", async () => {
  await db.sql`insert into queue_jobs (queue, kind, run_at) values ('webhooks', 'w', now() - interval '30 seconds'), ('webhooks', 'w', now())`;
  const jobs = await claim(db.sql, "webhooks", "w", 1, 30);
  await complete(db.sql, "w", jobs.map((j) => j.id));
  const m = (await queueMetrics(db.sql)).find((x) => x.queue === "webhooks")!;
  assert.is(m.depth, 1);
  assert.is(m.processed, 1);
  assert.ok(m.oldestAgeSeconds < 5, `the old job was processed first (${m.oldestAgeSeconds})`);
  assert.is((await queueMetrics(db.sql)).length, 5);
});

function consumer(handlers: Record<string, Handler>, options: { pollIntervalMs?: number; concurrency?: number } = {}) {
  return new Consumer({
    sql: db.sql,
    queue: "async",
    registry: new Map(Object.entries(handlers)),
    log: memoryLogger(),
    concurrency: options.concurrency ?? 4,
    leaseSeconds: 30,
    pollIntervalMs: options.pollIntervalMs ?? 60_000,
    backoffBaseMs: 10,
  });
}

test("NOTIFY wakes an idle consumer at once, long before its next poll", async () => {
  const seen: unknown[] = [];
  const c = consumer({ k: async (p) => void seen.push(p) });
  const listener = await listenForJobs(db.sql, [c], ["async"]);
  const controller = new AbortController();
  const loop = c.start(controller.signal);
  await new Promise((r) => setTimeout(r, 100)); // let it go idle
  const started = Date.now();
  await enqueue(db.sql, { queue: "async", kind: "k", payload: { n: 1 } });
  await waitFor(() => seen.length === 1, { timeoutMs: 5000, what: "the job to run" });
  assert.ok(Date.now() - started < 2000);
  controller.abort();
  await loop;
  await c.drain(1000);
  await listener.unlisten();
  await waitFor(async () => (await db.sql`select count(*)::int as n from queue_jobs`)[0].n === 0, { what: "completion recorded" });
});

test("without a doorbell, polling still finds due jobs", async () => {
  const seen: unknown[] = [];
  const c = consumer({ k: async (p) => void seen.push(p) }, { pollIntervalMs: 50 });
  const controller = new AbortController();
  const loop = c.start(controller.signal); // no listener at all
  await db.sql`insert into queue_jobs (queue, kind, run_at) values ('async', 'k', now() + interval '200 milliseconds')`;
  await waitFor(() => seen.length === 1, { timeoutMs: 5000, what: "the polled job to run" });
  controller.abort();
  await loop;
  await c.drain(1000);
});

test("a consumer retries failing jobs, respects concurrency, and dead-letters unknown kinds", async () => {
  let running = 0;
  let peak = 0;
  let flaky = 0;
  const c = consumer(
    {
      slow: async () => {
        peak = Math.max(peak, ++running);
        await new Promise((r) => setTimeout(r, 20));
        running--;
      },
      flaky: async () => {
        if (++flaky < 3) throw new Error("transient");
      },
    },
    { pollIntervalMs: 20, concurrency: 3 },
  );
  await enqueueMany(db.sql, [
    ...Array.from({ length: 12 }, () => ({ queue: "async" as const, kind: "slow" })),
    { queue: "async", kind: "flaky" },
    { queue: "async", kind: "mystery", maxAttempts: 1 },
  ]);
  const controller = new AbortController();
  const loop = c.start(controller.signal);
  await waitFor(async () => (await db.sql`select count(*)::int as n from queue_jobs`)[0].n === 0, { timeoutMs: 10_000, what: "queue to empty" });
  controller.abort();
  await loop;
  await c.drain(1000);
  assert.ok(peak <= 3, `peak concurrency ${peak}`);
  assert.is(peak, 3);
  assert.is(flaky, 3);
  const [dead] = await db.sql`select kind, last_error from queue_dead_letters`;
  assert.equal({ ...dead }, { kind: "mystery", last_error: 'no handler for job kind "mystery"' });
});

test.run();
