// PLAN policies: evaluated when the worker reports a plan's summary, with Spacelift's input
// ({spacelift: {run, stack, commit, request}, terraform: <the JSON plan>}). Any `deny` fails the
// run; any `warn` makes a tracked run wait for confirmation even with autodeploy, and a proposed
// run with approval policies wait in PENDING_REVIEW. An evaluation error denies (fail closed). The
// combined decision is stored on the run: the worker API then refuses the transitions it forbids.
import type { Db, Tx } from "../db/connect.ts";
import { conflict } from "../errors.ts";
import { spaceTree } from "../spaces/queries.ts";
import { getStack, type StackView } from "../stacks/queries.ts";
import type { Run } from "../runs/queries.ts";
import type { RunState } from "../runs/run.ts";
import type { ObjectStore, Bucket } from "../storage/object_store.ts";
import { sha256Hex } from "../policy/rego/builtins/sha256.ts";
import { evaluatePolicies, strings, type Evaluation } from "./evaluation.ts";
import { commitInput, requestInput, runInput, stackInput } from "./inputs.ts";
import { attachedPolicies } from "./queries.ts";

export const PLAN_OUTCOMES = Object.freeze(["allow", "deny", "warn"] as const);
export type PlanOutcome = (typeof PLAN_OUTCOMES)[number];
export type PlanDecision = Readonly<{ outcome: PlanOutcome; messages: readonly string[]; pendingReview: boolean }>;

export const ALLOW: PlanDecision = Object.freeze({ outcome: "allow", messages: [], pendingReview: false });

/** Spacelift's `sanitized`: the last 8 hex characters of the SHA-256 of the string. */
export const sanitize = (value: string): string => sha256Hex(value).slice(-8);

/** Every string inside `value` sanitized, or (smart) only those its sensitivity mirror marks. */
export function sanitizeValue(value: unknown, sensitive: unknown, smart: boolean): unknown {
  if (smart && sensitive === true) return typeof value === "string" ? sanitize(value) : sanitizeValue(value, undefined, false);
  if (typeof value === "string") return smart ? value : sanitize(value);
  if (Array.isArray(value)) return value.map((v, i) => sanitizeValue(v, Array.isArray(sensitive) ? sensitive[i] : undefined, smart));
  if (value && typeof value === "object") {
    const mirror = sensitive && typeof sensitive === "object" ? (sensitive as Record<string, unknown>) : {};
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, sanitizeValue(v, mirror[k], smart)]));
  }
  return value;
}

type Change = { before?: unknown; after?: unknown; before_sensitive?: unknown; after_sensitive?: unknown; [k: string]: unknown };

/**
 * The JSON plan as policies see it: resource and output changes with their values sanitized, and
 * the tool's version. Variables, prior state and configuration (which can hold secrets) are left out.
 */
export function planForPolicies(plan: Record<string, unknown>, smart: boolean): Record<string, unknown> {
  const change = (c: Change) => ({ ...c, before: sanitizeValue(c.before ?? null, c.before_sensitive, smart), after: sanitizeValue(c.after ?? null, c.after_sensitive, smart) });
  const resources = Array.isArray(plan.resource_changes) ? plan.resource_changes : [];
  const outputs = plan.output_changes && typeof plan.output_changes === "object" ? (plan.output_changes as Record<string, Change>) : {};
  return {
    format_version: plan.format_version ?? null,
    terraform_version: plan.terraform_version ?? null,
    resource_changes: resources.map((r: Record<string, unknown>) => ({ ...r, change: change((r.change ?? {}) as Change) })),
    output_changes: Object.fromEntries(Object.entries(outputs).map(([k, c]) => [k, change(c)])),
  };
}

/** The vendor block's key in the input. */
const vendorKey = (stack: StackView): string => {
  const v = stack.vendorConfig.vendor;
  return v === "OPENTOFU" || v === "TERRAFORM" ? "terraform" : v.toLowerCase();
};

export async function planInput(db: Db, store: ObjectStore | null, run: Run, stack: StackView, planKey: Readonly<{ bucket: Bucket; key: string }>) {
  let vendor: unknown = null;
  const bytes = store ? await store.get(planKey.bucket, planKey.key) : null;
  if (bytes) {
    try {
      const parsed = JSON.parse(new TextDecoder().decode(bytes));
      const v = stack.vendorConfig;
      const smart = "useSmartSanitization" in v ? v.useSmartSanitization : false;
      vendor = parsed && typeof parsed === "object" && !Array.isArray(parsed) ? planForPolicies(parsed, smart) : null;
    } catch {
      vendor = null;
    }
  }
  return {
    spacelift: { run: await runInput(db, run), stack: await stackInput(db, stack), commit: commitInput(run), request: requestInput(), previous_run: null },
    [vendorKey(stack)]: vendor,
  };
}

/** Combines each policy's deny and warn sets; an errored policy denies. */
export function combinePlan(evaluations: readonly Evaluation<{ deny: string[]; warn: string[] }>[], pendingReviewPossible: boolean): PlanDecision {
  const deny: string[] = [];
  const warn: string[] = [];
  for (const e of evaluations) {
    if (!e.verdict) deny.push(`plan policy ${e.policy.id} failed closed: ${e.error}`);
    else {
      deny.push(...e.verdict.decision.deny);
      warn.push(...e.verdict.decision.warn);
    }
  }
  if (deny.length) return { outcome: "deny", messages: deny, pendingReview: false };
  if (warn.length) return { outcome: "warn", messages: warn, pendingReview: pendingReviewPossible };
  return ALLOW;
}

/** Evaluates the stack's plan policies for the run and stores the combined decision. */
export async function decidePlan(db: Db, store: ObjectStore | null, run: Run, planKey: Readonly<{ bucket: Bucket; key: string }>): Promise<PlanDecision> {
  const stack = await getStack(db, run.stackId);
  if (!stack) return ALLOW;
  const tree = await spaceTree(db);
  const attached = await attachedPolicies(db, tree, stack);
  const plans = attached.filter((a) => a.policy.type === "PLAN").map((a) => a.policy);
  if (plans.length === 0) {
    await saveDecision(db, run.id, ALLOW);
    return ALLOW;
  }
  const input = await planInput(db, store, run, stack, planKey);
  const evaluations = await evaluatePolicies(
    db,
    plans,
    input,
    (doc) => {
      const decision = { deny: strings(doc.deny), warn: strings(doc.warn) };
      return { outcome: decision.deny.length ? "deny" : decision.warn.length ? "warn" : "allow", messages: [...decision.deny, ...decision.warn], decision };
    },
    { stackId: stack.id, runId: run.id, kind: "PLAN" },
  );
  const hasApproval = attached.some((a) => a.policy.type === "APPROVAL");
  const decision = combinePlan(evaluations, run.type === "PROPOSED" && hasApproval);
  await saveDecision(db, run.id, decision);
  return decision;
}

export async function saveDecision(db: Db, runId: string, d: PlanDecision): Promise<void> {
  await db`
    insert into run_plan_decisions (run_id, outcome, messages, pending_review) values (${runId}, ${d.outcome}, ${[...d.messages]}::text[], ${d.pendingReview})
    on conflict (run_id) do update set outcome = excluded.outcome, messages = excluded.messages, pending_review = excluded.pending_review, created_at = now()`;
}

export async function getDecision(db: Db, runId: string): Promise<PlanDecision | null> {
  const [row] = await db<{ outcome: PlanOutcome; messages: string[]; pending_review: boolean }[]>`select outcome, messages, pending_review from run_plan_decisions where run_id = ${runId}`;
  return row ? { outcome: row.outcome, messages: row.messages, pendingReview: row.pending_review } : null;
}

/**
 * What a plan decision allows a worker to report next: after deny only FAILED; after warn a
 * tracked run does not go on to APPLYING; a proposed run awaiting review goes to PENDING_REVIEW.
 */
export function checkAfterPlan(decision: PlanDecision | null, run: Pick<Run, "id" | "state" | "type">, to: RunState): void {
  if (!decision || run.state !== "PLANNING") return;
  const why = decision.messages.join("; ");
  if (decision.outcome === "deny" && to !== "FAILED" && to !== "STOPPED") throw conflict(`run ${run.id} was denied by its plan policies (${why}): it can only fail`);
  if (decision.outcome === "warn" && to === "APPLYING") throw conflict(`run ${run.id} has plan policy warnings (${why}): it needs confirmation (UNCONFIRMED)`);
  if (decision.pendingReview && to === "FINISHED") throw conflict(`run ${run.id} has plan policy warnings and approval policies: it waits in PENDING_REVIEW`);
}

/** The run's decision checked against the state a worker reports (inside the transition's transaction). */
export async function enforcePlanDecision(tx: Tx, run: Pick<Run, "id" | "state" | "type">, to: RunState): Promise<void> {
  if (run.state !== "PLANNING") return;
  checkAfterPlan(await getDecision(tx, run.id), run, to);
}
