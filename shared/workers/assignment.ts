// Handing READY runs (and CONFIRMED ones, to apply) to workers. Per pool, under a
// transaction-scoped advisory lock: the idle, undrained, recently seen workers of the pool take the
// pool's waiting runs in scheduling order (confirmed applies, then blocking runs, then proposed,
// then drift detection; FIFO within each), one run per worker. An assignment holds the run for the worker until a deadline; the worker accepts it over
// HTTPS (operations.ts), or loses it to the sweep below, and the run waits for the next worker.
import type { Sql } from "../db/connect.ts";
import { GantryError } from "../errors.ts";
import { advance } from "../runs/run.ts";
import { transitionRunIn } from "../runs/transition.ts";
import { setNeedsAttention } from "../runs/results.ts";
import { poolQueue, releaseRun } from "./queries.ts";
import type { Config } from "../config/config.ts";

export type Assignment = Readonly<{ poolId: string; workerId: string; runId: string; stackId: string; acceptBy: Date }>;

export type SchedulingSettings = Readonly<{
  /** How long a worker has to accept an assignment. */
  acceptTimeoutSeconds: number;
  /** A worker silent this long gets no runs, and the run it holds loses its lease. */
  workerTimeoutSeconds: number;
  /**
   * RUN_TIMEOUT_SECONDS: the worker stops a run that takes longer; the server fails one still held
   * OVERDUE_MARGIN_SECONDS after that (a worker that heartbeats but never ends its run).
   */
  runTimeoutSeconds?: number;
}>;

export const OVERDUE_MARGIN_SECONDS = 300;

/** The drain's scheduling settings from the configuration. */
export const schedulingSettings = (config: Pick<Config, "workers" | "runs">): SchedulingSettings => ({
  acceptTimeoutSeconds: config.workers.acceptTimeoutSeconds,
  workerTimeoutSeconds: config.workers.timeoutSeconds,
  runTimeoutSeconds: config.runs.timeoutSeconds,
});

export async function assignRuns(sql: Sql, poolId: string, settings: SchedulingSettings): Promise<Assignment[]> {
  return sql.begin(async (tx) => {
    await tx`select pg_advisory_xact_lock(hashtext(${`gantry:pool:${poolId}`}))`;
    const idle = await tx<{ id: string }[]>`
      select w.id from workers w join worker_pools p on p.id = w.pool_id
      where w.pool_id = ${poolId} and w.exited_at is null and w.generation = p.generation and not w.drained and w.run_id is null
        and w.last_seen_at > now() - make_interval(secs => ${settings.workerTimeoutSeconds})
      order by w.last_seen_at desc, w.id
      for update of w skip locked`;
    if (idle.length === 0) return [];
    const ready = await tx<{ id: string; stack_id: string }[]>`
      select r.id, r.stack_id ${poolQueue(tx, poolId)} limit ${idle.length} for share of r skip locked`;
    if (ready.length === 0) return [];
    const pairs = ready.map((run, i) => ({ run, worker: idle[i].id }));
    const rows = await tx<{ id: string; run_id: string; run_lease_until: Date }[]>`
      update workers w set run_id = t.run_id, run_lease_until = now() + make_interval(secs => ${settings.acceptTimeoutSeconds}), run_accepted = false
      from unnest(${pairs.map((p) => p.worker)}::text[], ${pairs.map((p) => p.run.id)}::text[]) as t(worker_id, run_id)
      where w.id = t.worker_id and w.run_id is null
      returning w.id, w.run_id, w.run_lease_until`;
    const stackOf = new Map(ready.map((r) => [r.id, r.stack_id]));
    return rows.map((r) => ({ poolId, workerId: r.id, runId: r.run_id, stackId: stackOf.get(r.run_id)!, acceptBy: r.run_lease_until }));
  });
}

/** Pools with READY runs (or CONFIRMED ones, waiting to apply) waiting for a worker. */
export async function poolsWithWaitingRuns(sql: Sql): Promise<string[]> {
  const rows = await sql<{ pool: string }[]>`
    select distinct sp.pool_id as pool from runs r join stack_pools sp on sp.stack_id = r.stack_id
    where r.state in ('READY', 'CONFIRMED') and sp.pool_id is not null and not exists (select 1 from workers w where w.run_id = r.id)`;
  return rows.map((r) => r.pool);
}

/** Assignments not accepted in time go back: their runs wait in READY again. Returns the pools concerned. */
export async function expireAssignments(sql: Sql): Promise<{ pools: string[]; runs: string[] }> {
  const rows = await sql<{ pool_id: string; run_id: string }[]>`
    with expired as (
      select id, run_id from workers where run_id is not null and not run_accepted and run_lease_until < now() for update skip locked
    )
    update workers w set run_id = null, run_lease_until = null
    from expired e where w.id = e.id
    returning w.pool_id, e.run_id`;
  return { pools: [...new Set(rows.map((r) => r.pool_id))], runs: rows.map((r) => r.run_id) };
}

/** States in which a lost worker may have left infrastructure half changed. */
const CHANGING: readonly string[] = ["PREPARING_APPLY", "APPLYING", "DESTROYING"];

/**
 * Accepted runs whose worker stopped sending heartbeats: the run fails with the reason "worker
 * lost" and the worker is freed. An apply or destroy is never retried by itself: its stack is
 * marked as needing attention instead.
 */
export async function failLostRuns(sql: Sql): Promise<string[]> {
  const lost = await sql<{ id: string; run_id: string; stack_id: string; state: string }[]>`
    select w.id, w.run_id, r.stack_id, r.state from workers w join runs r on r.id = w.run_id
    where w.run_accepted and w.run_lease_until < now()`;
  const failed: string[] = [];
  for (const l of lost) {
    try {
      const reason = `worker lost: worker ${l.id} stopped sending heartbeats`;
      await sql.begin(async (tx) => {
        await transitionRunIn(tx, l.stack_id, l.run_id, (r) => advance(r, "FAILED"), `worker::${l.id}`, reason);
        if (CHANGING.includes(l.state)) await setNeedsAttention(tx, l.stack_id, `run ${l.run_id} failed while ${l.state}: ${reason}; check the infrastructure, then trigger a tracked run`);
      });
      failed.push(l.run_id);
    } catch (error) {
      if (!(error instanceof GantryError && error.code === "Conflict")) throw error;
      await releaseRun(sql, l.run_id);
    }
  }
  return failed;
}

/**
 * Runs a worker has held for longer than the run timeout plus a margin, though it keeps sending
 * heartbeats: they fail, the worker is freed (and told to stop, by the caller), and an apply or
 * destroy leaves its stack needing attention, as with a lost worker.
 */
export async function failOverdueRuns(sql: Sql, settings: SchedulingSettings): Promise<Array<Readonly<{ runId: string; workerId: string; poolId: string }>>> {
  const limit = (settings.runTimeoutSeconds ?? 4200) + OVERDUE_MARGIN_SECONDS;
  const overdue = await sql<{ id: string; pool_id: string; run_id: string; stack_id: string; state: string }[]>`
    select w.id, w.pool_id, w.run_id, r.stack_id, r.state from workers w join runs r on r.id = w.run_id
    where w.run_accepted and (
      select max(t.created_at) from run_transitions t where t.run_id = r.id and t.state in ('PREPARING', 'PREPARING_APPLY')
    ) < now() - make_interval(secs => ${limit})`;
  const failed: Array<Readonly<{ runId: string; workerId: string; poolId: string }>> = [];
  for (const o of overdue) {
    const reason = `run timed out: still running ${limit} s after a worker took it (RUN_TIMEOUT_SECONDS ${settings.runTimeoutSeconds ?? 4200} s and a ${OVERDUE_MARGIN_SECONDS} s margin)`;
    try {
      await sql.begin(async (tx) => {
        await transitionRunIn(tx, o.stack_id, o.run_id, (r) => advance(r, "FAILED"), "system", reason);
        if (CHANGING.includes(o.state)) await setNeedsAttention(tx, o.stack_id, `run ${o.run_id} failed while ${o.state}: ${reason}; check the infrastructure, then trigger a tracked run`);
      });
      failed.push({ runId: o.run_id, workerId: o.id, poolId: o.pool_id });
    } catch (error) {
      if (!(error instanceof GantryError && error.code === "Conflict")) throw error;
    }
  }
  return failed;
}
