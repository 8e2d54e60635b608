// Policies, their attachments and evaluation records, runReview, policySimulate, named webhooks and
// the notification inbox: thin wrappers over shared/policies, shaping Spacelift's types.
import { GantryError, invalid } from "../../shared/errors.ts";
import { atLeast, readableSpaces, roleIn } from "../../shared/auth/roles.ts";
import { getStack, type StackView } from "../../shared/stacks/queries.ts";
import type { Run } from "../../shared/runs/queries.ts";
import { parsePolicyType, type Policy, type PolicySettings } from "../../shared/policies/policy.ts";
import { attachPolicy, createPolicy, deletePolicy, detachPolicy, readablePolicies, readPolicy, stackPolicies, updatePolicy, UNATTACHED_TYPES } from "../../shared/policies/operations.ts";
import { attachedPolicies, getEvaluation, listEvaluations, type AttachedPolicy, type EvaluationRecord } from "../../shared/policies/queries.ts";
import { simulate } from "../../shared/policies/evaluation.ts";
import { needsApproval, reviewRun } from "../../shared/policies/approval.ts";
import { createNamedWebhook, deleteNamedWebhook, getNamedWebhook, listDeliveries, type Delivery, type NamedWebhook } from "../../shared/policies/webhooks.ts";
import { listNotifications, type Notification } from "../../shared/policies/notification.ts";
import { listStacks } from "../../shared/stacks/queries.ts";
import { audited, requireActor, roleOf, seconds, type Context } from "./context.ts";

type Args = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const MAX_PAGE = 100;

function attachmentOut(a: AttachedPolicy, stack: Pick<StackView, "id" | "name">) {
  return { id: a.attachmentId, policyId: a.policy.id, policyName: a.policy.name, policyType: a.policy.type, stackId: stack.id, stackName: stack.name, isModule: false, isAutoattached: a.autoattached };
}

/** Evaluation records carry inputs (plan data): admins of the policy's space only, as Spacelift's workbench. */
async function requirePolicyAdmin(ctx: Context, policy: Policy): Promise<void> {
  if (!atLeast(await roleOf(ctx, policy.spaceId), "admin")) throw new GantryError("Forbidden", `unauthorized: reading policy evaluations needs the admin role in space ${policy.spaceId}`);
}

const recordOut = (r: EvaluationRecord) => ({ key: r.id, outcome: r.outcome, timestamp: seconds(r.createdAt), kind: r.kind, stackId: r.stackId, runId: r.runId, messages: r.messages, durationMs: r.durationMs, error: r.error });

function page(first: unknown): number {
  const n = first === null || first === undefined ? 50 : Number(first);
  if (!Number.isInteger(n) || n < 1 || n > MAX_PAGE) throw invalid(`first must be between 1 and ${MAX_PAGE}`);
  return n;
}

function settings(args: Args): PolicySettings {
  return { name: args.name, body: args.body, type: args.type ?? null, labels: args.labels ?? null, space: args.space ?? null, description: args.description ?? null, engineType: args.engineType ?? null };
}

export const policyResolvers = {
  Query: {
    policies: (_: unknown, __: Args, ctx: Context) => readablePolicies(ctx.sql, requireActor(ctx)),
    policy: (_: unknown, { id }: Args, ctx: Context) => readPolicy(ctx.sql, requireActor(ctx), id),
    searchPolicies: async (_: unknown, { input }: Args, ctx: Context) => {
      let all = await readablePolicies(ctx.sql, requireActor(ctx));
      const text = (input.fullTextSearch ?? "").toLowerCase();
      if (text) all = all.filter((p) => [p.id, p.name, p.description].some((v) => v.toLowerCase().includes(text)));
      for (const pr of input.predicates ?? []) {
        const values: string[] = [...(pr.constraint.enumEquals ?? []), ...(pr.constraint.stringMatches ?? [])];
        const test = pr.field === "type" ? (p: Policy) => values.map((v) => parsePolicyType(v)).includes(p.type)
          : pr.field === "label" ? (p: Policy) => p.labels.some((l) => values.includes(l))
          : pr.field === "space" ? (p: Policy) => values.includes(p.spaceId)
          : null;
        if (!test) throw invalid(`searchPolicies cannot filter on ${pr.field}`);
        all = all.filter((p) => (pr.exclude ? !test(p) : test(p)));
      }
      const start = input.after ? all.findIndex((p) => p.id === input.after) + 1 : 0;
      const n = page(input.first);
      const slice = all.slice(start, start + n);
      return {
        edges: slice.map((p) => ({ cursor: p.id, node: p })),
        pageInfo: { endCursor: slice[slice.length - 1]?.id ?? null, hasNextPage: start + n < all.length, hasPreviousPage: start > 0 },
      };
    },
    namedWebhooksIntegration: async (_: unknown, { id }: Args, ctx: Context) => {
      const hook = await getNamedWebhook(ctx.sql, id);
      return hook && roleIn(requireActor(ctx), await ctx.tree(), hook.spaceId) ? hook : null;
    },
    notifications: async (_: unknown, __: Args, ctx: Context) => {
      const actor = requireActor(ctx);
      const tree = await ctx.tree();
      return listNotifications(ctx.sql, actor.admin ? null : readableSpaces(actor, tree).filter((s) => roleIn(actor, tree, s) === "admin"));
    },
  },
  Mutation: {
    policyCreate: (_: unknown, args: Args, ctx: Context) => audited(ctx, "policy.create", "policy", null, () => createPolicy(ctx.sql, requireActor(ctx), settings(args)), (p) => p.id),
    policyCreatev2: (_: unknown, { input }: Args, ctx: Context) => audited(ctx, "policy.create", "policy", null, () => createPolicy(ctx.sql, requireActor(ctx), settings(input)), (p) => p.id),
    policyUpdate: (_: unknown, args: Args, ctx: Context) => audited(ctx, "policy.update", "policy", args.id, () => updatePolicy(ctx.sql, requireActor(ctx), args.id, settings(args))),
    policyUpdatev2: (_: unknown, { id, input }: Args, ctx: Context) => audited(ctx, "policy.update", "policy", id, () => updatePolicy(ctx.sql, requireActor(ctx), id, settings(input))),
    policyDelete: (_: unknown, { id }: Args, ctx: Context) => audited(ctx, "policy.delete", "policy", id, () => deletePolicy(ctx.sql, requireActor(ctx), id)),
    policyAttach: (_: unknown, { id, stack }: Args, ctx: Context) =>
      audited(ctx, "policy.attach", "policy", id, async () => {
        const attachment = await attachPolicy(ctx.sql, requireActor(ctx), id, stack);
        const [policy, target] = await Promise.all([readPolicy(ctx.sql, requireActor(ctx), id), getStack(ctx.sql, stack)]);
        return { id: attachment.id, policyId: id, policyName: policy?.name ?? id, policyType: policy?.type ?? "", stackId: stack, stackName: target?.name ?? stack, isModule: false, isAutoattached: false };
      }),
    policyDetach: (_: unknown, { id }: Args, ctx: Context) =>
      audited(ctx, "policy.detach", "policy_attachment", id, async () => {
        const attachment = await detachPolicy(ctx.sql, requireActor(ctx), id);
        const [policy, target] = await Promise.all([readPolicy(ctx.sql, requireActor(ctx), attachment.policyId), getStack(ctx.sql, attachment.stackId)]);
        return { id, policyId: attachment.policyId, policyName: policy?.name ?? attachment.policyId, policyType: policy?.type ?? "", stackId: attachment.stackId, stackName: target?.name ?? attachment.stackId, isModule: false, isAutoattached: false };
      }),
    policySimulate: (_: unknown, { body, input, type }: Args, ctx: Context) => {
      requireActor(ctx);
      let parsed: unknown;
      try {
        parsed = JSON.parse(input);
      } catch {
        throw invalid("input must be a JSON document");
      }
      return simulate(body, /^\s*import\s+rego\.v1\b/m.test(body) ? "REGO_V1" : "REGO_V0", parsePolicyType(type), parsed);
    },
    runReview: (_: unknown, { stack, run, decision, note }: Args, ctx: Context) =>
      audited(ctx, "run.review", "run", run ?? null, () => reviewRun(ctx.sql, requireActor(ctx), stack, run ?? null, decision, note ?? null), (r: Run) => r.id),
    namedWebhooksIntegrationCreate: (_: unknown, { input }: Args, ctx: Context) =>
      audited(ctx, "webhook.create", "named_webhook", null, async () => {
        if (input.secret) throw invalid("webhook signing secrets are not supported yet; create the webhook without one");
        return createNamedWebhook(ctx.sql, requireActor(ctx), input);
      }, (w) => w.id),
    namedWebhooksIntegrationDelete: (_: unknown, { id }: Args, ctx: Context) => audited(ctx, "webhook.delete", "named_webhook", id, () => deleteNamedWebhook(ctx.sql, requireActor(ctx), id)),
  },
  Policy: {
    space: (p: Policy) => p.spaceId,
    spaceDetails: async (p: Policy, _: Args, ctx: Context) => (await ctx.spaces()).get(p.spaceId),
    createdAt: (p: Policy) => seconds(p.createdAt),
    updatedAt: (p: Policy) => seconds(p.updatedAt),
    attachedStacks: async (p: Policy, _: Args, ctx: Context) => {
      if (UNATTACHED_TYPES.includes(p.type)) return [];
      const actor = requireActor(ctx);
      const tree = await ctx.tree();
      const stacks = (await listStacks(ctx.sql, null)).filter((s) => roleIn(actor, tree, s.spaceId) !== null);
      const out = [];
      for (const s of stacks) {
        const match = (await attachedPolicies(ctx.sql, tree, s, p.type)).find((a) => a.policy.id === p.id);
        if (match) out.push(attachmentOut(match, s));
      }
      return out;
    },
    attachedStack: async (p: Policy, { id }: Args, ctx: Context) => {
      const stack = await getStack(ctx.sql, id);
      if (!stack || !roleIn(requireActor(ctx), await ctx.tree(), stack.spaceId)) return null;
      const match = (await attachedPolicies(ctx.sql, await ctx.tree(), stack, p.type)).find((a) => a.policy.id === p.id || a.attachmentId === id);
      return match ? attachmentOut(match, stack) : null;
    },
    evaluationRecords: async (p: Policy, _: Args, ctx: Context) => {
      await requirePolicyAdmin(ctx, p);
      return (await listEvaluations(ctx.sql, p.id, 100)).map(recordOut);
    },
    evaluationSample: async (p: Policy, { key }: Args, ctx: Context) => {
      await requirePolicyAdmin(ctx, p);
      const r = await getEvaluation(ctx.sql, p.id, key);
      return r ? { input: JSON.stringify(r.input), body: r.body, decision: JSON.stringify(r.decision) } : null;
    },
    searchEvaluationRecords: async (p: Policy, { input }: Args, ctx: Context) => {
      await requirePolicyAdmin(ctx, p);
      if (input.fullTextSearch || input.predicates?.length) throw invalid("searchEvaluationRecords supports first and after only");
      const n = page(input.first);
      const rows = await listEvaluations(ctx.sql, p.id, n + 1, input.after ?? null);
      const slice = rows.slice(0, n);
      return {
        edges: slice.map((r) => ({ cursor: r.id, node: recordOut(r) })),
        pageInfo: { endCursor: slice[slice.length - 1]?.id ?? null, hasNextPage: rows.length > n, hasPreviousPage: Boolean(input.after) },
      };
    },
  },
  Stack: {
    attachedPolicies: async (s: StackView, _: Args, ctx: Context) => (await stackPolicies(ctx.sql, s)).map((a) => attachmentOut(a, s)),
  },
  Run: {
    needsApproval: (r: Run, _: Args, ctx: Context) => needsApproval(ctx.sql, r),
  },
  NamedWebhooksIntegration: {
    space: (w: NamedWebhook) => w.spaceId,
    createdAt: (w: NamedWebhook) => seconds(w.createdAt),
    deliveries: (w: NamedWebhook, _: Args, ctx: Context) => listDeliveries(ctx.sql, w.id),
  },
  WebhookDelivery: {
    createdAt: (d: Delivery) => seconds(d.createdAt),
  },
  Notification: {
    space: (n: Notification) => n.spaceId,
    createdAt: (n: Notification) => seconds(n.createdAt),
  },
};
