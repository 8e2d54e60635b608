// Integrations' SQL. Credentials and webhook secrets go in sealed, bound to "<integration>/<field>",
// and come out only through the functions named for the process that needs them (secretsFor…).
import type { Db } from "../db/connect.ts";
import { seal, unseal } from "../crypto_seal.ts";
import { conflict, fromPostgres, GantryError, notFound } from "../errors.ts";
import type { Credentials, HookProvider, Integration, IntegrationFields, IntegrationProvider } from "./integration.ts";

type Row = Record<string, unknown>;
const bound = (id: string, field: "credentials" | "webhook-secret") => `vcs/${id}/${field}`;

export const toIntegration = (r: Row): Integration => ({
  id: r.id as string,
  spaceId: r.space_id as string,
  provider: r.provider as IntegrationProvider,
  name: r.name as string,
  description: r.description as string,
  labels: r.labels as string[],
  isDefault: r.is_default as boolean,
  apiHost: r.api_host as string,
  userFacingHost: r.user_facing_host as string,
  appId: (r.app_id as string | null) ?? null,
  hasCredentials: r.credentials_sealed !== null,
  hasWebhookSecret: r.webhook_secret_sealed !== null,
  createdAt: r.created_at as Date,
  updatedAt: r.updated_at as Date,
});

function mapWriteError(error: unknown, spaceId: string): unknown {
  const mapped = fromPostgres(error);
  if (mapped instanceof GantryError && mapped.code === "Conflict") return conflict("there already is a default integration for this provider");
  if (mapped instanceof GantryError && (error as { code?: string }).code === "23503") return notFound(`space ${spaceId}`);
  return mapped;
}

export async function insertIntegration(db: Db, key: Buffer, id: string, f: IntegrationFields, credentials: Credentials | null, webhookSecret: string | null): Promise<Integration> {
  try {
    const [row] = await db<Row[]>`
      insert into vcs_integrations (id, space_id, provider, name, description, labels, is_default, api_host, user_facing_host, app_id, credentials_sealed, webhook_secret_sealed)
      values (${id}, ${f.spaceId}, ${f.provider}, ${f.name}, ${f.description}, ${[...f.labels]}, ${f.isDefault}, ${f.apiHost}, ${f.userFacingHost}, ${f.appId},
        ${credentials ? seal(key, JSON.stringify(credentials), bound(id, "credentials")) : null},
        ${webhookSecret ? seal(key, webhookSecret, bound(id, "webhook-secret")) : null})
      returning *`;
    return toIntegration(row);
  } catch (error) {
    throw mapWriteError(error, f.spaceId);
  }
}

/** Replaces the settings; credentials and the webhook secret only when given (undefined keeps them). */
export async function updateIntegrationRow(db: Db, key: Buffer, id: string, f: IntegrationFields, credentials: Credentials | undefined, webhookSecret: string | undefined): Promise<Integration> {
  try {
    const [row] = await db<Row[]>`
      update vcs_integrations set space_id = ${f.spaceId}, name = ${f.name}, description = ${f.description}, labels = ${[...f.labels]},
        is_default = ${f.isDefault}, api_host = ${f.apiHost}, user_facing_host = ${f.userFacingHost}, app_id = ${f.appId},
        credentials_sealed = ${credentials === undefined ? db`credentials_sealed` : seal(key, JSON.stringify(credentials), bound(id, "credentials"))},
        webhook_secret_sealed = ${webhookSecret === undefined ? db`webhook_secret_sealed` : seal(key, webhookSecret, bound(id, "webhook-secret"))},
        updated_at = now()
      where id = ${id} returning *`;
    if (!row) throw notFound(`VCS integration ${id}`);
    return toIntegration(row);
  } catch (error) {
    throw mapWriteError(error, f.spaceId);
  }
}

export async function deleteIntegrationRow(db: Db, id: string): Promise<void> {
  try {
    await db`delete from vcs_integrations where id = ${id}`;
  } catch (error) {
    if ((error as { code?: string }).code === "23503") throw conflict(`VCS integration ${id} is used by stacks; point them elsewhere first`);
    throw fromPostgres(error);
  }
}

export async function getIntegration(db: Db, id: string): Promise<Integration | null> {
  const [row] = await db<Row[]>`select * from vcs_integrations where id = ${id}`;
  return row ? toIntegration(row) : null;
}

export async function defaultIntegration(db: Db, provider: IntegrationProvider): Promise<Integration | null> {
  const [row] = await db<Row[]>`select * from vcs_integrations where provider = ${provider} and is_default`;
  return row ? toIntegration(row) : null;
}

export async function listIntegrations(db: Db, spaces: readonly string[] | null): Promise<Integration[]> {
  const rows = await db<Row[]>`select * from vcs_integrations ${spaces === null ? db`` : db`where space_id = any(${[...spaces]}::text[])`} order by name, id`;
  return rows.map(toIntegration);
}

/** The integration's credentials, unsealed: for the drain's VCS clients and the worker's clone. */
export async function integrationCredentials(db: Db, key: Buffer, id: string): Promise<Credentials | null> {
  const [row] = await db<{ credentials_sealed: Uint8Array | null }[]>`select credentials_sealed from vcs_integrations where id = ${id}`;
  if (!row?.credentials_sealed) return null;
  return JSON.parse(unseal(key, row.credentials_sealed, bound(id, "credentials"))) as Credentials;
}

export type WebhookSecret = Readonly<{ integrationId: string; secret: string }>;

/** Every webhook secret of the provider's integrations, unsealed: for verifying deliveries. */
export async function webhookSecrets(db: Db, key: Buffer, provider: HookProvider): Promise<WebhookSecret[]> {
  const rows = await db<{ id: string; webhook_secret_sealed: Uint8Array }[]>`
    select id, webhook_secret_sealed from vcs_integrations where provider = ${provider} and webhook_secret_sealed is not null order by id`;
  return rows.map((r) => ({ integrationId: r.id, secret: unseal(key, r.webhook_secret_sealed, bound(r.id, "webhook-secret")) }));
}
