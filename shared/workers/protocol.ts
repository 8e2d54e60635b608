// The worker protocol: what a worker and Gantry say to each other, on which channel, and when.
// Shared by the server side (server/worker_api/, drain handlers) and the worker (worker/), which
// imports only this file, pool_token.ts and shared/mqtt from here. docs/workers.md tells the same
// story for operators.
//
// Channels
//   HTTPS  /worker/*  (server/worker_api/): the worker asks, the server answers. Registration,
//          accepting a run, reporting its states, plan summary and outputs, log URLs, leaving.
//   MQTT   gantry/readonly/<pool>/<worker>  server → worker, QoS 1: Assign, Stop, Exit.
//          gantry/writeonly/<pool>/<worker> worker → server, QoS 1: Heartbeat. The server
//          subscribes to gantry/writeonly/+/+ and enqueues each message on the worker_messages
//          queue; the drain handles it. A worker may subscribe only to its own readonly topic and
//          publish only to its own writeonly topic (shared/mqtt/acl.ts). MQTT carries only these
//          small control messages (at most MAX_MESSAGE_BYTES); logs and artifacts never.
//   HTTP long poll, for a worker that reaches no broker: GET /worker/messages?after=<cursor> answers
//          the same server → worker messages (every message is also kept in the worker's outbox,
//          shared/workers/outbox.ts), POST /worker/messages { message } carries a Heartbeat.
//   Object storage, through pre-signed URLs the server hands out: log chunks, the workspace
//          archive, the JSON plan, the stack's local state.
//
// Lifecycle
//   1. Register. The worker starts with the pool token (pool_token.ts) and POSTs
//      /worker/register { poolId, secret, metadata }. The server checks the secret against the
//      pool's hash and answers RegisterResponse: a worker id (a ULID), broker credentials
//      (username = worker id, a random password stored hashed; or the shared credentials of an
//      external broker), a worker token for later HTTPS calls, and the heartbeat interval.
//   2. Connect. The worker connects to the broker (client id = its worker id), subscribes to its
//      readonly topic, and publishes a Heartbeat every heartbeatSeconds (the first at once); or,
//      when no broker is reachable, long-polls instead. A worker silent for the server's
//      WORKER_TIMEOUT_SECONDS is not given runs.
//   3. Assignment. The drain picks a READY run (or a CONFIRMED one, to apply) for an idle,
//      undrained worker of the stack's pool (its own, else the default pool), records it on the
//      worker with a deadline (WORKER_ACCEPT_TIMEOUT_SECONDS), and sends Assign. The worker POSTs
//      /worker/runs/:id/accept with its worker token. The server moves the run READY → PREPARING
//      (or CONFIRMED → PREPARING_APPLY), turns the deadline into a lease and answers
//      AcceptResponse: the RunSpec and a run token (scoped to this run, this worker and this
//      hand-over). Accepting the run it already holds answers the same spec again, so a duplicate
//      Assign is harmless; an Assign for another run while busy is ignored. A worker that does not
//      accept before the deadline loses the run, which waits for the next worker.
//   4. Execution. The worker reports each state change with POST /worker/runs/:id/state
//      { state, note } and the run token; the answer carries the state's version, which names its
//      log stream. It flushes a state's logs before reporting the next one. Plans: PREPARING →
//      INITIALIZING → PLANNING (JSON plan PUT, then POST /plan with the summary, answered with the
//      plan policies' decision) → FINISHED (no changes, or proposed), APPLYING (autodeploy) or
//      UNCONFIRMED (the workspace uploaded first); FAILED on a deny, PENDING_REVIEW for a proposed
//      run with warnings and approval policies. UNCONFIRMED and
//      PENDING_REVIEW hand the worker back: it is free. Applies: PREPARING_APPLY → APPLYING →
//      FINISHED. Tasks: … → PERFORMING → FINISHED or FAILED; destroys: … → DESTROYING → FINISHED.
//      After an apply the worker POSTs /outputs. Heartbeats carry the run id and extend the lease.
//      A terminal state frees the worker; it is IDLE again.
//   5. Control. runStop (INITIALIZING/PLANNING) and runKill decide the run's state at once and send
//      Stop { signal: SIGINT | SIGKILL } to the worker holding it; the worker signals its tool's
//      process group and drops its later reports, which are refused. A worker whose lease runs
//      out (no heartbeats for WORKER_TIMEOUT_SECONDS) loses its run: FAILED, "worker lost"; an
//      apply or destroy also marks the stack as needing attention, and nothing is retried. A run
//      held past RUN_TIMEOUT_SECONDS (plus a margin) fails the same way and its worker gets Stop.
//   6. Leaving. On SIGTERM, or on Exit (workerPoolCycle), the worker finishes its current run,
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
/**
 * Stop the run's tool: SIGINT to its process group (runStop), or SIGKILL (runKill). The run's
 * state has already been decided by the server (STOPPED or FAILED); the worker's later reports
 * for it are refused and it drops them.
 */
export type Stop = Readonly<{ type: "stop"; runId: string; signal: "SIGINT" | "SIGKILL"; reason: string }>;
export type ServerMessage = Assign | Exit | Stop;

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
  if (value.type === "stop" && isId(value.runId) && (value.signal === "SIGINT" || value.signal === "SIGKILL")) {
    return { type: "stop", runId: value.runId, signal: value.signal, reason: typeof value.reason === "string" ? value.reason : "" };
  }
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

/** An environment variable of the run: the stack's configuration, secret ones included. */
export type EnvVariable = Readonly<{ name: string; value: string; secret: boolean }>;
/** A file the run mounts, relative to the workspace root (/mnt/workspace in Spacelift). */
export type MountedFile = Readonly<{ path: string; contentBase64: string; secret: boolean }>;

/** The stack's hooks: shell commands run before and after each phase. */
export type RunHooks = Readonly<{
  beforeInit: readonly string[];
  afterInit: readonly string[];
  beforePlan: readonly string[];
  afterPlan: readonly string[];
  beforeApply: readonly string[];
  afterApply: readonly string[];
  beforeDestroy: readonly string[];
  afterDestroy: readonly string[];
  beforePerform: readonly string[];
  afterPerform: readonly string[];
  afterRun: readonly string[];
}>;

/**
 * Pre-signed object-storage URLs for the run's artifacts; null when the run has no use for one.
 * They expire with the run's timeout (plus a margin).
 */
export type RunUrls = Readonly<{
  /** PUT: the workspace archive (tar.gz of the workspace root) of a tracked run awaiting confirmation. */
  workspaceUpload: string | null;
  /** GET: that archive, for the apply phase. */
  workspaceDownload: string | null;
  /** PUT: the JSON plan (`show -json`). */
  planUpload: string | null;
  /**
   * GET / PUT: the stack's local Terraform state (terraform.tfstate in the project root) until
   * managed state lands. GET answers 404 before the first apply.
   */
  localStateDownload: string | null;
  localStateUpload: string | null;
}>;

/** What a worker needs to execute a run (the answer to /worker/runs/:id/accept). */
export type RunSpec = Readonly<{
  id: string;
  stackId: string;
  type: RunType;
  state: RunState;
  /**
   * plan: the run starts at PREPARING (QUEUED → READY → accepted). apply: a confirmed tracked run
   * starts at PREPARING_APPLY and applies the saved plan from workspaceDownload.
   */
  phase: "plan" | "apply";
  /** The task's command (TASK runs). */
  command: string | null;
  skipInitialization: boolean;
  vendor: string;
  /** The stack's vendor settings (the VendorConfig of shared/stacks/stack.ts, as JSON). */
  vendorConfig: Readonly<Record<string, unknown>>;
  /** A tracked run with changes goes straight to APPLYING instead of UNCONFIRMED. */
  autodeploy: boolean;
  /**
   * url: what `git clone` takes (null: nothing to clone, e.g. no integration for the stack's
   * provider): https for GitHub/GitLab stacks, the repository for raw Git; never with credentials
   * in it. credentials: for an https clone (GitHub: x-access-token + a token or an App
   * installation token valid an hour; GitLab: oauth2 + the token; raw Git: the integration's);
   * secrets: hand them to git through GIT_ASKPASS, never log them or put them in a URL.
   */
  repository: Readonly<{ url: string | null; credentials?: Readonly<{ username: string; password: string }>; branch: string; sha: string | null; projectRoot: string }>;
  environment: readonly EnvVariable[];
  files: readonly MountedFile[];
  hooks: RunHooks;
  /** The whole run (per worker phase) and the longest silence of the tool, after which it is stopped and the run fails. */
  timeouts: Readonly<{ runSeconds: number; noOutputSeconds: number }>;
  urls: RunUrls;
  /**
   * Managed state (stacks that manage their state, OpenTofu and Terraform): Terraform's `http`
   * backend at the server, with credentials valid for this run while a worker holds it. The worker
   * writes it as a backend override file in the project root (docs/state.md). Absent or null:
   * the stack keeps its state elsewhere.
   */
  stateBackend?: StateBackend | null;
}>;
/** Settings of Terraform's `http` backend; lock and unlock use its default methods LOCK and UNLOCK. */
export type StateBackend = Readonly<{ address: string; lockAddress: string; unlockAddress: string; username: string; password: string }>;
export type AcceptResponse = Readonly<{ run: RunSpec; runToken: string }>;

/** POST /worker/runs/:id/state. The answer: the state and its version (1 the first time the run enters it). */
export type StateReport = Readonly<{ state: RunState; note?: string | null }>;
export type StateReportResponse = Readonly<{ state: RunState; stateVersion: number }>;

/** POST /worker/runs/:id/logs/urls: pre-signed PUT URLs for log chunks seq from … from+count-1 of one state version. */
export type LogUrlsRequest = Readonly<{ state: RunState; stateVersion: number; from: number; count: number }>;
export type LogUrlsResponse = Readonly<{ urls: readonly string[] }>;
export const MAX_LOG_URLS = 64;
export const MAX_LOG_CHUNK_BYTES = 64 * 1024;

/**
 * POST /worker/runs/:id/plan: the plan's summary (the JSON plan itself goes to urls.planUpload
 * first: plan policies read it). The answer is the plan policies' decision: deny → the worker
 * reports FAILED with the messages as note (nothing else is accepted); warn → a tracked run with
 * changes waits UNCONFIRMED even with autodeploy (APPLYING is refused); pendingReview → a proposed
 * run ends its hand-over in PENDING_REVIEW (FINISHED is refused). A server without plan policies
 * answers {outcome: "allow"}.
 */
export type PlanDecision = Readonly<{ outcome: "allow" | "deny" | "warn"; messages: readonly string[]; pendingReview?: boolean }>;

export type ResourceChange = Readonly<{ address: string; type: string; name: string; actions: readonly string[] }>;
export type PlanSummary = Readonly<{ add: number; change: number; destroy: number; resources: readonly ResourceChange[] }>;
export const MAX_PLAN_RESOURCES = 10_000;

/** POST /worker/runs/:id/outputs: the stack's outputs after an apply; a sensitive output's value is never sent. */
export type Output = Readonly<{ id: string; sensitive: boolean; value: string | null }>;
export const MAX_OUTPUTS = 1000;

/** Metadata limits: what a worker may say about itself. */
export const MAX_METADATA_ENTRIES = 50;
export const MAX_METADATA_VALUE = 1024;
