// Runs VCS events create, and the proposed runs a newer commit supersedes. Per stack there is one
// run per commit and run type (vcs_runs' primary key), claimed in the transaction that creates the
// run: redeliveries, concurrent deliveries, and a push and a pull request for the same commit all
// end with exactly one run.
import type { Sql } from "../db/connect.ts";
import { GantryError } from "../errors.ts";
import { enqueueMany } from "../queue/jobs.ts";
import { insertRun, type Run } from "../runs/queries.ts";
import { applyUserAction, type RunType } from "../runs/run.ts";
import { runStopJob, scheduleStackJob } from "../runs/scheduling_jobs.ts";
import { transitionRunIn } from "../runs/transition.ts";
import { ulid } from "../runs/ulid.ts";
import { feedbackJob, wantsFeedback } from "./jobs.ts";

export type VcsRunRequest = Readonly<{
  stackId: string;
  type: Extract<RunType, "TRACKED" | "PROPOSED">;
  sha: string;
  branch: string;
  message: string | null;
  author: string | null;
  /** Recorded as the run's trigger: github/<login>, gitlab/<username>, git/poll. */
  triggeredBy: string;
  pullRequest: number | null;
}>;

export type VcsRunOutcome = Readonly<{ created: true; run: Run } | { created: false; runId: string | null; reason: string }>;

export async function createVcsRun(sql: Sql, r: VcsRunRequest): Promise<VcsRunOutcome> {
  return sql.begin(async (tx) => {
    const [stack] = await tx<{ is_disabled: boolean; provider: string }[]>`select is_disabled, provider from stacks where id = ${r.stackId} for update`;
    if (!stack) return { created: false, runId: null, reason: "stack deleted" };
    if (stack.is_disabled) return { created: false, runId: null, reason: "stack disabled" };
    const id = ulid();
    const [claim] = await tx<{ run_id: string; inserted: boolean }[]>`
      insert into vcs_runs (stack_id, commit_sha, run_type, run_id, pull_request)
      values (${r.stackId}, ${r.sha}, ${r.type}, ${id}, ${r.pullRequest})
      on conflict (stack_id, commit_sha, run_type) do update set pull_request = coalesce(vcs_runs.pull_request, excluded.pull_request)
      returning run_id, (xmax = 0) as inserted`;
    if (!claim.inserted) return { created: false, runId: claim.run_id, reason: "a run for this commit exists" };
    const run = await insertRun(tx, {
      id,
      stackId: r.stackId,
      type: r.type,
      driftDetection: false,
      commitSha: r.sha,
      commitBranch: r.branch,
      commitMessage: r.message,
      commitAuthor: r.author,
      triggeredBy: r.triggeredBy,
      note: null,
      command: null,
      skipInitialization: false,
      forceApply: null,
      runtimeConfig: null,
      retryOf: null,
      promotedFrom: null,
    });
    await enqueueMany(tx, [scheduleStackJob(r.stackId), ...(wantsFeedback(stack.provider, r.sha) ? [feedbackJob(r.stackId, id)] : [])]);
    return { created: true, run };
  }) as Promise<VcsRunOutcome>;
}

/**
 * Proposed runs of the stack on the same branch, created before `newer` for another commit and not
 * finished: canceled when they have not started (QUEUED, READY), stopped while initializing or
 * planning (their worker gets SIGINT). Runs a worker is just preparing are left to finish.
 */
export async function supersedeProposedRuns(sql: Sql, stackId: string, branch: string, newer: Readonly<{ id: string; commitSha: string | null }>): Promise<string[]> {
  const older = await sql<{ id: string; state: string }[]>`
    select id, state from runs
    where stack_id = ${stackId} and type = 'PROPOSED' and commit_branch = ${branch} and not terminal and id < ${newer.id}
      and commit_sha is distinct from ${newer.commitSha} and state in ('QUEUED', 'READY', 'INITIALIZING', 'PLANNING')`;
  const done: string[] = [];
  for (const run of older) {
    try {
      await sql.begin(async (tx) => {
        const [holder] = await tx<{ id: string; pool_id: string }[]>`select id, pool_id from workers where run_id = ${run.id} and run_accepted`;
        const chosen: { action: "cancel" | "stop" } = { action: "cancel" };
        await transitionRunIn(
          tx,
          stackId,
          run.id,
          (r) => {
            chosen.action = r.state === "QUEUED" || r.state === "READY" ? "cancel" : "stop";
            return applyUserAction(r, chosen.action);
          },
          "vcs",
          `superseded by run ${newer.id}${newer.commitSha ? ` at ${newer.commitSha.slice(0, 12)}` : ""}`,
        );
        if (holder && chosen.action === "stop") {
          await enqueueMany(tx, [runStopJob({ poolId: holder.pool_id, workerId: holder.id, runId: run.id, signal: "SIGINT", reason: `superseded by run ${newer.id}` })]);
        }
      });
      done.push(run.id);
    } catch (error) {
      // It moved on meanwhile (finished, or into a state that cannot be stopped): leave it.
      if (!(error instanceof GantryError && error.code === "Conflict")) throw error;
    }
  }
  return done;
}
