// APPROVAL policies and runReview. A run is reviewed while QUEUED, UNCONFIRMED or PENDING_REVIEW;
// the newest review per reviewer counts for the run's current state version. The stack's approval
// policies are evaluated each on its own: any `reject` (or an evaluation error: fail closed)
// rejects, all `approve` approves, anything else leaves the run waiting. A rejected QUEUED or
// PENDING_REVIEW run fails, a rejected UNCONFIRMED run is discarded; an approved PENDING_REVIEW run
// finishes, an approved QUEUED run may start, an UNCONFIRMED one may be confirmed. Stacks with
// autodeploy are gated at QUEUED only. The combined outcome is kept per state version and
// re-evaluated only when reviews change.
import type { Db, Sql } from "../db/connect.ts";
import { conflict, invalid, notFound } from "../errors.ts";
import { requireRole, roleIn, type Actor } from "../auth/roles.ts";
import { spaceTree } from "../spaces/queries.ts";
import { getStack } from "../stacks/queries.ts";
import { getRun, lockHolder, type Run } from "../runs/queries.ts";
import { transitionRun } from "../runs/transition.ts";
import { enqueue } from "../queue/jobs.ts";
import { scheduleStackJob } from "../runs/scheduling_jobs.ts";
import type { RunState } from "../runs/run.ts";
import { bool, evaluatePolicies } from "./evaluation.ts";
import { requestInput, runInput, stackInput } from "./inputs.ts";
import { anyPolicyOfType, attachedPolicies } from "./queries.ts";

export const REVIEW_DECISIONS = Object.freeze(["APPROVE", "REJECT"] as const);
export type ReviewDecision = (typeof REVIEW_DECISIONS)[number];
export type ApprovalOutcome = "approve" | "reject" | "undecided";
export const REVIEWABLE_STATES: readonly RunState[] = Object.freeze(["QUEUED", "UNCONFIRMED", "PENDING_REVIEW"]);

type Review = { author: string; decision: ReviewDecision; note: string; state: string; state_version: number; created_at: Date; id: string };

async function currentStateVersion(db: Db, runId: string, state: string): Promise<number> {
  const [row] = await db<{ v: number | null }[]>`select max(state_version) as v from run_transitions where run_id = ${runId} and state = ${state}`;
  return row?.v ?? 1;
}

async function reviewsOf(db: Db, runId: string): Promise<Review[]> {
  return db<Review[]>`select id::text, author, decision, note, state, state_version, created_at from run_reviews where run_id = ${runId} order by id`;
}

/** Spacelift's reviews input: the newest review per author at the current state version, and the older ones. */
export function reviewsInput(reviews: readonly Review[], state: string, version: number, roles: ReadonlyMap<string, string[]>) {
  const shape = (r: Review) => ({
    author: r.author,
    author_roles: roles.get(r.author) ?? [],
    note: r.note,
    request: { timestamp_ns: r.created_at.getTime() * 1_000_000, remote_ip: "" },
    session: { login: r.author, name: r.author, teams: [] as string[], machine: r.author.startsWith("api::") },
    state: r.state,
    state_version: r.state_version,
  });
  const latest = new Map<string, Review>();
  const older: Review[] = [];
  for (const r of reviews) {
    if (r.state === state && r.state_version === version) {
      const previous = latest.get(r.author);
      if (previous) older.push(previous);
      latest.set(r.author, r);
    } else older.push(r);
  }
  const current = [...latest.values()];
  return {
    current: { approvals: current.filter((r) => r.decision === "APPROVE").map(shape), rejections: current.filter((r) => r.decision === "REJECT").map(shape) },
    older: older.map((r) => ({ ...shape(r), decision: r.decision })),
  };
}

export type Approval = Readonly<{ outcome: ApprovalOutcome; messages: readonly string[]; policies: number }>;

/**
 * The approval policies' combined outcome for the run in its current state, evaluated (and
 * recorded) only when there was no outcome for this state version and these reviews yet.
 */
export async function approvalOutcome(db: Db, run: Run): Promise<Approval> {
  const stack = await getStack(db, run.stackId);
  if (!stack) throw notFound(`stack ${run.stackId}`);
  const tree = await spaceTree(db);
  const policies = (await attachedPolicies(db, tree, stack, "APPROVAL")).map((a) => a.policy);
  if (policies.length === 0) return { outcome: "approve", messages: [], policies: 0 };
  const version = await currentStateVersion(db, run.id, run.state);
  const reviews = await reviewsOf(db, run.id);
  const reviewMark = reviews.length ? Number(reviews[reviews.length - 1].id) : 0;
  const [known] = await db<{ outcome: ApprovalOutcome; reviews: string }[]>`
    select outcome, reviews::text from run_approvals where run_id = ${run.id} and state = ${run.state} and state_version = ${version}`;
  if (known && Number(known.reviews) === reviewMark) return { outcome: known.outcome, messages: [], policies: policies.length };

  const roles = new Map<string, string[]>();
  for (const r of reviews) {
    if (!r.author.startsWith("api::") || roles.has(r.author)) continue;
    const [key] = await db<{ admin: boolean; rules: Array<{ space: string; role: string }> | null }[]>`
      select k.admin, (select json_agg(json_build_object('space', space_id, 'role', role)) from api_key_roles where api_key_id = k.id) as rules
      from api_keys k where k.id = ${r.author.slice(5)}`;
    const actorRoles = key ? Object.fromEntries((key.rules ?? []).map((x) => [x.space, x.role])) : {};
    const role = key ? roleIn({ id: "", login: r.author, name: "", admin: key.admin, roles: actorRoles as Actor["roles"] }, tree, stack.spaceId) : null;
    roles.set(r.author, role ? [role] : []);
  }
  const input = { reviews: reviewsInput(reviews, run.state, version, roles), run: await runInput(db, run), stack: await stackInput(db, stack), request: requestInput() };
  const evaluations = await evaluatePolicies(
    db,
    policies,
    input,
    (doc) => {
      const decision = { approve: bool(doc.approve), reject: bool(doc.reject) };
      return { outcome: decision.reject ? "reject" : decision.approve ? "approve" : "undecided", messages: [], decision };
    },
    { stackId: stack.id, runId: run.id, kind: "APPROVAL" },
  );
  const messages: string[] = [];
  let outcome: ApprovalOutcome = "approve";
  for (const e of evaluations) {
    if (!e.verdict) {
      outcome = "reject";
      messages.push(`approval policy ${e.policy.id} failed closed: ${e.error}`);
    } else if (e.verdict.outcome === "reject") {
      outcome = "reject";
      messages.push(`rejected by approval policy ${e.policy.id}`);
    } else if (e.verdict.outcome === "undecided" && outcome === "approve") outcome = "undecided";
  }
  await db`
    insert into run_approvals (run_id, state, state_version, reviews, outcome) values (${run.id}, ${run.state}, ${version}, ${reviewMark}, ${outcome})
    on conflict (run_id, state, state_version) do update set reviews = excluded.reviews, outcome = excluded.outcome, created_at = now()`;
  return { outcome, messages, policies: policies.length };
}

const gated = (run: Run, autodeploy: boolean): boolean => REVIEWABLE_STATES.includes(run.state) && !(autodeploy && run.state !== "QUEUED");

/**
 * Acts on the run's approval: a rejection fails (or discards) it, an approval finishes a run
 * PENDING_REVIEW and lets a QUEUED run be scheduled. Returns the outcome (approve when nothing gates).
 */
export async function settleApproval(sql: Sql, stackId: string, runId: string, options: Readonly<{ schedule?: boolean }> = {}): Promise<ApprovalOutcome> {
  if (!(await anyPolicyOfType(sql, "APPROVAL"))) return "approve";
  const run = await getRun(sql, stackId, runId);
  const stack = await getStack(sql, stackId);
  if (!run || !stack || !gated(run, stack.autodeploy)) return "approve";
  const approval = await approvalOutcome(sql, run);
  if (approval.policies === 0) return "approve";
  const expect = (to: RunState, note: string | null) =>
    transitionRun(sql, stackId, runId, (r) => {
      if (r.state !== run.state) throw conflict(`run ${runId} moved on to ${r.state}`);
      return to;
    }, "policy::approval", note).catch((error) => {
      if ((error as { code?: string }).code !== "Conflict") throw error;
    });
  if (approval.outcome === "reject") {
    const note = approval.messages.join("; ") || "rejected by approval policies";
    await expect(run.state === "UNCONFIRMED" ? "DISCARDED" : "FAILED", note);
  } else if (approval.outcome === "approve") {
    if (run.state === "PENDING_REVIEW") await expect("FINISHED", "approved by approval policies");
    if (run.state === "QUEUED" && options.schedule !== false) await enqueue(sql, scheduleStackJob(stackId));
  }
  return approval.outcome;
}

/** Whether the scheduler may move a QUEUED run on: its approval policies approve (a rejection fails it). */
export async function mayStart(sql: Sql, run: Run): Promise<boolean> {
  return (await settleApproval(sql, run.stackId, run.id, { schedule: false })) === "approve";
}

/** runConfirm's gate: an UNCONFIRMED run of a stack without autodeploy needs its approval policies' approval. */
export async function requireApproval(db: Db, run: Run): Promise<void> {
  if (!(await anyPolicyOfType(db, "APPROVAL"))) return;
  const stack = await getStack(db, run.stackId);
  if (!stack || !gated(run, stack.autodeploy)) return;
  const approval = await approvalOutcome(db, run);
  if (approval.outcome !== "approve") throw conflict(`run ${run.id} is not approved by its approval policies (${approval.outcome}${approval.messages.length ? `: ${approval.messages.join("; ")}` : ""})`);
}

/** Run.needsApproval: its approval policies have not decided for its current state. */
export async function needsApproval(db: Db, run: Run): Promise<boolean> {
  if (!REVIEWABLE_STATES.includes(run.state)) return false;
  const [row] = await db<{ outcome: string }[]>`
    select outcome from run_approvals where run_id = ${run.id} and state = ${run.state} order by state_version desc limit 1`;
  return row?.outcome === "undecided";
}

/** runReview: stores the caller's review (read role) of a run waiting for one and re-evaluates. */
export async function reviewRun(sql: Sql, actor: Actor, stackId: string, runId: string | null, decision: string, note: string | null): Promise<Run> {
  if (!(REVIEW_DECISIONS as readonly string[]).includes(decision)) throw invalid(`unknown review decision "${decision}" (APPROVE or REJECT)`);
  const id = runId ?? (await lockHolder(sql, stackId));
  if (!id) throw notFound(`run blocking stack ${stackId}`);
  const stack = await getStack(sql, stackId);
  if (!stack) throw notFound(`stack ${stackId}`);
  requireRole(actor, await spaceTree(sql), stack.spaceId, "read", "reviewing a run");
  const run = await getRun(sql, stackId, id);
  if (!run) throw notFound(`run ${id} on stack ${stackId}`);
  if (!REVIEWABLE_STATES.includes(run.state)) throw conflict(`run ${id} is ${run.state}: only QUEUED, UNCONFIRMED and PENDING_REVIEW runs can be reviewed`);
  const version = await currentStateVersion(sql, id, run.state);
  await sql`insert into run_reviews (run_id, author, decision, note, state, state_version) values (${id}, ${actor.login}, ${decision}, ${note ?? ""}, ${run.state}, ${version})`;
  await settleApproval(sql, stackId, id);
  return (await getRun(sql, stackId, id)) as Run;
}
