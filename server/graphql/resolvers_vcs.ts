// VCS integrations: thin wrappers over shared/vcs/operations.ts with Spacelift's mutation names
// (githubEnterpriseIntegration*, gitlabIntegration*, vcsIntegrations) and Gantry's own for raw Git
// (gitIntegration*). One VCSIntegration type for all providers; credentials are write-only.
import { GantryError, notFound } from "../../shared/errors.ts";
import type { StackView } from "../../shared/stacks/queries.ts";
import { stackIntegration } from "../../shared/vcs/clients.ts";
import { vcsKey, type Credentials, type Integration, type IntegrationProvider } from "../../shared/vcs/integration.ts";
import { createIntegration, deleteIntegration, readIntegration, resolveIntegration, updateIntegration, visibleIntegrations, type Created, type IntegrationChange } from "../../shared/vcs/operations.ts";
import { audited, requireActor, seconds, type Context } from "./context.ts";

type Args = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
type Out = Integration & { generatedWebhookSecret?: string | null };

const key = (ctx: Context) => vcsKey(ctx.configKey);
const HOOK_PATHS: Readonly<Record<IntegrationProvider, string | null>> = Object.freeze({ GITHUB: "github", GITLAB: "gitlab", GIT: null });

async function target(ctx: Context, provider: IntegrationProvider, id: string | null | undefined): Promise<Integration> {
  const found = await resolveIntegration(ctx.sql, requireActor(ctx), provider, id);
  if (!found) throw notFound(id ? `VCS integration ${id}` : `default ${provider} integration`);
  return found;
}

function customInput(input: Args | null | undefined): { name: string; spaceId: string; labels?: string[] | null; description?: string | null; isDefault?: boolean | null } {
  if (!input) throw new GantryError("Invalid", "customInput (name, spaceID) is required");
  return { name: input.name, spaceId: input.spaceID, labels: input.labels, description: input.description, isDefault: input.isDefault };
}

function changeFrom(args: Args, credentials: Credentials | undefined): IntegrationChange {
  const c = (args.customInput ?? {}) as Args;
  return {
    spaceId: c.space ?? null,
    labels: c.labels ?? undefined,
    description: c.description ?? undefined,
    apiHost: args.apiHost ?? undefined,
    userFacingHost: args.userFacingHost ?? undefined,
    ...(args.appID !== undefined ? { appId: args.appID } : {}),
    credentials,
    webhookSecret: args.webhookSecret ?? undefined,
  };
}

const given = (c: Credentials): Credentials | undefined => (Object.values(c).some((v) => typeof v === "string" && v !== "") ? c : undefined);

function create(ctx: Context, provider: IntegrationProvider, fields: Parameters<typeof createIntegration>[3]) {
  return audited(ctx, "vcs_integration.create", "vcs_integration", null, () => createIntegration(ctx.sql, key(ctx), requireActor(ctx), { ...fields, provider }), (r) => r.id);
}

function update(ctx: Context, provider: IntegrationProvider, id: string | null | undefined, change: IntegrationChange) {
  return audited(ctx, change.regenerateWebhookSecret ? "vcs_integration.regenerate_webhook_secret" : "vcs_integration.update", "vcs_integration", id ?? null, async () => {
    const current = await target(ctx, provider, id);
    return updateIntegration(ctx.sql, key(ctx), requireActor(ctx), current.id, change);
  });
}

function remove(ctx: Context, provider: IntegrationProvider, id: string | null | undefined) {
  return audited(ctx, "vcs_integration.delete", "vcs_integration", id ?? null, async () => {
    const current = await target(ctx, provider, id);
    return deleteIntegration(ctx.sql, requireActor(ctx), current.id);
  });
}

const endpoint = (ctx: Context, provider: IntegrationProvider, id: string | null) => `${ctx.audience}/webhooks/${HOOK_PATHS[provider]}${id ? `/${id}` : ""}`;

export const vcsResolvers = {
  Query: {
    vcsIntegrations: (_: unknown, __: Args, ctx: Context) => visibleIntegrations(ctx.sql, requireActor(ctx)),
    vcsIntegration: (_: unknown, { provider, id }: Args, ctx: Context) => (["GITHUB", "GITLAB", "GIT"].includes(provider) ? resolveIntegration(ctx.sql, requireActor(ctx), provider, id) : null),
    githubEnterpriseIntegration: (_: unknown, { id }: Args, ctx: Context) => resolveIntegration(ctx.sql, requireActor(ctx), "GITHUB", id),
    gitlabIntegration: (_: unknown, { id }: Args, ctx: Context) => resolveIntegration(ctx.sql, requireActor(ctx), "GITLAB", id),
    githubEnterpriseWebhooksEndpoint: (_: unknown, { id }: Args, ctx: Context) => (requireActor(ctx), endpoint(ctx, "GITHUB", id ?? null)),
    gitlabWebhooksEndpoint: (_: unknown, { id }: Args, ctx: Context) => (requireActor(ctx), endpoint(ctx, "GITLAB", id ?? null)),
  },
  Mutation: {
    githubEnterpriseIntegrationCreate: (_: unknown, a: Args, ctx: Context) =>
      create(ctx, "GITHUB", { ...customInput(a.customInput), provider: "GITHUB", apiHost: a.apiHost, userFacingHost: a.userFacingHost, appId: a.appID, credentials: { token: a.token ?? undefined, privateKey: a.privateKey ?? undefined }, webhookSecret: a.webhookSecret }),
    githubEnterpriseIntegrationUpdate: (_: unknown, a: Args, ctx: Context) =>
      update(ctx, "GITHUB", a.id ?? a.customInput?.id, changeFrom(a, given({ token: a.token ?? undefined, privateKey: a.privateKey ?? undefined }))),
    githubEnterpriseIntegrationDelete: (_: unknown, { id }: Args, ctx: Context) => remove(ctx, "GITHUB", id),
    githubEnterpriseIntegrationRegenerateWebhookSecret: (_: unknown, { id }: Args, ctx: Context) => update(ctx, "GITHUB", id, { regenerateWebhookSecret: true }),
    gitlabIntegrationCreate: (_: unknown, a: Args, ctx: Context) =>
      create(ctx, "GITLAB", { ...customInput(a.customInput), provider: "GITLAB", apiHost: a.apiHost, userFacingHost: a.userFacingHost, credentials: { token: a.privateToken }, webhookSecret: a.webhookSecret }),
    gitlabIntegrationUpdate: (_: unknown, a: Args, ctx: Context) => update(ctx, "GITLAB", a.id ?? a.customInput?.id, changeFrom(a, given({ token: a.privateToken ?? undefined }))),
    gitlabIntegrationDelete: (_: unknown, { id }: Args, ctx: Context) => remove(ctx, "GITLAB", id),
    gitlabIntegrationRegenerateWebhookSecret: (_: unknown, { id }: Args, ctx: Context) => update(ctx, "GITLAB", id, { regenerateWebhookSecret: true }),
    gitIntegrationCreate: (_: unknown, a: Args, ctx: Context) =>
      create(ctx, "GIT", { ...customInput(a.customInput), provider: "GIT", credentials: a.username || a.password ? { username: a.username ?? undefined, password: a.password ?? undefined } : null }),
    gitIntegrationUpdate: (_: unknown, a: Args, ctx: Context) =>
      update(ctx, "GIT", a.id, changeFrom(a, a.username !== undefined || a.password !== undefined ? { username: a.username ?? undefined, password: a.password ?? undefined } : undefined)),
    gitIntegrationDelete: (_: unknown, { id }: Args, ctx: Context) => remove(ctx, "GIT", id),
  },
  VCSIntegration: {
    space: async (i: Out, _: Args, ctx: Context) => (await ctx.spaces()).get(i.spaceId),
    appID: (i: Out) => i.appId,
    webhookURL: (i: Out, _: Args, ctx: Context) => (HOOK_PATHS[i.provider] ? endpoint(ctx, i.provider, i.id) : null),
    webhookSecret: (i: Out) => (i as Created).generatedWebhookSecret ?? null,
    createdAt: (i: Out) => seconds(i.createdAt),
    updatedAt: (i: Out) => seconds(i.updatedAt),
  },
  Stack: {
    vcsIntegration: async (s: StackView, _: Args, ctx: Context) => {
      const found = await stackIntegration(ctx.sql, s);
      return found ? readIntegration(ctx.sql, requireActor(ctx), found.id) : null;
    },
  },
};
