// Worker pools' and workers' SQL. Secrets arrive here only as scrypt hashes.
import type { Db } from "../db/connect.ts";
import type { Worker, WorkerPool } from "./worker.ts";
import { toRun, type Run } from "../runs/queries.ts";

type Row = Record<string, unknown>;

const toPool = (r: Row): WorkerPool => ({
  id: r.id as string,
  spaceId: r.space_id as string,
  name: r.name as string,
  description: r.description as string,
  labels: r.labels as string[],
  generation: r.generation as number,
  createdAt: r.created_at as Date,
  updatedAt: r.updated_at as Date,
});

export const toWorker = (r: Row): Worker => ({
  id: r.id as string,
  poolId: r.pool_id as string,
  generation: r.generation as number,
  metadata: r.metadata as Record<string, string>,
  drained: r.drained as boolean,
  runId: r.run_id as string | null,
  runLeaseUntil: r.run_lease_until as Date | null,
  runAccepted: r.run_accepted as boolean,
  lastSeenAt: r.last_seen_at as Date | null,
  exitedAt: r.exited_at as Date | null,
  createdAt: r.created_at as Date,
});

export type Hashed = Readonly<{ salt: Buffer; hash: Buffer }>;
export type NewPool = Readonly<{ id: string; spaceId: string; name: string; description: string; labels: readonly string[] }>;

export async function insertPool(db: Db, pool: NewPool, secret: Hashed): Promise<WorkerPool> {
  const [row] = await db<Row[]>`
    insert into worker_pools (id, space_id, name, description, labels, secret_salt, secret_hash)
    values (${pool.id}, ${pool.spaceId}, ${pool.name}, ${pool.description}, ${[...pool.labels]}::text[], ${secret.salt}, ${secret.hash})
    returning *`;
  return toPool(row);
}

export async function getPool(db: Db, id: string): Promise<WorkerPool | null> {
  const [row] = await db<Row[]>`select * from worker_pools where id = ${id}`;
  return row ? toPool(row) : null;
}

/** Pools in `spaces` (null: every space), by id. */
export async function listPools(db: Db, spaces: readonly string[] | null): Promise<WorkerPool[]> {
  const rows = await db<Row[]>`select * from worker_pools ${spaces === null ? db`` : db`where space_id = any(${[...spaces]}::text[])`} order by id`;
  return rows.map(toPool);
}

/** The pool's hashed secret and generation, for checking a registration. */
export async function poolSecret(db: Db, id: string): Promise<(Hashed & { generation: number }) | null> {
  const [row] = await db<{ secret_salt: Buffer; secret_hash: Buffer; generation: number }[]>`
    select secret_salt, secret_hash, generation from worker_pools where id = ${id}`;
  return row ? { salt: row.secret_salt, hash: row.secret_hash, generation: row.generation } : null;
}

/** Replaces the pool's secret and retires every worker registered with the old one. */
export async function replacePoolSecret(db: Db, id: string, secret: Hashed): Promise<WorkerPool> {
  const [row] = await db<Row[]>`
    update worker_pools set secret_salt = ${secret.salt}, secret_hash = ${secret.hash}, generation = generation + 1, updated_at = now()
    where id = ${id} returning *`;
  await db`update workers set exited_at = now() where pool_id = ${id} and exited_at is null`;
  return toPool(row);
}

export async function deletePoolRow(db: Db, id: string): Promise<void> {
  await db`delete from worker_pools where id = ${id}`;
}

export async function stacksUsingPool(db: Db, id: string): Promise<string[]> {
  const rows = await db<{ id: string }[]>`select id from stacks where worker_pool_id = ${id} order by id limit 10`;
  return rows.map((r) => r.id);
}

export type PoolCounts = Readonly<{ pendingRuns: number; busyWorkers: number; workersCount: number }>;

/** READY runs of the pool's stacks, busy workers and live workers. */
export async function poolCounts(db: Db, id: string): Promise<PoolCounts> {
  const [row] = await db<{ pending: number; busy: number; live: number }[]>`
    select
      (select count(*) from runs r join stack_pools sp on sp.stack_id = r.stack_id where sp.pool_id = ${id} and r.state in ('READY', 'CONFIRMED'))::int as pending,
      (select count(*) from workers where pool_id = ${id} and exited_at is null and run_id is not null)::int as busy,
      (select count(*) from workers where pool_id = ${id} and exited_at is null)::int as live`;
  return { pendingRuns: row.pending, busyWorkers: row.busy, workersCount: row.live };
}

export type NewWorker = Readonly<{ id: string; poolId: string; generation: number; metadata: Readonly<Record<string, string>> }>;

export async function insertWorker(db: Db, worker: NewWorker, secret: Hashed): Promise<Worker> {
  const [row] = await db<Row[]>`
    insert into workers (id, pool_id, generation, secret_salt, secret_hash, metadata)
    values (${worker.id}, ${worker.poolId}, ${worker.generation}, ${secret.salt}, ${secret.hash}, ${db.json(worker.metadata as Record<string, string>)})
    returning *`;
  return toWorker(row);
}

/** A registered worker that has not left and belongs to its pool's current generation. */
export async function getLiveWorker(db: Db, id: string): Promise<Worker | null> {
  const [row] = await db<Row[]>`
    select w.* from workers w join worker_pools p on p.id = w.pool_id
    where w.id = ${id} and w.exited_at is null and w.generation = p.generation`;
  return row ? toWorker(row) : null;
}

/** The hashed broker password of a live worker. */
export async function workerSecret(db: Db, id: string): Promise<(Hashed & { poolId: string }) | null> {
  const [row] = await db<{ secret_salt: Buffer; secret_hash: Buffer; pool_id: string }[]>`
    select w.secret_salt, w.secret_hash, w.pool_id from workers w join worker_pools p on p.id = w.pool_id
    where w.id = ${id} and w.exited_at is null and w.generation = p.generation`;
  return row ? { salt: row.secret_salt, hash: row.secret_hash, poolId: row.pool_id } : null;
}

/** The pool's workers that have not left, oldest first. */
export async function listWorkers(db: Db, poolId: string): Promise<Worker[]> {
  const rows = await db<Row[]>`select * from workers where pool_id = ${poolId} and exited_at is null order by id`;
  return rows.map(toWorker);
}

export async function setDrained(db: Db, poolId: string, workerId: string, drained: boolean): Promise<Worker | null> {
  const [row] = await db<Row[]>`
    update workers set drained = ${drained} where id = ${workerId} and pool_id = ${poolId} and exited_at is null returning *`;
  return row ? toWorker(row) : null;
}

/** The worker left: it gets no more runs; an assignment it had not accepted goes back. */
export async function markExited(db: Db, workerId: string): Promise<void> {
  await db`
    update workers set exited_at = now(),
      run_id = case when run_accepted then run_id end,
      run_lease_until = case when run_accepted then run_lease_until end
    where id = ${workerId} and exited_at is null`;
}

/**
 * A heartbeat: the worker was seen now; when it names the run it holds and has accepted, that
 * run's lease runs until now + leaseSeconds. "first": the worker's first heartbeat (it now listens
 * on its topic and may be given runs).
 */
export async function touchWorker(db: Db, poolId: string, workerId: string, runId: string | null, leaseSeconds: number): Promise<"first" | "again" | "unknown"> {
  const [row] = await db<{ first: boolean }[]>`
    update workers w set last_seen_at = now(),
      run_lease_until = case when w.run_accepted and w.run_id is not distinct from ${runId} then now() + make_interval(secs => ${leaseSeconds}) else w.run_lease_until end
    from workers before
    where w.id = ${workerId} and w.pool_id = ${poolId} and w.exited_at is null and before.id = w.id
    returning before.last_seen_at is null as first`;
  return row ? (row.first ? "first" : "again") : "unknown";
}

/** Frees whichever worker holds the run (it ended, or went back to waiting). Returns that worker's pool. */
export async function releaseRun(db: Db, runId: string): Promise<string | null> {
  const [row] = await db<{ pool_id: string }[]>`
    update workers set run_id = null, run_lease_until = null, run_accepted = false where run_id = ${runId} returning pool_id`;
  return row?.pool_id ?? null;
}

/** The live workers of a pool, for messages to all of them. */
export async function liveWorkerIds(db: Db, poolId: string): Promise<string[]> {
  const rows = await db<{ id: string }[]>`select id from workers where pool_id = ${poolId} and exited_at is null order by id`;
  return rows.map((r) => r.id);
}

/**
 * The pool's queue as a fragment (from … order by): READY runs of its stacks, and CONFIRMED ones
 * waiting to apply, not yet assigned, in scheduling order (confirmed applies, then blocking runs,
 * then proposed, then drift detection; FIFO within each). Assignment and listing share it.
 */
export const poolQueue = (db: Db, poolId: string) => db`
  from runs r join stack_pools sp on sp.stack_id = r.stack_id
  where sp.pool_id = ${poolId} and r.state in ('READY', 'CONFIRMED') and not exists (select 1 from workers w where w.run_id = r.id)
  order by case when r.state = 'CONFIRMED' then 0 when r.type in ('TRACKED', 'TASK', 'DESTROY') then 1 when r.drift_detection then 3 else 2 end, r.id`;

/** The pool's queue from `offset`. */
export async function waitingRuns(db: Db, poolId: string, offset: number, limit: number): Promise<Run[]> {
  const rows = await db<Row[]>`select r.* ${poolQueue(db, poolId)} offset ${offset} limit ${limit}`;
  return rows.map(toRun);
}

/** The pool a stack's runs go to: its own, else the default pool; null when neither exists. */
export async function stackPool(db: Db, stackId: string): Promise<string | null> {
  const [row] = await db<{ pool_id: string | null }[]>`select pool_id from stack_pools where stack_id = ${stackId}`;
  return row?.pool_id ?? null;
}
