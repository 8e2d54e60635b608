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
import { getRunById } from "../runs/queries.ts";
import { transitionRunIn } from "../runs/transition.ts";
import { advance, type RunState } from "../runs/run.ts";
import { getStack } from "../stacks/queries.ts";
import { schedulePoolJob } from "../runs/scheduling_jobs.ts";
import type { Principal } from "../mqtt/acl.ts";
import { encodePoolToken } from "./pool_token.ts";
import { issueRunToken, issueWorkerToken, verifyRunToken, verifyWorkerToken } from "./tokens.ts";
import { checkLabels, checkMetadata, type Worker, type WorkerPool } from "./worker.ts";
import type { AcceptResponse, RegisterResponse, RunSpec } from "./protocol.ts";
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
  toWorker,
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

export type WorkerKeys = Readonly<{ workerToken: Buffer; runToken: Buffer }>;

/** POST /worker/register: a pool secret for a worker identity and broker credentials. */
export async function registerWorker(
  sql: Sql,
  keys: WorkerKeys,
  request: Readonly<Record<string, unknown>>,
  settings: Readonly<{ brokerEndpoint: string; heartbeatSeconds: number }>,
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
    broker: { endpoint: settings.brokerEndpoint, username: id, password },
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
export async function workerFromToken(sql: Sql, keys: WorkerKeys, token: string | null): Promise<Worker> {
  const claims = token ? verifyWorkerToken(keys.workerToken, token) : null;
  if (!claims) throw unauthorized("a valid worker token is required");
  const worker = await getLiveWorker(sql, claims.workerId);
  if (!worker || worker.poolId !== claims.poolId) throw unauthorized("this worker has left or its pool was reset; register again");
  return worker;
}

/**
 * POST /worker/runs/:id/accept: the worker takes the run assigned to it before the deadline. The
 * run goes READY → PREPARING and the deadline becomes a lease. Accepting again answers the same.
 */
export async function acceptRun(sql: Sql, keys: WorkerKeys, worker: Worker, runId: string, leaseSeconds: number): Promise<AcceptResponse> {
  await sql.begin(async (tx) => {
    const [row] = await tx<Record<string, unknown>[]>`select * from workers where id = ${worker.id} for update`;
    const current = toWorker(row);
    if (current.runId !== runId) throw conflict(`run ${runId} is not assigned to worker ${worker.id}`);
    if (current.runAccepted) return;
    if ((current.runLeaseUntil as Date).getTime() < Date.now()) throw conflict(`the assignment of run ${runId} expired`);
    const run = await getRunById(tx, runId);
    if (!run) throw notFound(`run ${runId}`);
    await transitionRunIn(tx, run.stackId, runId, (r) => advance(r, "PREPARING"), `worker::${worker.id}`);
    await tx`update workers set run_accepted = true, run_lease_until = now() + make_interval(secs => ${leaseSeconds}), last_seen_at = now() where id = ${worker.id}`;
  });
  return { run: await runSpec(sql, runId), runToken: issueRunToken(keys.runToken, runId, worker.id) };
}

async function runSpec(sql: Sql, runId: string): Promise<RunSpec> {
  const run = await getRunById(sql, runId);
  if (!run) throw notFound(`run ${runId}`);
  const stack = await getStack(sql, run.stackId);
  if (!stack) throw notFound(`stack ${run.stackId}`);
  return {
    id: run.id,
    stackId: run.stackId,
    type: run.type,
    state: run.state,
    command: run.command,
    skipInitialization: run.skipInitialization,
    vendor: stack.vendorConfig.vendor,
    // Until VCS integrations land, only a plain Git stack names its clone URL (its repository).
    repository: { url: stack.provider === "GIT" && stack.repository !== "" ? stack.repository : null, branch: run.commitBranch, sha: run.commitSha, projectRoot: stack.projectRoot },
  };
}

/** POST /worker/runs/:id/state: a state change reported with the run token, by the worker holding the run. */
export async function reportRunState(sql: Sql, keys: WorkerKeys, runId: string, token: string | null, report: Readonly<{ state?: unknown; note?: unknown }>): Promise<RunState> {
  const claims = token ? verifyRunToken(keys.runToken, token, runId) : null;
  if (!claims) throw unauthorized("a valid run token for this run is required");
  if (typeof report.state !== "string") throw invalid("state is required");
  if (report.note !== undefined && report.note !== null && (typeof report.note !== "string" || report.note.length > 4000)) throw invalid("note must be a string of 4000 characters at most");
  const to = report.state as RunState;
  return sql.begin(async (tx) => {
    const [held] = await tx<{ run_accepted: boolean }[]>`
      select w.run_accepted from workers w join worker_pools p on p.id = w.pool_id
      where w.id = ${claims.workerId} and w.run_id = ${runId} and w.exited_at is null and w.generation = p.generation for update of w`;
    if (!held?.run_accepted) throw conflict(`worker ${claims.workerId} does not hold run ${runId}`);
    const run = await getRunById(tx, runId);
    if (!run) throw notFound(`run ${runId}`);
    if (run.state === to) return to; // a repeated report (the answer was lost): already done
    const updated = await transitionRunIn(tx, run.stackId, runId, (r) => advance(r, to), `worker::${claims.workerId}`, (report.note as string | undefined) ?? null);
    return updated.state;
  }) as Promise<RunState>;
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
