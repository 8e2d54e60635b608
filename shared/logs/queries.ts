// The SQL behind run logs: a run's transitions (which state versions exist and whether the run has
// moved past one), the space of its stack (who may read), and whether a worker may still write.
import type { Db } from "../db/connect.ts";
import type { RunState } from "../runs/run.ts";

export type LogRun = Readonly<{ id: string; stackId: string; spaceId: string; state: RunState; terminal: boolean }>;
export type StreamTransition = Readonly<{ seq: number; state: RunState; stateVersion: number; actor: string; createdAt: Date }>;

export async function getLogRun(db: Db, runId: string): Promise<LogRun | null> {
  const [row] = await db<{ id: string; stack_id: string; space_id: string; state: RunState; terminal: boolean }[]>`
    select r.id, r.stack_id, s.space_id, r.state, r.terminal from runs r join stacks s on s.id = r.stack_id where r.id = ${runId}`;
  return row ? { id: row.id, stackId: row.stack_id, spaceId: row.space_id, state: row.state, terminal: row.terminal } : null;
}

/**
 * The transition that opened the state version (stateVersion null: the latest version of the
 * state) and the one after it, if the run has moved on.
 */
export async function streamTransitions(
  db: Db,
  runId: string,
  state: RunState,
  stateVersion: number | null,
): Promise<{ opened: StreamTransition | null; next: StreamTransition | null }> {
  const rows = await db<{ seq: number; state: RunState; state_version: number; actor: string; created_at: Date }[]>`
    with opened as (
      select seq from run_transitions
      where run_id = ${runId} and state = ${state} ${stateVersion === null ? db`` : db`and state_version = ${stateVersion}`}
      order by seq desc limit 1
    )
    select t.seq, t.state, t.state_version, t.actor, t.created_at from run_transitions t, opened o
    where t.run_id = ${runId} and t.seq >= o.seq order by t.seq limit 2`;
  const [opened, next] = rows.map((r) => ({ seq: r.seq, state: r.state, stateVersion: r.state_version, actor: r.actor, createdAt: r.created_at }));
  return { opened: opened ?? null, next: next ?? null };
}

/** Whether the run has entered this version of the state. */
export async function stateVersionExists(db: Db, runId: string, state: RunState, stateVersion: number): Promise<boolean> {
  const [row] = await db`select 1 from run_transitions where run_id = ${runId} and state = ${state} and state_version = ${stateVersion} limit 1`;
  return row !== undefined;
}

/**
 * May this worker still write the run's logs: it is live (not left, its pool not reset) and it
 * holds the run, or the run has ended (the worker still ships the output of its last moments).
 */
export async function workerMayWriteLogs(db: Db, workerId: string, runId: string): Promise<boolean> {
  const [row] = await db`
    select 1 from workers w join worker_pools p on p.id = w.pool_id, runs r
    where w.id = ${workerId} and w.exited_at is null and w.generation = p.generation and r.id = ${runId}
      and ((w.run_id = ${runId} and w.run_accepted) or r.terminal)`;
  return row !== undefined;
}
