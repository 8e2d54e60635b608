// Worker pools and workers: thin wrappers over shared/workers, shaping Spacelift's WorkerPool and
// Worker types. The pool token (config) exists only in the answers that create it.
import { readableSpaces } from "../../shared/auth/roles.ts";
import { invalid } from "../../shared/errors.ts";
import { listPools, listWorkers, poolCounts, waitingRuns } from "../../shared/workers/queries.ts";
import { createWorkerPool, cycleWorkerPool, deleteWorkerPool, readWorkerPool, resetWorkerPool, setWorkerDrained } from "../../shared/workers/operations.ts";
import { workerStatus, type Worker, type WorkerPool } from "../../shared/workers/worker.ts";
import { audited, requireActor, seconds, type Context } from "./context.ts";

type Args = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
type PoolOut = WorkerPool & { token?: string; deleted?: boolean };

const withToken = (r: { pool: WorkerPool; token: string }): PoolOut => ({ ...r.pool, token: r.token });
const poolId = (p: PoolOut) => p.id;

export const workerResolvers = {
  Query: {
    workerPools: async (_: unknown, __: Args, ctx: Context) => {
      const actor = requireActor(ctx);
      return listPools(ctx.sql, actor.admin ? null : readableSpaces(actor, await ctx.tree()));
    },
    workerPool: (_: unknown, { id }: Args, ctx: Context) => readWorkerPool(ctx.sql, requireActor(ctx), id),
  },
  Mutation: {
    workerPoolCreate: (_: unknown, { name, description, labels, space }: Args, ctx: Context) =>
      audited(ctx, "worker_pool.create", "worker_pool", null, async () => withToken(await createWorkerPool(ctx.sql, requireActor(ctx), { name, description, labels, space }, ctx.endpoints)), poolId),
    workerPoolReset: (_: unknown, { id }: Args, ctx: Context) =>
      audited(ctx, "worker_pool.reset", "worker_pool", id, async () => withToken(await resetWorkerPool(ctx.sql, requireActor(ctx), id, ctx.endpoints))),
    workerPoolCycle: (_: unknown, { id }: Args, ctx: Context) =>
      audited(ctx, "worker_pool.cycle", "worker_pool", id, async () => {
        await cycleWorkerPool(ctx.sql, requireActor(ctx), id);
        return true;
      }),
    workerPoolDelete: (_: unknown, { id }: Args, ctx: Context) =>
      audited(ctx, "worker_pool.delete", "worker_pool", id, async (): Promise<PoolOut> => ({ ...(await deleteWorkerPool(ctx.sql, requireActor(ctx), id)), deleted: true })),
    workerDrainSet: (_: unknown, { workerPool, id, drain }: Args, ctx: Context) =>
      audited(ctx, drain ? "worker.drain" : "worker.undrain", "worker", id, () => setWorkerDrained(ctx.sql, requireActor(ctx), workerPool, id, drain)),
  },
  WorkerPool: {
    space: (p: PoolOut) => p.spaceId,
    spaceDetails: async (p: PoolOut, _: Args, ctx: Context) => (await ctx.spaces()).get(p.spaceId),
    config: (p: PoolOut) => p.token ?? null,
    createdAt: (p: PoolOut) => seconds(p.createdAt),
    updatedAt: (p: PoolOut) => seconds(p.updatedAt),
    deleted: (p: PoolOut) => p.deleted ?? false,
    pendingRuns: async (p: PoolOut, _: Args, ctx: Context) => (await poolCounts(ctx.sql, p.id)).pendingRuns,
    busyWorkers: async (p: PoolOut, _: Args, ctx: Context) => (await poolCounts(ctx.sql, p.id)).busyWorkers,
    workersCount: async (p: PoolOut, _: Args, ctx: Context) => (await poolCounts(ctx.sql, p.id)).workersCount,
    workers: (p: PoolOut, _: Args, ctx: Context) => listWorkers(ctx.sql, p.id),
    searchSchedulableRuns: async (p: PoolOut, { input }: Args, ctx: Context) => {
      const first = input.first ?? 50;
      if (!Number.isInteger(first) || first < 1 || first > 100) throw invalid("first must be between 1 and 100");
      if (input.fullTextSearch || input.predicates?.length) throw invalid("searchSchedulableRuns supports first, after and orderBy position ASC only");
      if (input.orderBy && (input.orderBy.field !== "position" || String(input.orderBy.direction).toUpperCase() !== "ASC")) throw invalid("searchSchedulableRuns is ordered by position ASC only");
      if (input.after && !/^\d{1,9}$/.test(input.after)) throw invalid("the cursor in `after` is not one this server issued");
      const offset = input.after ? Number(input.after) : 0;
      const runs = await waitingRuns(ctx.sql, p.id, offset, first + 1);
      const edges = runs.slice(0, first).map((run, i) => ({ cursor: String(offset + i + 1), node: { stackId: run.stackId, run, position: offset + i + 1 } }));
      return { edges, pageInfo: { endCursor: edges.at(-1)?.cursor ?? null, hasNextPage: runs.length > first, hasPreviousPage: offset > 0 } };
    },
  },
  Worker: {
    busy: (w: Worker) => w.runId !== null,
    status: (w: Worker) => workerStatus(w),
    metadata: (w: Worker) => JSON.stringify(w.metadata),
    createdAt: (w: Worker) => seconds(w.createdAt),
    lastSeenAt: (w: Worker) => (w.lastSeenAt ? seconds(w.lastSeenAt) : null),
  },
};
