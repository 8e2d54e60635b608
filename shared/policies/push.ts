// GIT_PUSH policies in the VCS engineer's seam (shared/vcs/push_policy.ts: decide(input) →
// PushDecision). For a delivery, the push policies attached to each matched stack are loaded and
// compiled first, so deciding stays synchronous; a stack without push policies keeps Spacelift's
// default (decidePush). With policies, as in Spacelift, nothing happens unless a rule says so:
// `track`, `propose`, `ignore` (wins), `ignore_track` (no tracked run), `notrigger` (no run;
// Gantry has no tracked-commit pointer to move), `cancel` (in-progress run ids), `allow_fork`.
// `lock`, `unlock`, `prioritize` are recorded in the evaluation but not acted on yet. An
// evaluation error ignores the event for that stack (fail closed). Evaluations are recorded by flush().
import type { Sql } from "../db/connect.ts";
import { spaceTree } from "../spaces/queries.ts";
import { getStack } from "../stacks/queries.ts";
import { decidePush, type PushDecision, type PushPolicyInput } from "../vcs/push_policy.ts";
import type { Policy } from "./policy.ts";
import { bool, compiled, describeError, evaluateDocument, limitsFor, strings } from "./evaluation.ts";
import { stackInput } from "./inputs.ts";
import { insertEvaluations, listPolicies, within, type NewEvaluation } from "./queries.ts";
import { autoattaches } from "./policy.ts";

export type PushDecider = Readonly<{ decide(input: PushPolicyInput): PushDecision; flush(): Promise<void> }>;

const NONE: PushDecision = Object.freeze({ track: false, propose: false, ignore: false, cancel: [], allowFork: false, reason: "" });

export function readPush(doc: Readonly<Record<string, unknown>>) {
  return {
    track: bool(doc.track),
    propose: bool(doc.propose),
    ignore: bool(doc.ignore),
    ignore_track: bool(doc.ignore_track),
    notrigger: bool(doc.notrigger),
    cancel: strings(doc.cancel),
    allow_fork: bool(doc.allow_fork),
    prioritize: bool(doc.prioritize),
    lock: typeof doc.lock === "string" ? doc.lock : null,
    unlock: typeof doc.unlock === "string" ? doc.unlock : null,
    message: strings(doc.message),
  };
}

/** One stack's push policies over one input, combined: any ignore wins; track and propose from any policy. */
export function combinePush(decisions: ReadonlyArray<ReturnType<typeof readPush> | { error: string; policy: string }>): PushDecision {
  let d: PushDecision = { ...NONE, cancel: [] };
  const reasons: string[] = [];
  for (const x of decisions) {
    if ("error" in x) return { ...NONE, ignore: true, reason: `push policy ${x.policy} failed closed: ${x.error}` };
    d = { ...d, track: d.track || (x.track && !x.ignore_track), propose: d.propose || x.propose, ignore: d.ignore || x.ignore || x.notrigger, cancel: [...d.cancel, ...x.cancel], allowFork: d.allowFork || x.allow_fork };
    if (x.notrigger) reasons.push("notrigger");
    if (x.ignore_track) reasons.push("ignore_track");
    reasons.push(...x.message);
  }
  const what = d.ignore ? "ignored" : d.track || d.propose ? [d.track ? "track" : "", d.propose ? "propose" : ""].filter(Boolean).join(" and ") : "no rule matched: ignored";
  return { ...d, reason: `push policy: ${what}${reasons.length ? ` (${reasons.join("; ")})` : ""}` };
}

/** Loads and compiles the push policies of these stacks; decide() then works as the default does. */
export async function pushPolicyDecider(sql: Sql, stackIds: readonly string[]): Promise<PushDecider> {
  const byStack = new Map<string, { policies: Policy[]; stack: unknown }>();
  // A delivery may match a thousand stacks: the policies, attachments and stacks are read in three
  // statements (none when no push policy exists), not per stack.
  const policies = await listPolicies(sql, null, "GIT_PUSH");
  if (policies.length > 0 && stackIds.length > 0) {
    const tree = await spaceTree(sql);
    const attached = await sql<{ stack_id: string; policy_id: string }[]>`
      select stack_id, policy_id from policy_attachments where stack_id = any(${stackIds as string[]}::text[])`;
    const stacks = await sql<{ id: string; space_id: string; labels: string[] }[]>`select id, space_id, labels from stacks where id = any(${stackIds as string[]}::text[])`;
    for (const s of stacks) {
      const direct = new Set(attached.filter((a) => a.stack_id === s.id).map((a) => a.policy_id));
      const mine = policies.filter((p) => direct.has(p.id) || (within(tree, s.space_id, p.spaceId) && autoattaches(p.labels, s.labels)));
      if (mine.length === 0) continue;
      const stack = await getStack(sql, s.id);
      if (stack) byStack.set(s.id, { policies: mine, stack: await stackInput(sql, stack) });
    }
  }
  const records: NewEvaluation[] = [];
  return {
    decide: (input) => {
      const entry = byStack.get(input.stack.id);
      if (!entry) return decidePush(input);
      const regoInput = { ...input, stack: { ...(entry.stack as object), ...input.stack } };
      const decisions = entry.policies.map((policy) => {
        const t0 = performance.now();
        try {
          const decision = readPush(evaluateDocument(compiled(policy), regoInput, limitsFor("GIT_PUSH")));
          const outcome = decision.ignore || decision.notrigger ? "ignore" : decision.track && !decision.ignore_track ? "track" : decision.propose ? "propose" : "ignore";
          records.push({ policyId: policy.id, kind: "GIT_PUSH", stackId: input.stack.id, runId: null, outcome, input: regoInput, decision, messages: decision.message, body: policy.body, error: null, durationMs: performance.now() - t0 });
          return decision;
        } catch (error) {
          const message = describeError(error);
          records.push({ policyId: policy.id, kind: "GIT_PUSH", stackId: input.stack.id, runId: null, outcome: "error", input: regoInput, decision: {}, messages: [message], body: policy.body, error: message, durationMs: performance.now() - t0 });
          return { error: message, policy: policy.id };
        }
      });
      return combinePush(decisions);
    },
    flush: async () => {
      const batch = records.splice(0, records.length);
      await insertEvaluations(sql, batch);
    },
  };
}
