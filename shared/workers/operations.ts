// What callers do to worker pools (GraphQL, checked against the caller's role in the pool's space)
// and what workers do (the /worker/* API: register, accept, report, leave; the broker's
// authentication; heartbeats). Secrets are generated here, shown once and stored as scrypt hashes.
import type { Sql } from "../db/connect.ts";
import { conflict, GantryError, invalid, notFound } from "../errors.ts";
import { hashSecret, newSecret, secretMatches } from "../auth/api_key.ts";
import { requireRole, roleIn, type Actor } from "../auth/roles.ts";
import { spaceTree } from "../spaces/queries.ts";
import { checkName } from "../spaces/space.ts";
import { ulid } from "../runs/ulid.ts";
import { enqueue } from "../queue/jobs.ts";
import { JOB_KINDS } from "../queue/kinds.ts";
import { schedulePoolJob } from "../runs/scheduling_jobs.ts";
import type { Principal } from "../mqtt/acl.ts";
import { encodePoolToken } from "./pool_token.ts";
import { issueWorkerToken, verifyWorkerToken } from "./tokens.ts";
import { checkLabels, checkMetadata, type Worker, type WorkerPool } from "./worker.ts";
import type { RegisterResponse } from "./protocol.ts";
import {
  deletePoolRow,
  getLiveWorker,
  getPool,
  insertPool,
  insertWorker,
  markExited,
  poolSecret,
  replacePoolSecret,
  setDrained,
  stacksUsingPool,
  workerSecret,
} from "./queries.ts";

/** Where workers reach Gantry: written into pool tokens. */
export type Endpoints = Readonly<{ serverUrl: string; brokerEndpoint: string }>;
export type PoolInput = Readonly<{ name: string; description?: string | null; labels?: readonly string[] | null; space?: string | null }>;

const unauthorized = (why: string) => new GantryError("Unauthorized", `unauthorized: ${why}`);

async function mustGetPool(sql: Sql, id: string): Promise<WorkerPool> {
  const pool = await getPool(sql, id);
  if (!pool) throw notFound(`worker pool ${id}`);
  return pool;
}

/** workerPoolCreate: the pool and its token, which is never readable again. */
export async function createWorkerPool(sql: Sql, actor: Actor, input: PoolInput, endpoints: Endpoints): Promise<{ pool: WorkerPool; token: string }> {
  const spaceId = input.space ?? "root";
  const tree = await spaceTree(sql);
  if (!tree.has(spaceId)) throw notFound(`space ${spaceId}`);
  requireRole(actor, tree, spaceId, "admin", "creating a worker pool");
  const id = ulid();
  const secret = newSecret();
  const pool = await insertPool(
    sql,
    { id, spaceId, name: checkName(input.name, "worker pool"), description: input.description ?? "", labels: checkLabels(input.labels) },
    await hashSecret(secret),
  );
  return { pool, token: encodePoolToken({ serverUrl: endpoints.serverUrl, broker: { endpoint: endpoints.brokerEndpoint }, poolId: id, secret }) };
}

/** workerPoolReset: a new secret and token; workers registered with the old one are retired. */
export async function resetWorkerPool(sql: Sql, actor: Actor, id: string, endpoints: Endpoints): Promise<{ pool: WorkerPool; token: string }> {
  const before = await mustGetPool(sql, id);
  requireRole(actor, await spaceTree(sql), before.spaceId, "admin", "resetting a worker pool");
  const secret = newSecret();
  const hashed = await hashSecret(secret);
  const pool = await sql.begin((tx) => replacePoolSecret(tx, id, hashed));
  return { pool, token: encodePoolToken({ serverUrl: endpoints.serverUrl, broker: { endpoint: endpoints.brokerEndpoint }, poolId: id, secret }) };
}

/** workerPoolCycle: the drain asks each of the pool's workers to exit. */
export async function cycleWorkerPool(sql: Sql, actor: Actor, id: string): Promise<void> {
  const pool = await mustGetPool(sql, id);
  requireRole(actor, await spaceTree(sql), pool.spaceId, "admin", "cycling a worker pool");
  await enqueue(sql, { queue: "async", kind: JOB_KINDS.poolCycle, payload: { poolId: id } });
}

/** workerPoolDelete: refused while stacks use the pool. */
export async function deleteWorkerPool(sql: Sql, actor: Actor, id: string): Promise<WorkerPool> {
  const pool = await mustGetPool(sql, id);
  requireRole(actor, await spaceTree(sql), pool.spaceId, "admin", "deleting a worker pool");
  const users = await stacksUsingPool(sql, id);
  if (users.length > 0) throw conflict(`worker pool ${id} is used by stacks ${users.join(", ")}`);
  await deletePoolRow(sql, id);
  return pool;
}

/** A pool the actor may read, or null. */
export async function readWorkerPool(sql: Sql, actor: Actor, id: string): Promise<WorkerPool | null> {
  const pool = await getPool(sql, id);
  if (!pool) return null;
  return roleIn(actor, await spaceTree(sql), pool.spaceId) ? pool : null;
}

/** workerDrainSet: a drained worker keeps its current run and gets no new one. */
export async function setWorkerDrained(sql: Sql, actor: Actor, poolId: string, workerId: string, drained: boolean): Promise<Worker> {
  const pool = await mustGetPool(sql, poolId);
  requireRole(actor, await spaceTree(sql), pool.spaceId, "admin", drained ? "draining a worker" : "undraining a worker");
  return sql.begin(async (tx) => {
    const worker = await setDrained(tx, poolId, workerId, drained);
    if (!worker) throw notFound(`worker ${workerId} in pool ${poolId}`);
    if (!drained) await enqueue(tx, schedulePoolJob(poolId));
    return worker;
  });
}

/** Keys derived from the secret key: worker tokens, run tokens, sealed stack configuration. */
export type WorkerKeys = Readonly<{ workerToken: Buffer; runToken: Buffer; config: Buffer }>;

/** POST /worker/register: a pool secret for a worker identity and broker credentials. */
export async function registerWorker(
  sql: Sql,
  keys: Pick<WorkerKeys, "workerToken">,
  request: Readonly<Record<string, unknown>>,
  settings: Readonly<{ brokerEndpoint: string; heartbeatSeconds: number; brokerCredentials?: Readonly<{ username: string; password: string }> | null }>,
): Promise<RegisterResponse> {
  if (typeof request.poolId !== "string" || typeof request.secret !== "string") throw invalid("poolId and secret are required");
  const metadata = checkMetadata(request.metadata);
  const pool = await poolSecret(sql, request.poolId);
  if (!pool || !(await secretMatches(request.secret, pool.salt, pool.hash))) throw unauthorized("unknown worker pool or wrong pool secret (was the pool reset?)");
  const id = ulid();
  const password = newSecret();
  const hashed = await hashSecret(password);
  // Runs come after the first heartbeat, once the worker listens on its topic.
  await insertWorker(sql, { id, poolId: request.poolId as string, generation: pool.generation, metadata }, hashed);
  return {
    workerId: id,
    poolId: request.poolId,
    // An external broker checks its own users: the shared worker credentials when configured.
    broker: { endpoint: settings.brokerEndpoint, ...(settings.brokerCredentials ?? { username: id, password }) },
    workerToken: issueWorkerToken(keys.workerToken, id, request.poolId),
    heartbeatSeconds: settings.heartbeatSeconds,
  };
}

/** The built-in broker's resolveWorker hook: a live worker's broker credentials. */
export async function authenticateWorker(sql: Sql, username: string, password: string): Promise<Principal | null> {
  if (!/^[0-9A-Z]{26}$/.test(username)) return null;
  const secret = await workerSecret(sql, username);
  if (!secret || !(await secretMatches(password, secret.salt, secret.hash))) return null;
  return { kind: "worker", pool: secret.poolId, worker: username };
}

/** The live worker behind a worker token (Authorization: Bearer), else Unauthorized. */
export async function workerFromToken(sql: Sql, keys: Pick<WorkerKeys, "workerToken">, token: string | null): Promise<Worker> {
  const claims = token ? verifyWorkerToken(keys.workerToken, token) : null;
  if (!claims) throw unauthorized("a valid worker token is required");
  const worker = await getLiveWorker(sql, claims.workerId);
  if (!worker || worker.poolId !== claims.poolId) throw unauthorized("this worker has left or its pool was reset; register again");
  return worker;
}

/** POST /worker/leave: the worker shuts down; it gets no more runs and its credentials stop working. */
export async function leave(sql: Sql, worker: Worker): Promise<void> {
  await sql.begin(async (tx) => {
    await markExited(tx, worker.id);
    await enqueue(tx, schedulePoolJob(worker.poolId));
  });
}

/** The payload of a worker_message job: who sent it (from the topic) and what. */
export type ReceivedMessage = Readonly<{ pool: string; worker: string; message: unknown }>;
