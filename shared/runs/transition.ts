// The one "lock, change, write back" helper for run states: select … for update, decide the next
// state with a pure function, write it and its history record, all in one transaction. Two
// concurrent changes to one run serialise on the row lock; the second sees the first's result.
// A run that ends frees its worker and, in the same transaction, asks the drain to schedule the
// stack again (the next run may now take the stack's lock) and the freed worker's pool.
import type { Sql, Tx } from "../db/connect.ts";
import { notFound } from "../errors.ts";
import { enqueueMany } from "../queue/jobs.ts";
import { releaseRun } from "../workers/queries.ts";
import { HANDED_BACK_STATES, isBlocking, isTerminal, type RunFacts, type RunState } from "./run.ts";
import { lockHolder, toRun, type Run } from "./queries.ts";
import { schedulePoolJob, scheduleStackJob } from "./scheduling_jobs.ts";
import { releaseLocksOfRun } from "../state/lock.ts";
import { feedbackJob, wantsFeedback } from "../vcs/jobs.ts";
import { policyJobs } from "../policies/jobs.ts";

export type Decide = (run: Run & RunFacts, context: Readonly<{ spaceId: string }>) => RunState | Promise<RunState>;

export async function transitionRun(sql: Sql, stackId: string, runId: string, decide: Decide, actor: string, note: string | null = null): Promise<Run> {
  return sql.begin((tx) => transitionRunIn(tx, stackId, runId, decide, actor, note));
}

/** The same, inside the caller's transaction (which then also holds the run's row lock). */
export async function transitionRunIn(tx: Tx, stackId: string, runId: string, decide: Decide, actor: string, note: string | null = null): Promise<Run> {
  const [row] = await tx<Record<string, unknown>[]>`
    select r.*, s.space_id, s.provider as stack_provider from runs r join stacks s on s.id = r.stack_id
    where r.id = ${runId} and r.stack_id = ${stackId} for update of r`;
  if (!row) throw notFound(`run ${runId} on stack ${stackId}`);
  const run = toRun(row);
  let blockedBy: string | null = null;
  if (run.state === "QUEUED" && isBlocking(run.type)) {
    const holder = await lockHolder(tx, stackId);
    blockedBy = holder !== run.id ? holder : null;
  }
  const to = await decide({ ...run, blockedBy }, { spaceId: row.space_id as string });
  const [updated] = await tx<Record<string, unknown>[]>`
    update runs set state = ${to}, terminal = ${isTerminal(to)}, updated_at = now() where id = ${runId} returning *`;
  await tx`
    insert into run_transitions (run_id, seq, state, state_version, actor, note)
    select ${runId}, coalesce(max(seq), 0) + 1, ${to}, count(*) filter (where state = ${to}) + 1, ${actor}, ${note}
    from run_transitions where run_id = ${runId}`;
  if (isTerminal(to) || HANDED_BACK_STATES.includes(to)) {
    // The worker's part is over: it is free for the pool's next run.
    const pool = await releaseRun(tx, runId);
    // Managed state (shared/state/lock.ts): a Terraform lock the run still holds is released with it.
    await releaseLocksOfRun(tx, stackId, runId);
    await enqueueMany(tx, [...(isTerminal(to) ? [scheduleStackJob(stackId)] : []), ...(pool ? [schedulePoolJob(pool)] : [])]);
  } else if (to === "CONFIRMED") {
    await enqueueMany(tx, [scheduleStackJob(stackId)]); // the apply waits for a worker
  }
  // VCS feedback (shared/vcs/jobs.ts): a run at a commit of a GitHub or GitLab stack reports its new state as a commit status.
  if (wantsFeedback(row.stack_provider, run.commitSha)) await enqueueMany(tx, [feedbackJob(stackId, runId)]);
  // Policies (shared/policies/jobs.ts): trigger policies once a tracked run ends, notification policies on every change.
  await enqueueMany(tx, await policyJobs(tx, stackId, runId, run.type, to, isTerminal(to)));
  return toRun(updated);
}
