// Run queries and mutations: thin wrappers over shared/runs, shaping Spacelift's Run type.
import { canRetry, isBlocking, isTerminal, type RunType } from "../../shared/runs/run.ts";
import { getRunById, lockHolder, newestRunId, runHistory, type Run } from "../../shared/runs/queries.ts";
import { hasLogs } from "../../shared/logs/read_model.ts";
import { createTask, promoteRun, retryRun, triggerRun, userAction } from "../../shared/runs/operations.ts";
import { audited, requireActor, seconds, type Context } from "./context.ts";

type Args = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const SAME_LIST: Readonly<Record<RunType, readonly RunType[]>> = Object.freeze({
  TRACKED: ["TRACKED", "DESTROY"],
  DESTROY: ["TRACKED", "DESTROY"],
  PROPOSED: ["PROPOSED"],
  TASK: ["TASK"],
});

const runId = (r: Run) => r.id;

export const runResolvers = {
  Mutation: {
    runTrigger: (_: unknown, { stack, commitSha, runType, runtimeConfig, forceApply }: Args, ctx: Context) =>
      audited(ctx, "run.trigger", "stack", stack, () =>
        triggerRun(ctx.sql, requireActor(ctx), stack, { type: runType ?? null, commitSha: commitSha ?? null, forceApply: forceApply ?? null, runtimeConfig: runtimeConfig?.yaml ?? null }),
      ),
    taskCreate: (_: unknown, { stack, command, skipInitialization }: Args, ctx: Context) =>
      audited(ctx, "task.create", "stack", stack, () => createTask(ctx.sql, requireActor(ctx), stack, command, skipInitialization ?? false)),
    runConfirm: (_: unknown, { stack, run, note }: Args, ctx: Context) =>
      audited(ctx, "run.confirm", "run", run ?? null, () => userAction(ctx.sql, requireActor(ctx), stack, run ?? null, "confirm", note ?? null), runId),
    runDiscard: (_: unknown, { stack, run, note }: Args, ctx: Context) =>
      audited(ctx, "run.discard", "run", run ?? null, () => userAction(ctx.sql, requireActor(ctx), stack, run ?? null, "discard", note ?? null), runId),
    runCancel: (_: unknown, { stack, run, note }: Args, ctx: Context) =>
      audited(ctx, "run.cancel", "run", run, () => userAction(ctx.sql, requireActor(ctx), stack, run, "cancel", note ?? null)),
    runStop: (_: unknown, { stack, run, note }: Args, ctx: Context) =>
      audited(ctx, "run.stop", "run", run, () => userAction(ctx.sql, requireActor(ctx), stack, run, "stop", note ?? null)),
    runRetry: (_: unknown, { stack, run }: Args, ctx: Context) => audited(ctx, "run.retry", "run", run, () => retryRun(ctx.sql, requireActor(ctx), stack, run)),
    runPromote: (_: unknown, { stack, run }: Args, ctx: Context) => audited(ctx, "run.promote", "run", run, () => promoteRun(ctx.sql, requireActor(ctx), stack, run)),
  },
  Run: {
    title: (r: Run) => r.commitMessage ?? r.command ?? r.note ?? `${r.type} run triggered by ${r.triggeredBy}`,
    branch: (r: Run) => r.commitBranch,
    commit: (r: Run) => ({ hash: r.commitSha, message: r.commitMessage, authorName: r.commitAuthor, authorLogin: null, timestamp: null, url: null }),
    createdAt: (r: Run) => seconds(r.createdAt),
    updatedAt: (r: Run) => seconds(r.updatedAt),
    finished: (r: Run) => r.terminal,
    canRetry: (r: Run) => canRetry(r),
    expired: () => false,
    comments: () => [],
    isMostRecent: async (r: Run, _: Args, ctx: Context) => (await newestRunId(ctx.sql, r.stackId, SAME_LIST[r.type])) === r.id,
    history: async (r: Run, _: Args, ctx: Context) =>
      (await runHistory(ctx.sql, r.id)).map((t) => ({
        state: t.state,
        stateVersion: t.stateVersion,
        timestamp: seconds(t.createdAt),
        terminal: isTerminal(t.state),
        hasLogs: hasLogs(t.state),
        note: t.note,
        username: t.actor,
      })),
    blockedBy: async (r: Run, _: Args, ctx: Context) => {
      if (r.state !== "QUEUED" || !isBlocking(r.type)) return null;
      const holder = await lockHolder(ctx.sql, r.stackId);
      return holder && holder !== r.id ? getRunById(ctx.sql, holder) : null;
    },
  },
};
