// Runs' SQL: creation with the first history record, reads, keyset listings, the stack lock's
// holder, and the scheduling queue in priority order.
import type { Db } from "../db/connect.ts";
import type { ForceApplyMode, RunState, RunType } from "./run.ts";

export type Run = Readonly<{
  id: string;
  stackId: string;
  type: RunType;
  state: RunState;
  terminal: boolean;
  driftDetection: boolean;
  commitSha: string | null;
  commitBranch: string;
  commitMessage: string | null;
  commitAuthor: string | null;
  triggeredBy: string;
  note: string | null;
  command: string | null;
  skipInitialization: boolean;
  forceApply: ForceApplyMode | null;
  runtimeConfig: string | null;
  retryOf: string | null;
  promotedFrom: string | null;
  createdAt: Date;
  updatedAt: Date;
}>;

export type Transition = Readonly<{ runId: string; seq: number; state: RunState; stateVersion: number; actor: string; note: string | null; createdAt: Date }>;

export type NewRun = Readonly<Omit<Run, "state" | "terminal" | "createdAt" | "updatedAt">>;

type Row = Record<string, unknown>;
export const toRun = (r: Row): Run => ({
  id: r.id as string,
  stackId: r.stack_id as string,
  type: r.type as RunType,
  state: r.state as RunState,
  terminal: r.terminal as boolean,
  driftDetection: r.drift_detection as boolean,
  commitSha: r.commit_sha as string | null,
  commitBranch: r.commit_branch as string,
  commitMessage: r.commit_message as string | null,
  commitAuthor: r.commit_author as string | null,
  triggeredBy: r.triggered_by as string,
  note: r.note as string | null,
  command: r.command as string | null,
  skipInitialization: r.skip_initialization as boolean,
  forceApply: r.force_apply as ForceApplyMode | null,
  runtimeConfig: r.runtime_config as string | null,
  retryOf: r.retry_of as string | null,
  promotedFrom: r.promoted_from as string | null,
  createdAt: r.created_at as Date,
  updatedAt: r.updated_at as Date,
});

/** Inserts a QUEUED run and its first history record. */
export async function insertRun(db: Db, run: NewRun): Promise<Run> {
  const [row] = await db<Row[]>`
    insert into runs (id, stack_id, type, state, drift_detection, commit_sha, commit_branch, commit_message, commit_author,
      triggered_by, note, command, skip_initialization, force_apply, runtime_config, retry_of, promoted_from)
    values (${run.id}, ${run.stackId}, ${run.type}, 'QUEUED', ${run.driftDetection}, ${run.commitSha}, ${run.commitBranch},
      ${run.commitMessage}, ${run.commitAuthor}, ${run.triggeredBy}, ${run.note}, ${run.command}, ${run.skipInitialization},
      ${run.forceApply}, ${run.runtimeConfig}, ${run.retryOf}, ${run.promotedFrom})
    returning *`;
  await db`insert into run_transitions (run_id, seq, state, state_version, actor, note) values (${run.id}, 1, 'QUEUED', 1, ${run.triggeredBy}, ${run.note})`;
  return toRun(row);
}

export async function getRun(db: Db, stackId: string, runId: string): Promise<Run | null> {
  const [row] = await db<Row[]>`select * from runs where id = ${runId} and stack_id = ${stackId}`;
  return row ? toRun(row) : null;
}

export async function getRunById(db: Db, runId: string): Promise<Run | null> {
  const [row] = await db<Row[]>`select * from runs where id = ${runId}`;
  return row ? toRun(row) : null;
}

export const RUN_PAGE = 50;

/** A stack's runs of the given types, newest first, older than `before` (keyset on the ULID). */
export async function listRuns(db: Db, stackId: string, types: readonly RunType[], before: string | null, limit = RUN_PAGE): Promise<Run[]> {
  const rows = await db<Row[]>`
    select * from runs
    where stack_id = ${stackId} and type = any(${[...types]}::text[]) ${before ? db`and id < ${before}` : db``}
    order by id desc limit ${limit}`;
  return rows.map(toRun);
}

/** History, newest first (the order spacectl expects). */
export async function runHistory(db: Db, runId: string): Promise<Transition[]> {
  const rows = await db<Row[]>`select * from run_transitions where run_id = ${runId} order by seq desc`;
  return rows.map((r) => ({
    runId: r.run_id as string,
    seq: r.seq as number,
    state: r.state as RunState,
    stateVersion: r.state_version as number,
    actor: r.actor as string,
    note: r.note as string | null,
    createdAt: r.created_at as Date,
  }));
}

/** The run holding the stack's exclusive lock: its oldest unfinished tracked run, task or destroy run. */
export async function lockHolder(db: Db, stackId: string): Promise<string | null> {
  const [row] = await db<{ id: string }[]>`
    select id from runs where stack_id = ${stackId} and not terminal and type in ('TRACKED', 'TASK', 'DESTROY') order by id limit 1`;
  return row?.id ?? null;
}

/** The newest run id of the given types on the stack (isMostRecent). */
export async function newestRunId(db: Db, stackId: string, types: readonly RunType[]): Promise<string | null> {
  const [row] = await db<{ id: string }[]>`select id from runs where stack_id = ${stackId} and type = any(${[...types]}::text[]) order by id desc limit 1`;
  return row?.id ?? null;
}

/**
 * QUEUED runs that may go to READY now, in priority order: blocking runs (the ones holding their
 * stack's lock), then proposed runs, then drift detection runs; FIFO (ULID order) within each.
 */
export async function schedulableRuns(db: Db, limit = 100, stackId: string | null = null): Promise<Run[]> {
  const rows = await db<Row[]>`
    select r.* from runs r
    where r.state = 'QUEUED' ${stackId === null ? db`` : db`and r.stack_id = ${stackId}`}
      and (r.type = 'PROPOSED' or r.id = (
        select b.id from runs b where b.stack_id = r.stack_id and not b.terminal and b.type in ('TRACKED', 'TASK', 'DESTROY') order by b.id limit 1))
    order by case when r.type in ('TRACKED', 'TASK', 'DESTROY') then 0 when r.drift_detection then 2 else 1 end, r.id
    limit ${limit}`;
  return rows.map(toRun);
}
