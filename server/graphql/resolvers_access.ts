// Sessions, the viewer, API keys, spaces and the audit trail.
import { GantryError } from "../../shared/errors.ts";
import { parseRole, roleIn, type Role } from "../../shared/auth/roles.ts";
import { createApiKey, deleteApiKey, exchangeApiKey, getApiKey, listApiKeys, type ApiKey } from "../../shared/auth/queries.ts";
import { createSpace, deleteSpace, updateSpace } from "../../shared/spaces/queries.ts";
import type { Space, SpaceInput } from "../../shared/spaces/space.ts";
import { listAudit, recordAudit, type AuditEntry } from "../../shared/audit/queries.ts";
import { audited, requireActor, seconds, type Context } from "./context.ts";
import { requireRootAdmin } from "./resolvers_stacks.ts";

type Args = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
type KeyOut = ApiKey & { secret?: string };

export const accessResolvers = {
  Query: {
    viewer: (_: unknown, __: Args, ctx: Context) => (ctx.actor ? { id: ctx.actor.id, name: ctx.actor.name, admin: ctx.actor.admin } : null),
    debugInfo: () => ({ selfHostedVersion: "" }),
    spaces: async (_: unknown, __: Args, ctx: Context) => {
      const actor = requireActor(ctx);
      const tree = await ctx.tree();
      return [...(await ctx.spaces()).values()].filter((s) => roleIn(actor, tree, s.id) !== null);
    },
    space: async (_: unknown, { id }: Args, ctx: Context) => {
      const actor = requireActor(ctx);
      const space = (await ctx.spaces()).get(id);
      return space && roleIn(actor, await ctx.tree(), id) !== null ? space : null;
    },
    apiKey: async (_: unknown, { id }: Args, ctx: Context) => {
      if (requireActor(ctx).id !== id) await requireRootAdmin(ctx, "reading an API key");
      return getApiKey(ctx.sql, id);
    },
    apiKeys: async (_: unknown, __: Args, ctx: Context) => {
      await requireRootAdmin(ctx, "listing API keys");
      return listApiKeys(ctx.sql);
    },
    searchAuditTrailEntries: async (_: unknown, { input }: Args, ctx: Context) => {
      await requireRootAdmin(ctx, "reading the audit trail");
      if (input.fullTextSearch || input.predicates?.length || input.orderBy) throw new GantryError("Invalid", "searchAuditTrailEntries supports first and after only");
      const page = await listAudit(ctx.sql, { first: input.first, after: input.after });
      const last = page.entries[page.entries.length - 1];
      return {
        edges: page.entries.map((e) => ({ cursor: e.id, node: e })),
        pageInfo: { endCursor: last?.id ?? null, hasNextPage: page.hasNextPage, hasPreviousPage: Boolean(input.after) },
      };
    },
  },
  Mutation: {
    apiKeyUser: async (_: unknown, { id, secret }: Args, ctx: Context) => {
      const session = await exchangeApiKey(ctx.sql, id, secret, ctx.jwtKey, ctx.audience);
      await recordAudit(ctx.sql, {
        actor: session ? `api::${id}` : "anonymous",
        action: "api_key.login",
        targetType: "api_key",
        targetId: id,
        outcome: session ? "success" : "failure",
        error: session ? null : "invalid API key id or secret",
      });
      return session;
    },
    apiKeyCreate: (_: unknown, { input }: Args, ctx: Context) =>
      audited(
        ctx,
        "api_key.create",
        "api_key",
        null,
        async (): Promise<KeyOut> => {
          const rules = (input.accessRules ?? []).map((r: { space: string; spaceAccessLevel: string }) => ({ space: r.space, role: parseRole(r.spaceAccessLevel) }));
          const { key, secret } = await createApiKey(ctx.sql, requireActor(ctx), { name: input.name, admin: input.admin, description: input.description, accessRules: rules });
          return { ...key, secret };
        },
        (k) => k.id,
      ),
    apiKeyDelete: (_: unknown, { id }: Args, ctx: Context) => audited(ctx, "api_key.delete", "api_key", id, () => deleteApiKey(ctx.sql, requireActor(ctx), id)),
    spaceCreate: (_: unknown, { input }: Args, ctx: Context) =>
      audited(ctx, "space.create", "space", null, () => createSpace(ctx.sql, requireActor(ctx), input as SpaceInput), (s) => s.id),
    spaceUpdate: (_: unknown, { space, input }: Args, ctx: Context) =>
      audited(ctx, "space.update", "space", space, () => updateSpace(ctx.sql, requireActor(ctx), space, input as SpaceInput)),
    spaceDelete: (_: unknown, { space }: Args, ctx: Context) => audited(ctx, "space.delete", "space", space, () => deleteSpace(ctx.sql, requireActor(ctx), space)),
  },
  Space: {
    parentSpace: (s: Space) => s.parentSpaceId,
    accessLevel: async (s: Space, _: Args, ctx: Context) => {
      const role: Role | null = ctx.actor ? roleIn(ctx.actor, await ctx.tree(), s.id) : null;
      return role ? role.toUpperCase() : null;
    },
  },
  ApiKey: {
    type: () => "SECRET",
    creator: (k: KeyOut) => k.createdBy,
    createdAt: (k: KeyOut) => seconds(k.createdAt),
    lastUsedAt: (k: KeyOut) => (k.lastUsedAt ? seconds(k.lastUsedAt) : null),
    expiresAt: () => null,
    teams: () => [],
    teamCount: () => 0,
    spaceCount: (k: KeyOut) => (k.admin ? 1 : k.accessRules.length),
    isMachineUser: () => true,
    accessRules: (k: KeyOut) =>
      k.admin ? [{ space: "root", spaceAccessLevel: "ADMIN" }] : k.accessRules.map((r) => ({ space: r.space, spaceAccessLevel: r.role.toUpperCase() })),
    secret: (k: KeyOut) => k.secret ?? null,
  },
  AuditTrailEntry: {
    createdAt: (e: AuditEntry) => seconds(e.createdAt),
  },
};
