// The worker protocol: what a worker and Gantry say to each other, on which channel, and when.
// Shared by the server side (server/worker_api/, drain handlers) and the worker (worker/), which
// imports only this file, pool_token.ts and shared/mqtt from here. docs/workers.md tells the same
// story for operators.
//
// Channels
//   HTTPS  /worker/*  (server/worker_api/): the worker asks, the server answers. Registration,
//          accepting a run, reporting state changes, leaving.
//   MQTT   gantry/readonly/<pool>/<worker>  server → worker, QoS 1: assignments, exit requests.
//          gantry/writeonly/<pool>/<worker> worker → server, QoS 1: heartbeats. The server
//          subscribes to gantry/writeonly/+/+ and enqueues each message on the worker_messages
//          queue; the drain handles it. A worker may subscribe only to its own readonly topic and
//          publish only to its own writeonly topic (shared/mqtt/acl.ts).
//
// Lifecycle
//   1. Register. The worker starts with the pool token (pool_token.ts) and POSTs
//      /worker/register { poolId, secret, metadata }. The server checks the secret against the
//      pool's hash and answers RegisterResponse: a worker id (a ULID), broker credentials
//      (username = worker id, a random password stored hashed), a worker token for later HTTPS
//      calls, and the heartbeat interval. The worker is IDLE from now on.
//   2. Connect. The worker connects to the broker with those credentials, subscribes to its
//      readonly topic, and publishes a Heartbeat every heartbeatSeconds (the first at once).
//      A worker silent for the server's WORKER_TIMEOUT_SECONDS is not given runs.
//   3. Assignment. The drain picks a READY run for an idle, undrained worker of the stack's
//      pool, records it on the worker with a deadline (WORKER_ACCEPT_TIMEOUT_SECONDS), and
//      publishes Assign. The worker POSTs /worker/runs/:id/accept with its worker token. The
//      server moves the run READY → PREPARING, turns the deadline into a lease and answers
//      AcceptResponse: the run's spec and a run token (scoped to this run and worker, expiring).
//      Accepting the run it already holds answers the same spec again, so a duplicate Assign is
//      harmless; an Assign for another run while busy is ignored. A worker that does not accept
//      before the deadline loses the run, which waits in READY for the next worker.
//   4. Execution. The worker reports each state change with POST /worker/runs/:id/state
//      { state, note } and the run token: PREPARING → (INITIALIZING →) PERFORMING → FINISHED or
//      FAILED for a task. Its heartbeats carry the run id and extend the lease. A terminal state
//      frees the worker; it is IDLE again.
//   5. Leaving. On SIGTERM, or on Exit (workerPoolCycle), the worker finishes its current run,
//      POSTs /worker/leave and disconnects. A reset of the pool (workerPoolReset) retires every
//      worker registered with the old secret: their broker credentials and tokens stop working.
//
// Draining (workerDrainSet) is server-side state: a drained worker keeps its connection and its
// current run but is given no new runs.
import type { RunState, RunType } from "../runs/run.ts";

export const PROTOCOL_VERSION = 1;

/** Server → worker, on the worker's readonly topic. */
export type Assign = Readonly<{ type: "assign"; runId: string; stackId: string; acceptBy: string }>;
export type Exit = Readonly<{ type: "exit"; reason: string }>;
export type ServerMessage = Assign | Exit;

/** Worker → server, on the worker's writeonly topic. */
export type Heartbeat = Readonly<{ type: "heartbeat"; runId: string | null }>;
export type WorkerMessage = Heartbeat;

export const MAX_MESSAGE_BYTES = 16 * 1024;
const ID = /^[A-Za-z0-9_-]{1,64}$/;

/** A server message from its JSON bytes, or null when it is not one this worker understands. */
export function parseServerMessage(payload: Uint8Array | string): ServerMessage | null {
  const value = parseObject(payload);
  if (!value) return null;
  if (value.type === "assign" && isId(value.runId) && isId(value.stackId) && typeof value.acceptBy === "string") {
    return { type: "assign", runId: value.runId, stackId: value.stackId, acceptBy: value.acceptBy };
  }
  if (value.type === "exit") return { type: "exit", reason: typeof value.reason === "string" ? value.reason : "" };
  return null;
}

/** A worker message from its JSON bytes, or null when malformed. */
export function parseWorkerMessage(payload: Uint8Array | string): WorkerMessage | null {
  const value = parseObject(payload);
  if (!value) return null;
  if (value.type === "heartbeat" && (value.runId === null || value.runId === undefined || isId(value.runId))) {
    return { type: "heartbeat", runId: (value.runId as string | null | undefined) ?? null };
  }
  return null;
}

function parseObject(payload: Uint8Array | string): Record<string, unknown> | null {
  const text = typeof payload === "string" ? payload : new TextDecoder().decode(payload);
  if (text.length > MAX_MESSAGE_BYTES) return null;
  try {
    const value = JSON.parse(text);
    return value && typeof value === "object" && !Array.isArray(value) ? value : null;
  } catch {
    return null;
  }
}

const isId = (value: unknown): value is string => typeof value === "string" && ID.test(value);

/** POST /worker/register */
export type RegisterRequest = Readonly<{ poolId: string; secret: string; metadata: Readonly<Record<string, string>> }>;
export type RegisterResponse = Readonly<{
  workerId: string;
  poolId: string;
  broker: Readonly<{ endpoint: string; username: string; password: string }>;
  /** Bearer token for /worker/runs/:id/accept and /worker/leave. */
  workerToken: string;
  heartbeatSeconds: number;
}>;

/** What a worker needs to execute a run (the answer to /worker/runs/:id/accept). */
export type RunSpec = Readonly<{
  id: string;
  stackId: string;
  type: RunType;
  state: RunState;
  /** The task's command (TASK runs). */
  command: string | null;
  skipInitialization: boolean;
  vendor: string;
  /** url: what `git clone` takes; null when the stack's provider needs a VCS integration Gantry lacks yet. */
  repository: Readonly<{ url: string | null; branch: string; sha: string | null; projectRoot: string }>;
}>;
export type AcceptResponse = Readonly<{ run: RunSpec; runToken: string }>;

/** POST /worker/runs/:id/state */
export type StateReport = Readonly<{ state: RunState; note?: string | null }>;

/** Metadata limits: what a worker may say about itself. */
export const MAX_METADATA_ENTRIES = 50;
export const MAX_METADATA_VALUE = 1024;
