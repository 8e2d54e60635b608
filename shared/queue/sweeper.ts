// Returns expired leases to the queue. A job whose lease expired on its last attempt goes to the
// dead-letter table: its handler never reported back, which counts as a failure.
import type { Db } from "../db/connect.ts";

export async function sweepExpiredLeases(db: Db): Promise<{ returned: number; buried: number }> {
  const [row] = await db<{ returned: number; buried: number }[]>`
    with expired as (
      select id, attempts >= max_attempts as last from queue_jobs
      where locked_until < now()
      for update skip locked
    ), buried as (
      delete from queue_jobs q using expired e where q.id = e.id and e.last
      returning q.*
    ), dead as (
      insert into queue_dead_letters (id, queue, kind, payload, fifo_key, attempts, last_error, created_at)
      select id, queue, kind, payload, fifo_key, attempts, 'lease expired: the consumer stopped reporting (crashed or stalled)', created_at from buried
      returning queue
    ), counted as (
      update queue_counters c set failed = c.failed + d.n, dead = c.dead + d.n
      from (select queue, count(*) as n from dead group by queue) d where c.queue = d.queue
      returning 1
    ), returned as (
      update queue_jobs q set locked_by = null, locked_until = null,
        last_error = 'lease expired: the consumer stopped reporting (crashed or stalled)'
      from expired e where q.id = e.id and not e.last
      returning 1
    )
    select (select count(*) from returned)::int as returned, (select count(*) from dead)::int as buried,
      (select count(*) from counted)::int as counted`;
  return { returned: row.returned, buried: row.buried };
}
