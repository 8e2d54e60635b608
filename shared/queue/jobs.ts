// The queue's SQL. Every function takes the connection first so a caller can enqueue inside its
// own transaction.
import type { Db } from "../db/connect.ts";
import { QUEUE_NAMES, type QueueName } from "../config/config.ts";
import { invalid } from "../errors.ts";

export { QUEUE_NAMES, type QueueName };

export type Job = Readonly<{
  id: string; // bigint as text
  queue: QueueName;
  kind: string;
  payload: unknown;
  fifoKey: string | null;
  attempts: number;
  maxAttempts: number;
  createdAt: Date;
  runAt: Date;
}>;

export type NewJob = Readonly<{
  queue: QueueName;
  kind: string;
  payload?: unknown;
  fifoKey?: string | null;
  priority?: number;
  runAt?: Date;
  maxAttempts?: number;
}>;

export const DEFAULT_MAX_ATTEMPTS = 5;

function checkJob(job: NewJob): void {
  if (!QUEUE_NAMES.includes(job.queue)) throw invalid(`unknown queue "${job.queue}"`);
  if (!job.kind) throw invalid("a job needs a kind");
}

/** Enqueues one job on `db`, which may be the caller's transaction. Returns the job id. */
export async function enqueue(db: Db, job: NewJob): Promise<string> {
  const [id] = await enqueueMany(db, [job]);
  return id;
}

/** Enqueues many jobs in one statement (one array parameter per column). */
export async function enqueueMany(db: Db, jobs: readonly NewJob[], defaults: { maxAttempts?: number } = {}): Promise<string[]> {
  if (jobs.length === 0) return [];
  jobs.forEach(checkJob);
  const rows = await db<{ id: string }[]>`
    insert into queue_jobs (queue, kind, payload, fifo_key, priority, run_at, max_attempts)
    select queue, kind, payload::jsonb, fifo_key, priority, run_at, max_attempts from unnest(
      ${jobs.map((j) => j.queue)}::text[],
      ${jobs.map((j) => j.kind)}::text[],
      ${jobs.map((j) => JSON.stringify(j.payload ?? {}))}::text[],
      ${jobs.map((j) => j.fifoKey ?? null)}::text[],
      ${jobs.map((j) => j.priority ?? 0)}::int[],
      ${jobs.map((j) => (j.runAt ?? new Date()).toISOString())}::timestamptz[],
      ${jobs.map((j) => j.maxAttempts ?? defaults.maxAttempts ?? DEFAULT_MAX_ATTEMPTS)}::int[]
    ) as t(queue, kind, payload, fifo_key, priority, run_at, max_attempts)
    returning id::text`;
  return rows.map((r) => r.id);
}

type JobRow = {
  id: string;
  queue: QueueName;
  kind: string;
  payload: unknown;
  fifo_key: string | null;
  attempts: number;
  max_attempts: number;
  created_at: Date;
  run_at: Date;
};

const toJob = (r: JobRow): Job => ({
  id: r.id,
  queue: r.queue,
  kind: r.kind,
  payload: r.payload,
  fifoKey: r.fifo_key,
  attempts: r.attempts,
  maxAttempts: r.max_attempts,
  createdAt: r.created_at,
  runAt: r.run_at,
});

// The hot statements on queue_jobs (claim, heartbeat, complete) run unprepared: planned at each
// call for the table as it is then. The table swings between empty and full, and a prepared
// statement's cached generic plan made while it was empty (right after autovacuum, say) scans the
// whole table: each 500-job claim of a 10,000-job burst took ~0.8 s. Planning them costs far less
// than a millisecond per batch. This is the one place outside the migrator that uses sql.unsafe;
// the text is constant and every value is a parameter.
const UNPREPARED = { prepare: false } as const;

const CLAIM = `
  with picked as (
    select j.id from queue_jobs j
    where j.queue = $1 and j.locked_until is null and j.run_at <= now()
      and (j.fifo_key is null or not exists (
        select 1 from queue_jobs k where k.queue = j.queue and k.fifo_key = j.fifo_key and k.id < j.id))
    order by j.priority desc, j.run_at, j.id
    limit $2
    for update skip locked
  )
  update queue_jobs q
  set locked_by = $3, locked_until = now() + make_interval(secs => $4), attempts = q.attempts + 1
  from picked where q.id = picked.id
  returning q.id::text, q.queue, q.kind, q.payload, q.fifo_key, q.attempts, q.max_attempts, q.created_at, q.run_at`;

const HEARTBEAT = `
  update queue_jobs set locked_until = now() + make_interval(secs => $1)
  where id = any($2::bigint[]) and locked_by = $3
  returning id::text`;

const COMPLETE = `
  with done as (
    delete from queue_jobs where id = any($1::bigint[]) and locked_by = $2 returning queue
  ), counted as (
    update queue_counters c set processed = c.processed + d.n
    from (select queue, count(*) as n from done group by queue) d where c.queue = d.queue
    returning d.n
  )
  select coalesce(sum(n), 0)::int as n from counted`;

/**
 * Claims up to `limit` due jobs in one statement and leases them to `owner`. A job with a FIFO key
 * is claimable only while it is the oldest job of that key, so jobs sharing a key run one at a
 * time, in order.
 */
export async function claim(db: Db, queue: QueueName, owner: string, limit: number, leaseSeconds: number): Promise<Job[]> {
  const rows = await db.unsafe<JobRow[]>(CLAIM, [queue, limit, owner, leaseSeconds], UNPREPARED);
  return rows.map(toJob);
}

/** Extends the leases `owner` still holds; returns the ids it no longer holds. */
export async function heartbeat(db: Db, owner: string, ids: readonly string[], leaseSeconds: number): Promise<string[]> {
  if (ids.length === 0) return [];
  const held = await db.unsafe<{ id: string }[]>(HEARTBEAT, [leaseSeconds, [...ids], owner], UNPREPARED);
  const kept = new Set(held.map((r) => r.id));
  return ids.filter((id) => !kept.has(id));
}

/** Deletes finished jobs still leased to `owner` and counts them as processed. */
export async function complete(db: Db, owner: string, ids: readonly string[]): Promise<number> {
  if (ids.length === 0) return 0;
  const [row] = await db.unsafe<{ n: number }[]>(COMPLETE, [[...ids], owner], UNPREPARED);
  return row.n;
}

/**
 * Records a failed attempt. Below max attempts the job is released to run again at now + backoff;
 * at max attempts it moves to the dead-letter table with its last error.
 */
export async function fail(db: Db, owner: string, job: Pick<Job, "id" | "attempts" | "maxAttempts">, error: string, backoffMs: number): Promise<"retry" | "dead" | "lost"> {
  const message = error.slice(0, 4000);
  if (job.attempts >= job.maxAttempts) {
    const [row] = await db<{ n: number }[]>`
      with moved as (
        delete from queue_jobs where id = ${job.id} and locked_by = ${owner} returning *
      ), buried as (
        insert into queue_dead_letters (id, queue, kind, payload, fifo_key, attempts, last_error, created_at)
        select id, queue, kind, payload, fifo_key, attempts, ${message}, created_at from moved
        returning queue
      ), counted as (
        update queue_counters c set failed = c.failed + 1, dead = c.dead + 1 from buried b where c.queue = b.queue returning 1
      )
      select count(*)::int as n from counted`;
    return row.n ? "dead" : "lost";
  }
  const [row] = await db<{ n: number }[]>`
    with released as (
      update queue_jobs set locked_by = null, locked_until = null, last_error = ${message},
        run_at = now() + make_interval(secs => ${backoffMs / 1000})
      where id = ${job.id} and locked_by = ${owner} returning queue
    ), counted as (
      update queue_counters c set failed = c.failed + 1 from released r where c.queue = r.queue returning 1
    )
    select count(*)::int as n from counted`;
  return row.n ? "retry" : "lost";
}

/** Gives leases back without spending an attempt (graceful shutdown). */
export async function release(db: Db, owner: string, ids: readonly string[]): Promise<number> {
  if (ids.length === 0) return 0;
  const rows = await db`
    update queue_jobs set locked_by = null, locked_until = null, attempts = greatest(attempts - 1, 0)
    where id = any(${ids}::bigint[]) and locked_by = ${owner} returning id`;
  return rows.length;
}

/** Exponential backoff with jitter: base·2^(attempt−1), capped, ±20 %. */
export function backoffMs(attempt: number, baseMs = 1000, capMs = 3_600_000): number {
  const raw = Math.min(capMs, baseMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(raw * (0.8 + Math.random() * 0.4));
}
