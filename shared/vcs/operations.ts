// What callers do to VCS integrations: admins of the integration's space create, change and delete
// them; readers of the space see them (never their credentials or webhook secret). A webhook
// secret Gantry generates is returned once, in the answer of the call that made it.
import { randomBytes } from "node:crypto";
import type { Sql } from "../db/connect.ts";
import { invalid, notFound } from "../errors.ts";
import { readableSpaces, requireRole, roleIn, type Actor } from "../auth/roles.ts";
import { spaceTree } from "../spaces/queries.ts";
import { ulid } from "../runs/ulid.ts";
import { checkCredentials, checkWebhookSecret, integrationFields, type Credentials, type Integration, type IntegrationInput, type IntegrationProvider } from "./integration.ts";
import { defaultIntegration, deleteIntegrationRow, getIntegration, insertIntegration, listIntegrations, updateIntegrationRow } from "./queries.ts";

/** An integration with the webhook secret Gantry generated for it, shown this once. */
export type Created = Integration & Readonly<{ generatedWebhookSecret: string | null }>;

const generateSecret = () => randomBytes(24).toString("base64url");

export async function createIntegration(sql: Sql, key: Buffer, actor: Actor, input: IntegrationInput): Promise<Created> {
  const fields = integrationFields(input);
  checkCredentials(fields.provider, fields.appId, input.credentials, true);
  const tree = await spaceTree(sql);
  if (!tree.has(fields.spaceId)) throw notFound(`space ${fields.spaceId}`);
  requireRole(actor, tree, fields.spaceId, "admin", "creating a VCS integration");
  let generated: string | null = null;
  let secret: string | null = null;
  if (fields.provider !== "GIT") {
    if (input.webhookSecret) secret = checkWebhookSecret(input.webhookSecret);
    else secret = generated = generateSecret();
  } else if (input.webhookSecret) {
    throw invalid("raw Git integrations receive no webhooks; they are polled");
  }
  const created = await insertIntegration(sql, key, ulid(), fields, nonEmpty(input.credentials), secret);
  return { ...created, generatedWebhookSecret: generated };
}

export type IntegrationChange = Omit<IntegrationInput, "provider" | "spaceId" | "name"> & Readonly<{ spaceId?: string | null; name?: string | null; regenerateWebhookSecret?: boolean }>;

export async function updateIntegration(sql: Sql, key: Buffer, actor: Actor, id: string, change: IntegrationChange): Promise<Created> {
  const current = await mustRead(sql, actor, id);
  const fields = integrationFields({
    provider: current.provider,
    spaceId: change.spaceId ?? current.spaceId,
    name: change.name ?? current.name,
    description: change.description ?? current.description,
    labels: change.labels ?? current.labels,
    isDefault: change.isDefault ?? current.isDefault,
    apiHost: change.apiHost ?? current.apiHost,
    userFacingHost: change.userFacingHost ?? (change.apiHost ? null : current.userFacingHost),
    appId: change.appId === undefined ? current.appId : change.appId,
  });
  checkCredentials(fields.provider, fields.appId, change.credentials, false);
  const tree = await spaceTree(sql);
  requireRole(actor, tree, current.spaceId, "admin", "changing a VCS integration");
  if (fields.spaceId !== current.spaceId) {
    if (!tree.has(fields.spaceId)) throw notFound(`space ${fields.spaceId}`);
    requireRole(actor, tree, fields.spaceId, "admin", "moving a VCS integration into a space");
  }
  let generated: string | null = null;
  let secret: string | undefined;
  if (change.regenerateWebhookSecret) {
    if (fields.provider === "GIT") throw invalid("raw Git integrations have no webhook secret");
    secret = generated = generateSecret();
  } else if (change.webhookSecret) {
    secret = checkWebhookSecret(change.webhookSecret);
  }
  const credentials = change.credentials ? nonEmpty(change.credentials) ?? undefined : undefined;
  const updated = await updateIntegrationRow(sql, key, id, fields, credentials, secret);
  return { ...updated, generatedWebhookSecret: generated };
}

export async function deleteIntegration(sql: Sql, actor: Actor, id: string): Promise<Integration> {
  const current = await mustRead(sql, actor, id);
  requireRole(actor, await spaceTree(sql), current.spaceId, "admin", "deleting a VCS integration");
  await deleteIntegrationRow(sql, id);
  return current;
}

/** The integration if the actor may read it; null otherwise (as for a missing one). */
export async function readIntegration(sql: Sql, actor: Actor, id: string): Promise<Integration | null> {
  const found = await getIntegration(sql, id);
  if (!found) return null;
  return roleIn(actor, await spaceTree(sql), found.spaceId) ? found : null;
}

/** By id, or the provider's default integration when id is null (Spacelift's `id: ID` arguments). */
export async function resolveIntegration(sql: Sql, actor: Actor, provider: IntegrationProvider, id: string | null | undefined): Promise<Integration | null> {
  if (id) {
    const found = await readIntegration(sql, actor, id);
    return found && found.provider === provider ? found : null;
  }
  const fallback = await defaultIntegration(sql, provider);
  return fallback && roleIn(actor, await spaceTree(sql), fallback.spaceId) ? fallback : null;
}

export async function visibleIntegrations(sql: Sql, actor: Actor): Promise<Integration[]> {
  return listIntegrations(sql, actor.admin ? null : readableSpaces(actor, await spaceTree(sql)));
}

async function mustRead(sql: Sql, actor: Actor, id: string): Promise<Integration> {
  const found = await readIntegration(sql, actor, id);
  if (!found) throw notFound(`VCS integration ${id}`);
  return found;
}

function nonEmpty(c: Credentials | null | undefined): Credentials | null {
  if (!c) return null;
  const kept = Object.fromEntries(Object.entries(c).filter(([, v]) => typeof v === "string" && v !== ""));
  return Object.keys(kept).length ? (kept as Credentials) : null;
}
