// Per-queue gauges and counters, read from Postgres so any process can report them.
import type { Db } from "../db/connect.ts";
import type { QueueName } from "./jobs.ts";

export type QueueMetrics = Readonly<{
  queue: QueueName;
  depth: number; // jobs waiting (not leased), due or not
  due: number; // of which due now
  leased: number;
  oldestAgeSeconds: number; // age of the oldest due, unleased job
  processed: number;
  failed: number;
  dead: number;
}>;

export async function queueMetrics(db: Db): Promise<QueueMetrics[]> {
  const rows = await db<{ queue: QueueName; depth: number; due: number; leased: number; oldest: number; processed: string; failed: string; dead: string }[]>`
    select c.queue,
      coalesce(s.depth, 0)::int as depth, coalesce(s.due, 0)::int as due, coalesce(s.leased, 0)::int as leased,
      coalesce(s.oldest, 0)::float8 as oldest, c.processed::text, c.failed::text, c.dead::text
    from queue_counters c
    left join (
      select queue,
        count(*) filter (where locked_until is null) as depth,
        count(*) filter (where locked_until is null and run_at <= now()) as due,
        count(*) filter (where locked_until is not null) as leased,
        extract(epoch from now() - min(run_at) filter (where locked_until is null and run_at <= now())) as oldest
      from queue_jobs group by queue
    ) s on s.queue = c.queue
    order by c.queue`;
  return rows.map((r) => ({
    queue: r.queue,
    depth: r.depth,
    due: r.due,
    leased: r.leased,
    oldestAgeSeconds: Math.max(0, r.oldest),
    processed: Number(r.processed),
    failed: Number(r.failed),
    dead: Number(r.dead),
  }));
}
