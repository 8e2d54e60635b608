// What callers do to runs, each checking the caller's role in the stack's space and the run's
// state. New runs start QUEUED; a blocking run waits there behind the run holding the stack's lock.
// A run triggered through the API without a sha records the stack's tracked branch and a null sha
// (the worker clones the branch head); runs from VCS webhooks carry their commit (shared/vcs/).
import type { Sql, Tx } from "../db/connect.ts";
import { GantryError, invalid, notFound } from "../errors.ts";
import { requireRole, type Actor, type Role } from "../auth/roles.ts";
import { spaceTree } from "../spaces/queries.ts";
import { lockStackRow } from "../stacks/queries.ts";
import { checkCanStartRuns, type Stack } from "../stacks/stack.ts";
import { advance, applyUserAction, checkPromote, checkRetry, isBlocking, type ForceApplyMode, type RunState, type RunType, type UserAction } from "./run.ts";
import { getRun, insertRun, lockHolder, type NewRun, type Run } from "./queries.ts";
import { transitionRun, transitionRunIn } from "./transition.ts";
import { ulid } from "./ulid.ts";
import { enqueue } from "../queue/jobs.ts";
import { runStopJob, scheduleStackJob } from "./scheduling_jobs.ts";
import { requireApproval } from "../policies/approval.ts";

export type Trigger = Readonly<{
  type?: RunType | null;
  commitSha?: string | null;
  forceApply?: ForceApplyMode | null;
  runtimeConfig?: string | null;
  note?: string | null;
  driftDetection?: boolean;
}>;

const MAX_COMMAND = 64 * 1024;

async function startRun(sql: Sql, actor: Actor, stackId: string, needed: Role, doing: string, build: (stack: Stack, tx: Tx) => Promise<Omit<NewRun, "id" | "stackId" | "triggeredBy">>): Promise<Run> {
  return sql.begin(async (tx) => {
    const stack = await lockStackRow(tx, stackId);
    requireRole(actor, await spaceTree(tx), stack.spaceId, needed, doing);
    checkCanStartRuns(stack, actor);
    const fields = await build(stack, tx);
    const run = await insertRun(tx, { id: ulid(), stackId, triggeredBy: actor.login, ...fields });
    await enqueue(tx, scheduleStackJob(stackId));
    return run;
  });
}

/** runTrigger: a tracked (default), proposed or destroy run at a commit sha or the tracked branch's head. */
export async function triggerRun(sql: Sql, actor: Actor, stackId: string, trigger: Trigger): Promise<Run> {
  const type = trigger.type ?? "TRACKED";
  if (type === "TASK") throw invalid("tasks are created with taskCreate");
  if (trigger.forceApply && type !== "TRACKED") throw invalid("forceApply applies to tracked runs only");
  if (trigger.commitSha !== undefined && trigger.commitSha !== null && !/^[0-9a-fA-F]{4,64}$/.test(trigger.commitSha)) throw invalid("commitSha must be a hexadecimal commit sha");
  const needed: Role = trigger.runtimeConfig ? "admin" : "write";
  const doing = trigger.runtimeConfig ? "triggering a run with a custom runtime configuration" : `triggering a ${type.toLowerCase()} run`;
  return startRun(sql, actor, stackId, needed, doing, async (stack) => ({
    type,
    driftDetection: trigger.driftDetection ?? false,
    commitSha: trigger.commitSha ?? null,
    commitBranch: stack.branch,
    commitMessage: null,
    commitAuthor: null,
    note: trigger.note ?? null,
    command: null,
    skipInitialization: false,
    forceApply: trigger.forceApply ?? null,
    runtimeConfig: trigger.runtimeConfig ?? null,
    retryOf: null,
    promotedFrom: null,
  }));
}

/** taskCreate: a one-off command, serialised with tracked runs. */
export async function createTask(sql: Sql, actor: Actor, stackId: string, command: string, skipInitialization: boolean): Promise<Run> {
  if (command.trim() === "") throw invalid("a task needs a command");
  if (command.length > MAX_COMMAND) throw invalid(`a task command is limited to ${MAX_COMMAND} characters`);
  return startRun(sql, actor, stackId, "write", "creating a task", async (stack) => ({
    type: "TASK",
    driftDetection: false,
    commitSha: null,
    commitBranch: stack.branch,
    commitMessage: null,
    commitAuthor: null,
    note: null,
    command,
    skipInitialization,
    forceApply: null,
    runtimeConfig: null,
    retryOf: null,
    promotedFrom: null,
  }));
}

async function mustGetRun(sql: Sql | Tx, stackId: string, runId: string): Promise<Run> {
  const run = await getRun(sql, stackId, runId);
  if (!run) throw notFound(`run ${runId} on stack ${stackId}`);
  return run;
}

/** runRetry: a new run of the same type at the same commit. Proposed runs need read, tracked runs write. */
export async function retryRun(sql: Sql, actor: Actor, stackId: string, runId: string): Promise<Run> {
  const original = await mustGetRun(sql, stackId, runId);
  const needed: Role = isBlocking(original.type) ? "write" : "read";
  return startRun(sql, actor, stackId, needed, "retrying a run", async () => {
    checkRetry(original);
    return { ...copyCommit(original), type: original.type, driftDetection: original.driftDetection, retryOf: original.id, promotedFrom: null };
  });
}

/** runPromote: a FINISHED proposed run becomes a new tracked run at the same commit. */
export async function promoteRun(sql: Sql, actor: Actor, stackId: string, runId: string): Promise<Run> {
  const original = await mustGetRun(sql, stackId, runId);
  return startRun(sql, actor, stackId, "write", "promoting a run", async (stack) => {
    checkPromote(original, stack);
    return { ...copyCommit(original), type: "TRACKED", driftDetection: false, retryOf: null, promotedFrom: original.id };
  });
}

function copyCommit(run: Run) {
  return {
    commitSha: run.commitSha,
    commitBranch: run.commitBranch,
    commitMessage: run.commitMessage,
    commitAuthor: run.commitAuthor,
    note: null,
    command: run.command,
    skipInitialization: run.skipInitialization,
    forceApply: null,
    runtimeConfig: run.runtimeConfig,
  };
}

/** The role a user action needs: confirm and discard write; cancel and stop read on proposed runs, write on blocking ones. */
export function roleFor(action: UserAction, type: RunType): Role {
  if (action === "cancel" || action === "stop" || action === "kill") return isBlocking(type) ? "write" : "read";
  return "write";
}

/** runConfirm / runDiscard / runCancel / runStop. Without a run id: the run holding the stack's lock. */
export async function userAction(sql: Sql, actor: Actor, stackId: string, runId: string | null, action: UserAction, note: string | null = null): Promise<Run> {
  let id = runId;
  if (id === null) {
    id = await lockHolder(sql, stackId);
    if (id === null) {
      const [exists] = await sql`select 1 from stacks where id = ${stackId}`;
      throw notFound(exists ? `run blocking stack ${stackId}` : `stack ${stackId}`);
    }
  }
  const tree = await spaceTree(sql);
  const runId_: string = id;
  if (action === "confirm") {
    // Approval policies (shared/policies/approval.ts) must approve an UNCONFIRMED run first; evaluated outside the transaction so the evaluation is recorded either way.
    const waiting = await getRun(sql, stackId, runId_);
    if (waiting) await requireApproval(sql, waiting);
  }
  return sql.begin(async (tx) => {
    // The worker executing the run, if any: told to signal its tool once the state is decided.
    const [holder] = await tx<{ id: string; pool_id: string }[]>`select id, pool_id from workers where run_id = ${runId_} and run_accepted`;
    const run = await transitionRunIn(
      tx,
      stackId,
      runId_,
      (r, { spaceId }) => {
        requireRole(actor, tree, spaceId, roleFor(action, r.type), `${ACTION_DOING[action]} a run`);
        return applyUserAction(r, action);
      },
      actor.login,
      note,
    );
    if (holder && (action === "stop" || action === "kill")) {
      const reason = `${action === "stop" ? "stopped" : "killed"} by ${actor.login}${note ? `: ${note}` : ""}`;
      await enqueue(tx, runStopJob({ poolId: holder.pool_id, workerId: holder.id, runId: runId_, signal: action === "kill" ? "SIGKILL" : "SIGINT", reason }));
    }
    return run;
  });
}

const ACTION_DOING: Readonly<Record<UserAction, string>> = Object.freeze({ confirm: "confirming", discard: "discarding", cancel: "canceling", stop: "stopping", kill: "killing" });

/** The scheduler's and workers' transitions; `actor` is recorded. */
export async function advanceRun(sql: Sql, stackId: string, runId: string, to: RunState, actor = "system", note: string | null = null): Promise<Run> {
  if (!to) throw new GantryError("Invalid", "a target state is required");
  return transitionRun(sql, stackId, runId, (run) => advance(run, to), actor, note);
}
