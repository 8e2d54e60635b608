// What running stacks adds to the API: the stack's configuration (stackConfigAdd/Delete,
// Stack.config, Stack.runtimeConfig), its outputs, the needs-attention mark, the plan summary
// (Run.delta, Run.changesV3) and runKill. Thin wrappers over shared/config_elements and
// shared/runs.
import { addStackConfig, deleteStackConfig, readStackConfig } from "../../shared/config_elements/operations.ts";
import type { ConfigElement, ConfigInput } from "../../shared/config_elements/element.ts";
import { getPlan, listOutputs } from "../../shared/runs/results.ts";
import { userAction } from "../../shared/runs/operations.ts";
import type { Run } from "../../shared/runs/queries.ts";
import type { StackView } from "../../shared/stacks/queries.ts";
import { audited, requireActor, seconds, type Context } from "./context.ts";

type Args = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** Terraform's actions as Spacelift's change types. */
function changeType(actions: readonly string[]): string {
  const set = new Set(actions);
  if (set.has("create") && set.has("delete")) return "REPLACE";
  if (set.has("create")) return "CREATE";
  if (set.has("delete")) return "DELETE";
  if (set.has("update")) return "UPDATE";
  if (set.has("read")) return "READ";
  return "NO_OP";
}

export const executionResolvers = {
  Mutation: {
    stackConfigAdd: (_: unknown, { stack, config }: Args, ctx: Context) =>
      audited(ctx, "stack.config.add", "stack", stack, () => addStackConfig(ctx.sql, ctx.configKey, requireActor(ctx), stack, config as ConfigInput)),
    stackConfigDelete: (_: unknown, { stack, id }: Args, ctx: Context) =>
      audited(ctx, "stack.config.delete", "stack", stack, () => deleteStackConfig(ctx.sql, ctx.configKey, requireActor(ctx), stack, id)),
    runKill: (_: unknown, { stack, run, note }: Args, ctx: Context) =>
      audited(ctx, "run.kill", "run", run, () => userAction(ctx.sql, requireActor(ctx), stack, run, "kill", note ?? null)),
  },
  Stack: {
    config: (s: StackView, _: Args, ctx: Context) => readStackConfig(ctx.sql, ctx.configKey, requireActor(ctx), s.id),
    runtimeConfig: async (s: StackView, _: Args, ctx: Context) =>
      (await readStackConfig(ctx.sql, ctx.configKey, requireActor(ctx), s.id)).map((element) => ({ context: null, element })),
    outputs: async (s: StackView, _: Args, ctx: Context) => (await listOutputs(ctx.sql, s.id)).map((o) => ({ ...o, description: null })),
    needsAttention: (s: StackView) => s.needsAttention,
  },
  ConfigElement: {
    createdAt: (e: ConfigElement) => seconds(e.createdAt),
    runtime: () => false,
  },
  Run: {
    delta: async (r: Run, _: Args, ctx: Context) => {
      const plan = await getPlan(ctx.sql, r.id);
      return plan && { addCount: plan.add, changeCount: plan.change, deleteCount: plan.destroy, resources: plan.resources.length };
    },
    changesV3: async (r: Run, _: Args, ctx: Context) => {
      const plan = await getPlan(ctx.sql, r.id);
      if (!plan) return [];
      return [{ resources: plan.resources.map((c) => ({ address: c.address, previousAddress: null, metadata: { type: changeType(c.actions) } })) }];
    },
  },
};
