// The worker's side of a run it executes, over /worker/runs/:id/* (server/worker_api/routes.ts):
// accepting it (the RunSpec: source, environment, hooks, timeouts and pre-signed URLs), reporting
// its states, its plan summary and its outputs. Every call after accepting carries the run token
// and is refused unless that worker still holds the run. The protocol is in protocol.ts.
import type { Sql, Tx } from "../db/connect.ts";
import { conflict, GantryError, invalid, notFound } from "../errors.ts";
import { getRunById, type Run } from "../runs/queries.ts";
import { transitionRunIn } from "../runs/transition.ts";
import { advance, RUN_STATES, type RunState } from "../runs/run.ts";
import { getStack } from "../stacks/queries.ts";
import { HOOKS } from "../stacks/stack.ts";
import { listConfigElements } from "../config_elements/queries.ts";
import { cloneSource } from "../vcs/clone.ts";
import { replaceOutputs, savePlan, setNeedsAttention } from "../runs/results.ts";
import type { ObjectStore } from "../storage/object_store.ts";
import { issueRunToken, verifyRunToken } from "./tokens.ts";
import { stateBackendFor, type StateBackendKeys } from "../state/credentials.ts";
import { usesManagedState } from "../state/operations.ts";
import type { Worker } from "./worker.ts";
import { toWorker } from "./queries.ts";
import { decidePlan, enforcePlanDecision } from "../policies/plan.ts";
import { settleApproval } from "../policies/approval.ts";
import { MAX_OUTPUTS, MAX_PLAN_RESOURCES, type AcceptResponse, type Output, type PlanDecision, type PlanSummary, type RunHooks, type RunSpec, type RunUrls, type StateReportResponse } from "./protocol.ts";

export type RunChannelDeps = Readonly<{
  sql: Sql;
  keys: Readonly<{ runToken: Buffer; config: Buffer }>;
  store: ObjectStore;
  /** The lease of an accepted run, extended by each heartbeat. */
  leaseSeconds: number;
  timeouts: Readonly<{ runSeconds: number; noOutputSeconds: number }>;
  /** Managed state: the key run credentials are derived with, and the public URL of /state. */
  stateBackend?: StateBackendKeys;
}>;

const unauthorized = (why: string) => new GantryError("Unauthorized", `unauthorized: ${why}`);

/** Where a run's artifacts live in object storage. */
export const artifactKeys = Object.freeze({
  workspace: (stackId: string, runId: string) => ({ bucket: "workspace" as const, key: `${stackId}/${runId}.tar.gz` }),
  plan: (stackId: string, runId: string) => ({ bucket: "metadata" as const, key: `plans/${stackId}/${runId}.json` }),
  /** The stack's local Terraform state, until managed state replaces it. */
  localState: (stackId: string) => ({ bucket: "states" as const, key: `local/${stackId}/terraform.tfstate` }),
});

/**
 * POST /worker/runs/:id/accept: the worker takes the run assigned to it before the deadline. A
 * READY run goes to PREPARING (planning), a CONFIRMED one to PREPARING_APPLY (applying); the
 * deadline becomes a lease. Accepting again answers the same.
 */
export async function acceptRun(deps: RunChannelDeps, worker: Worker, runId: string): Promise<AcceptResponse> {
  await deps.sql.begin(async (tx) => {
    const [row] = await tx<Record<string, unknown>[]>`select * from workers where id = ${worker.id} for update`;
    const current = toWorker(row);
    if (current.runId !== runId) throw conflict(`run ${runId} is not assigned to worker ${worker.id}`);
    if (current.runAccepted) return;
    if ((current.runLeaseUntil as Date).getTime() < Date.now()) throw conflict(`the assignment of run ${runId} expired`);
    const run = await getRunById(tx, runId);
    if (!run) throw notFound(`run ${runId}`);
    const to: RunState = run.state === "CONFIRMED" ? "PREPARING_APPLY" : "PREPARING";
    await transitionRunIn(tx, run.stackId, runId, (r) => advance(r, to), `worker::${worker.id}`);
    await tx`update workers set run_accepted = true, run_lease_until = now() + make_interval(secs => ${deps.leaseSeconds}), last_seen_at = now() where id = ${worker.id}`;
  });
  const spec = await runSpec(deps, runId);
  return { run: spec, runToken: issueRunToken(deps.keys.runToken, runId, worker.id, await handovers(deps.sql, runId), deps.timeouts.runSeconds + 3600) };
}

async function runSpec(deps: RunChannelDeps, runId: string): Promise<RunSpec> {
  const run = await getRunById(deps.sql, runId);
  if (!run) throw notFound(`run ${runId}`);
  const stack = await getStack(deps.sql, run.stackId);
  if (!stack) throw notFound(`stack ${run.stackId}`);
  const elements = await listConfigElements(deps.sql, deps.keys.config, stack.id, true);
  const phase = run.state === "PREPARING_APPLY" ? "apply" : "plan";
  return {
    id: run.id,
    stackId: run.stackId,
    type: run.type,
    state: run.state,
    phase,
    command: run.command,
    skipInitialization: run.skipInitialization,
    vendor: stack.vendorConfig.vendor,
    vendorConfig: stack.vendorConfig,
    autodeploy: stack.autodeploy,
    // What to clone and with which credentials (shared/vcs/clone.ts: GitHub/GitLab through their integration, raw Git as given).
    repository: { ...(await cloneSource(deps.sql, deps.keys.config, stack)), branch: run.commitBranch, sha: run.commitSha, projectRoot: stack.projectRoot },
    environment: elements.filter((e) => e.type === "ENVIRONMENT_VARIABLE").map((e) => ({ name: e.id, value: e.value as string, secret: e.writeOnly })),
    files: elements.filter((e) => e.type === "FILE_MOUNT").map((e) => ({ path: e.id, contentBase64: e.value as string, secret: e.writeOnly })),
    hooks: Object.fromEntries(HOOKS.map((h) => [h, stack.hooks[h]])) as RunHooks,
    timeouts: deps.timeouts,
    urls: await runUrls(deps, run, phase),
    stateBackend: deps.stateBackend && usesManagedState(stack) ? stateBackendFor(deps.stateBackend, run.id, stack.id, await handovers(deps.sql, run.id)) : null,
  };
}

async function runUrls(deps: RunChannelDeps, run: Run, phase: "plan" | "apply"): Promise<RunUrls> {
  const expires = deps.timeouts.runSeconds + 600;
  const sign = (target: { bucket: Parameters<ObjectStore["presign"]>[0]; key: string }, method: "GET" | "PUT") => deps.store.presign(target.bucket, target.key, method, expires);
  const workspace = artifactKeys.workspace(run.stackId, run.id);
  const state = artifactKeys.localState(run.stackId);
  const plans = run.type === "TRACKED" || run.type === "PROPOSED";
  return {
    workspaceUpload: run.type === "TRACKED" && phase === "plan" ? await sign(workspace, "PUT") : null,
    workspaceDownload: phase === "apply" ? await sign(workspace, "GET") : null,
    planUpload: plans && phase === "plan" ? await sign(artifactKeys.plan(run.stackId, run.id), "PUT") : null,
    localStateDownload: await sign(state, "GET"),
    // A proposed run never writes the stack's state.
    localStateUpload: run.type === "PROPOSED" ? null : await sign(state, "PUT"),
  };
}

/** How many times a worker accepted the run: a run token is valid for the latest hand-over only. */
async function handovers(db: Sql | Tx, runId: string): Promise<number> {
  const [row] = await db<{ n: number }[]>`select count(*)::int as n from run_transitions where run_id = ${runId} and state in ('PREPARING', 'PREPARING_APPLY')`;
  return row.n;
}

/**
 * The run behind a run token, locked, when the token's worker still holds it (accepted, not left,
 * not retired by a pool reset); else Unauthorized or Conflict. For every call after accept.
 */
export async function heldRun(tx: Tx, runTokenKey: Buffer, runId: string, token: string | null): Promise<Readonly<{ run: Run; workerId: string }>> {
  const claims = token ? verifyRunToken(runTokenKey, token, runId) : null;
  if (!claims) throw unauthorized("a valid run token for this run is required");
  const [held] = await tx<{ run_accepted: boolean }[]>`
    select w.run_accepted from workers w join worker_pools p on p.id = w.pool_id
    where w.id = ${claims.workerId} and w.run_id = ${runId} and w.exited_at is null and w.generation = p.generation for update of w`;
  if (!held?.run_accepted || (await handovers(tx, runId)) !== claims.handover) throw conflict(`worker ${claims.workerId} does not hold run ${runId}`);
  const run = await getRunById(tx, runId);
  if (!run) throw notFound(`run ${runId}`);
  return { run, workerId: claims.workerId };
}

async function stateVersion(tx: Tx, runId: string, state: RunState): Promise<number> {
  const [row] = await tx<{ version: number | null }[]>`select max(state_version) as version from run_transitions where run_id = ${runId} and state = ${state}`;
  return row?.version ?? 1;
}

/** POST /worker/runs/:id/state: a state change reported with the run token, by the worker holding the run. */
export async function reportRunState(deps: RunChannelDeps, runId: string, token: string | null, report: Readonly<{ state?: unknown; note?: unknown }>): Promise<StateReportResponse> {
  if (typeof report.state !== "string" || !(RUN_STATES as readonly string[]).includes(report.state)) throw invalid("state must be a run state");
  if (report.note !== undefined && report.note !== null && (typeof report.note !== "string" || report.note.length > 4000)) throw invalid("note must be a string of 4000 characters at most");
  const to = report.state as RunState;
  const answer = await deps.sql.begin(async (tx) => {
    const { run, workerId } = await heldRun(tx, deps.keys.runToken, runId, token);
    if (run.state !== to) {
      // A repeated report (its answer was lost) is already done; anything else is a transition,
      // within what the plan policies decided (shared/policies/plan.ts).
      await transitionRunIn(tx, run.stackId, runId, async (r) => (await enforcePlanDecision(tx, r, to), advance(r, to)), `worker::${workerId}`, (report.note as string | undefined) ?? null);
      if (to === "FINISHED" && run.type === "TRACKED") await setNeedsAttention(tx, run.stackId, null);
    }
    return { stackId: run.stackId, response: { state: to, stateVersion: await stateVersion(tx, runId, to) } };
  });
  // A run handed back for a person: its approval policies may decide at once (shared/policies/approval.ts).
  if (to === "PENDING_REVIEW" || to === "UNCONFIRMED") await settleApproval(deps.sql, answer.stackId, runId);
  return answer.response as StateReportResponse;
}

const count = (value: unknown, name: string): number => {
  if (!Number.isSafeInteger(value) || (value as number) < 0) throw invalid(`${name} must be a non-negative integer`);
  return value as number;
};
const text = (value: unknown, name: string, max = 1024): string => {
  if (typeof value !== "string" || value.length > max) throw invalid(`${name} must be a string of ${max} characters at most`);
  return value;
};

/** The plan summary from its JSON, checked. */
export function parsePlanSummary(value: unknown): PlanSummary {
  const v = value as Record<string, unknown> | null;
  if (!v || typeof v !== "object") throw invalid("summary must be an object");
  if (!Array.isArray(v.resources) || v.resources.length > MAX_PLAN_RESOURCES) throw invalid(`summary.resources must be a list of at most ${MAX_PLAN_RESOURCES}`);
  const resources = v.resources.map((r: Record<string, unknown>, i: number) => {
    if (!r || typeof r !== "object" || !Array.isArray(r.actions) || r.actions.length > 4) throw invalid(`summary.resources[${i}] must be {address, type, name, actions}`);
    return { address: text(r.address, "address"), type: text(r.type, "type", 256), name: text(r.name, "name"), actions: r.actions.map((a: unknown) => text(a, "action", 32)) };
  });
  return { add: count(v.add, "add"), change: count(v.change, "change"), destroy: count(v.destroy, "destroy"), resources };
}

/**
 * POST /worker/runs/:id/plan: the plan's summary, while the worker plans the run. The answer is
 * the plan policies' decision (shared/policies/plan.ts), evaluated outside the transaction on the
 * JSON plan the worker uploaded before.
 */
export async function reportPlan(deps: RunChannelDeps, runId: string, token: string | null, body: Readonly<{ summary?: unknown }>): Promise<PlanDecision> {
  const summary = parsePlanSummary(body.summary);
  const run = await deps.sql.begin(async (tx) => {
    const { run } = await heldRun(tx, deps.keys.runToken, runId, token);
    if (run.state !== "PLANNING") throw conflict(`run ${runId} is ${run.state}: a plan is reported while PLANNING`);
    await savePlan(tx, runId, summary);
    return run;
  });
  return decidePlan(deps.sql, deps.store, run, artifactKeys.plan(run.stackId, run.id));
}

/** POST /worker/runs/:id/outputs: the stack's outputs; a sensitive value is dropped here whatever the worker sent. */
export async function reportOutputs(deps: RunChannelDeps, runId: string, token: string | null, body: Readonly<{ outputs?: unknown }>): Promise<void> {
  if (!Array.isArray(body.outputs) || body.outputs.length > MAX_OUTPUTS) throw invalid(`outputs must be a list of at most ${MAX_OUTPUTS}`);
  const seen = new Set<string>();
  const outputs: Output[] = body.outputs.map((o: Record<string, unknown>, i: number) => {
    if (!o || typeof o !== "object" || typeof o.sensitive !== "boolean") throw invalid(`outputs[${i}] must be {id, sensitive, value}`);
    const id = text(o.id, "output id", 256);
    if (seen.has(id)) throw invalid(`output ${id} is given twice`);
    seen.add(id);
    const value = o.sensitive || o.value === null || o.value === undefined ? null : text(o.value, "output value", 1024 * 1024);
    return { id, sensitive: o.sensitive, value };
  });
  await deps.sql.begin(async (tx) => {
    const { run } = await heldRun(tx, deps.keys.runToken, runId, token);
    if (run.type === "PROPOSED") throw conflict("a proposed run does not change the stack's outputs");
    await replaceOutputs(tx, run.stackId, runId, outputs);
  });
}
