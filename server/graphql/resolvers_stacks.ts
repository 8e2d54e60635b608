// Stack queries and mutations: thin wrappers over shared/stacks, shaping Spacelift's Stack type.
import { GantryError } from "../../shared/errors.ts";
import { atLeast, readableSpaces, requireRole } from "../../shared/auth/roles.ts";
import { HOOKS, type StackSettings, type VendorConfig } from "../../shared/stacks/stack.ts";
import { listStacks, searchStacks, type StackSearch, type StackView } from "../../shared/stacks/queries.ts";
import { deleteStack, lockStack, readStack, setDisabled, unlockStack, updateStack } from "../../shared/stacks/operations.ts";
import { getRunById, getRun, listRuns } from "../../shared/runs/queries.ts";
import { getPool } from "../../shared/workers/queries.ts";
import { createStackWithState } from "../../shared/state/operations.ts";
import { audited, requireActor, roleOf, seconds, type Context } from "./context.ts";

type Args = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

async function visibleSpaces(ctx: Context): Promise<string[] | null> {
  const actor = requireActor(ctx);
  return actor.admin ? null : readableSpaces(actor, await ctx.tree());
}

const VENDOR_TYPES: Readonly<Record<VendorConfig["vendor"], string>> = Object.freeze({
  OPENTOFU: "StackConfigVendorOpenTofu",
  TERRAFORM: "StackConfigVendorTerraform",
  TERRAGRUNT: "StackConfigVendorTerragrunt",
  PULUMI: "StackConfigVendorPulumi",
  KUBERNETES: "StackConfigVendorKubernetes",
  ANSIBLE: "StackConfigVendorAnsible",
  CLOUDFORMATION: "StackConfigVendorCloudFormation",
});

const hookResolvers = Object.fromEntries(HOOKS.map((h) => [h, (s: StackView) => s.hooks[h]]));

export const stackResolvers = {
  Query: {
    stack: (_: unknown, { id }: Args, ctx: Context) => readStack(ctx.sql, requireActor(ctx), id),
    stacks: async (_: unknown, __: Args, ctx: Context) => listStacks(ctx.sql, await visibleSpaces(ctx)),
    searchStacks: async (_: unknown, { input }: Args, ctx: Context) => {
      const page = await searchStacks(ctx.sql, await visibleSpaces(ctx), input as StackSearch);
      return {
        edges: page.edges.map((e) => ({ cursor: e.cursor, node: e.stack })),
        pageInfo: { endCursor: page.endCursor, hasNextPage: page.hasNextPage, hasPreviousPage: page.hasPreviousPage },
      };
    },
    runStack: async (_: unknown, { runId }: Args, ctx: Context) => {
      const actor = requireActor(ctx);
      const run = await getRunById(ctx.sql, runId);
      const stack = run ? await readStack(ctx.sql, actor, run.stackId) : null;
      // spacectl maps exactly "not found" to "run was not found".
      if (!stack) throw new GantryError("NotFound", "not found");
      return stack;
    },
  },
  Mutation: {
    stackCreate: (_: unknown, { input, manageState, slug, stackObjectID }: Args, ctx: Context) =>
      audited(ctx, "stack.create", "stack", slug ?? null, () => createStackWithState(ctx.sql, ctx.store, requireActor(ctx), input as StackSettings, { manageState, slug, stackObjectID }), (s) => s.id),
    stackUpdate: (_: unknown, { id, input }: Args, ctx: Context) =>
      audited(ctx, "stack.update", "stack", id, () => updateStack(ctx.sql, requireActor(ctx), id, input as StackSettings)),
    stackDelete: (_: unknown, { id, destroyResources }: Args, ctx: Context) =>
      audited(ctx, "stack.delete", "stack", id, async () => {
        if (destroyResources) throw new GantryError("Invalid", "destroyResources needs workers to run the destroy, which Gantry does not have yet; delete without it");
        return deleteStack(ctx.sql, requireActor(ctx), id);
      }),
    stackLock: (_: unknown, { id, note }: Args, ctx: Context) => audited(ctx, "stack.lock", "stack", id, () => lockStack(ctx.sql, requireActor(ctx), id, note ?? null)),
    stackUnlock: (_: unknown, { id }: Args, ctx: Context) => audited(ctx, "stack.unlock", "stack", id, () => unlockStack(ctx.sql, requireActor(ctx), id)),
    stackEnable: (_: unknown, { id }: Args, ctx: Context) => audited(ctx, "stack.enable", "stack", id, () => setDisabled(ctx.sql, requireActor(ctx), id, false)),
    stackDisable: (_: unknown, { id }: Args, ctx: Context) => audited(ctx, "stack.disable", "stack", id, () => setDisabled(ctx.sql, requireActor(ctx), id, true)),
  },
  Stack: {
    ...hookResolvers,
    space: (s: StackView) => s.spaceId,
    spaceDetails: async (s: StackView, _: Args, ctx: Context) => (await ctx.spaces()).get(s.spaceId),
    administrative: () => false,
    githubActionDeploy: (s: StackView) => s.allowRunPromotion,
    managesStateFile: (s: StackView) => s.managesState,
    deleted: () => false,
    deleting: () => false,
    starred: () => false,
    canWrite: async (s: StackView, _: Args, ctx: Context) => atLeast(await roleOf(ctx, s.spaceId), "write"),
    terraformVersion: (s: StackView) => {
      const v = s.vendorConfig;
      if (v.vendor === "OPENTOFU" || v.vendor === "TERRAFORM") return v.version;
      return v.vendor === "TERRAGRUNT" ? v.terraformVersion : null;
    },
    vendorConfig: (s: StackView) => s.vendorConfig,
    workerPool: async (s: StackView, _: Args, ctx: Context) => (s.workerPoolId ? ((await getPool(ctx.sql, s.workerPoolId)) ?? null) : null),
    lockedAt: (s: StackView) => (s.lockedAt ? seconds(s.lockedAt) : null),
    blocker: (s: StackView, _: Args, ctx: Context) => (s.blockerId ? getRunById(ctx.sql, s.blockerId) : null),
    stateSetAt: (s: StackView) => (s.stateSetAt ? seconds(s.stateSetAt) : null),
    createdAt: (s: StackView) => seconds(s.createdAt),
    trackedCommit: () => null,
    trackedCommitSetBy: () => null,
    attachedContexts: () => [],
    moduleVersionsUsed: () => [],
    runs: (s: StackView, { before }: Args, ctx: Context) => listRuns(ctx.sql, s.id, ["TRACKED", "DESTROY"], before ?? null),
    proposedRuns: (s: StackView, { before }: Args, ctx: Context) => listRuns(ctx.sql, s.id, ["PROPOSED"], before ?? null),
    tasks: (s: StackView, { before }: Args, ctx: Context) => listRuns(ctx.sql, s.id, ["TASK"], before ?? null),
    run: (s: StackView, { id }: Args, ctx: Context) => getRun(ctx.sql, s.id, id),
  },
  StackConfigVendor: {
    __resolveType: (v: VendorConfig) => VENDOR_TYPES[v.vendor],
  },
};

/** Used by space and API key resolvers too: admin of the root space. */
export async function requireRootAdmin(ctx: Context, doing: string): Promise<void> {
  requireRole(requireActor(ctx), await ctx.tree(), "root", "admin", doing);
}
