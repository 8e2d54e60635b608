import { test } from "uvu";
import * as assert from "uvu/assert";
import { testDatabase, type TestDatabase } from "../shared/db/testing.ts";
import { memoryLogger } from "../shared/log.ts";
import { startEntrypoint } from "../shared/testing/process.ts";
import { waitFor } from "../shared/testing/wait.ts";
import { fireOnce, tickAt } from "./fire.ts";
import { runScheduler } from "./scheduler.ts";
import type { Schedule } from "./schedules.ts";

let db: TestDatabase;
test.before(async () => {
  db = await testDatabase({ max: 20 });
});
test.after(async () => {
  await db.drop();
});

const everySecond: Schedule = { name: "tick", pattern: "* * * * * *", job: (at) => ({ queue: "cronjobs", kind: "tick", payload: { at: at.toISOString() } }) };

test("tickAt maps a late trigger to the tick it belongs to", () => {
  assert.equal(tickAt("*/5 * * * * *", new Date("2026-01-01T00:00:07.900Z"))?.toISOString(), "2026-01-01T00:00:05.000Z");
  assert.equal(tickAt("0 * * * * *", new Date("2026-01-01T00:01:00.003Z"))?.toISOString(), "2026-01-01T00:01:00.000Z");
  assert.is(tickAt("0 0 1 1 *", new Date("2026-06-01T00:00:00Z")), null, "no tick within the lag window");
});

test("a tick fired by ten replicas at once is enqueued exactly once", async () => {
  const at = new Date("2026-01-01T00:00:00Z");
  const ids = await Promise.all(Array.from({ length: 10 }, (_, i) => fireOnce(db.sql, everySecond, at, `r${i}`)));
  assert.is(ids.filter(Boolean).length, 1);
  const [row] = await db.sql`select count(*)::int as n from queue_jobs where kind = 'tick'`;
  assert.is(row.n, 1);
});

const SIDE_BY_SIDE_SECONDS = Number(process.env.GANTRY_TEST_SCHEDULER_SECONDS ?? 60);

test(`two schedulers side by side for ${SIDE_BY_SIDE_SECONDS} s produce each tick's job exactly once`, async () => {
  await db.sql`truncate queue_jobs, cron_fires`;
  const controller = new AbortController();
  const a = runScheduler({ sql: db.sql, log: memoryLogger(), schedules: [everySecond], identity: "a", retryMs: 200 }, controller.signal);
  const b = runScheduler({ sql: db.sql, log: memoryLogger(), schedules: [everySecond], identity: "b", retryMs: 200 }, controller.signal);
  // And two more that skip leadership altogether, as in a split brain: idempotency must hold anyway.
  const rogue = setInterval(() => {
    const at = tickAt(everySecond.pattern, new Date())!;
    void fireOnce(db.sql, everySecond, at, "rogue-1").catch(() => {});
    void fireOnce(db.sql, everySecond, at, "rogue-2").catch(() => {});
  }, 250);
  await new Promise((r) => setTimeout(r, SIDE_BY_SIDE_SECONDS * 1000));
  clearInterval(rogue);
  controller.abort();
  await Promise.all([a, b]);
  const rows = await db.sql<{ at: string; n: number }[]>`select payload->>'at' as at, count(*)::int as n from queue_jobs where kind = 'tick' group by 1 order by 1`;
  const fires = await db.sql<{ by: string }[]>`select enqueued_by as by from cron_fires`;
  assert.ok(rows.length >= SIDE_BY_SIDE_SECONDS - 2, `ticks seen: ${rows.length}`);
  assert.ok(rows.every((r) => r.n === 1), "every tick exactly once");
  const seconds = rows.map((r) => Date.parse(r.at) / 1000);
  for (let i = 1; i < seconds.length; i++) assert.is(seconds[i] - seconds[i - 1], 1, `no tick missing around ${rows[i].at}`);
  const leaders = new Set(fires.map((f) => f.by).filter((by) => by === "a" || by === "b"));
  assert.is(leaders.size, 1, "only one of the two schedulers led");
});

test("when the leader is killed, another replica takes over within seconds", async () => {
  const env = { DATABASE_URL: db.url, LOG_FORMAT: "json", LOG_LEVEL: "info" };
  const first = startEntrypoint("scheduler/main.ts", env);
  const second = startEntrypoint("scheduler/main.ts", env);
  try {
    const leader = await Promise.race([
      first.waitForLine(/leadership acquired/).then(() => first),
      second.waitForLine(/leadership acquired/).then(() => second),
    ]);
    const standby = leader === first ? second : first;
    await waitFor(async () => (await db.sql`select count(*)::int as n from cron_fires where schedule = 'lease_sweeper'`)[0].n > 0, {
      timeoutMs: 15_000,
      what: "the leader to enqueue the lease sweeper",
    });
    const killedAt = Date.now();
    leader.kill("SIGKILL");
    await standby.waitForLine(/leadership acquired/, 15_000);
    const takeover = Date.now() - killedAt;
    assert.ok(takeover < 5000, `takeover took ${takeover} ms`);
    assert.not.match(standby.output(), /leadership acquired[\s\S]*leadership acquired/, "acquired once");
    standby.kill("SIGTERM");
    assert.equal((await standby.exited).code, 0, "exits 0 on SIGTERM");
  } finally {
    first.kill();
    second.kill();
  }
});

test.run();
