// Named webhooks (Spacelift's namedWebhooksIntegration*): endpoints notification policies send to,
// and the delivery of one stored request. A delivery is POSTed (or the policy's method) with the
// policy's headers; a 2xx marks it delivered; a 5xx or network error is retried by the queue
// (up to the job's attempts), a 4xx fails it at once.
import type { Db, Sql } from "../db/connect.ts";
import { invalid, notFound } from "../errors.ts";
import { requireRole, type Actor } from "../auth/roles.ts";
import { spaceTree } from "../spaces/queries.ts";
import { checkName, checkSlug, ROOT_SPACE, slugify } from "../spaces/space.ts";

export type NamedWebhook = Readonly<{ id: string; spaceId: string; name: string; endpoint: string; labels: readonly string[]; enabled: boolean; createdAt: Date }>;
export type NamedWebhookInput = Readonly<{ name: string; endpoint: string; space?: string | null; labels?: readonly string[] | null; enabled?: boolean | null }>;

const toWebhook = (r: Record<string, unknown>): NamedWebhook => ({
  id: r.id as string,
  spaceId: r.space_id as string,
  name: r.name as string,
  endpoint: r.endpoint as string,
  labels: r.labels as string[],
  enabled: r.enabled as boolean,
  createdAt: r.created_at as Date,
});

function checkEndpoint(endpoint: string): string {
  let url: URL;
  try {
    url = new URL(endpoint);
  } catch {
    throw invalid("endpoint must be an http or https URL");
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") throw invalid("endpoint must be an http or https URL");
  return endpoint;
}

export async function createNamedWebhook(sql: Sql, actor: Actor, input: NamedWebhookInput): Promise<NamedWebhook> {
  checkName(input.name, "webhook");
  const space = input.space ?? ROOT_SPACE;
  const tree = await spaceTree(sql);
  if (!tree.has(space)) throw notFound(`space ${space}`);
  requireRole(actor, tree, space, "admin", "creating a webhook");
  const [row] = await sql<Record<string, unknown>[]>`
    insert into named_webhooks (id, space_id, name, endpoint, labels, enabled)
    values (${checkSlug(slugify(input.name), "webhook")}, ${space}, ${input.name}, ${checkEndpoint(input.endpoint)}, ${[...(input.labels ?? [])]}::text[], ${input.enabled ?? true})
    returning *`;
  return toWebhook(row);
}

export async function getNamedWebhook(db: Db, id: string): Promise<NamedWebhook | null> {
  const [row] = await db<Record<string, unknown>[]>`select * from named_webhooks where id = ${id}`;
  return row ? toWebhook(row) : null;
}

export async function deleteNamedWebhook(sql: Sql, actor: Actor, id: string): Promise<NamedWebhook> {
  const hook = await getNamedWebhook(sql, id);
  if (!hook) throw notFound(`webhook ${id}`);
  requireRole(actor, await spaceTree(sql), hook.spaceId, "admin", "deleting a webhook");
  await sql`delete from named_webhooks where id = ${id}`;
  return hook;
}

export type Delivery = Readonly<{ id: string; webhookId: string; status: string; responseStatus: number | null; error: string | null; attempts: number; payload: string; createdAt: Date }>;

export async function listDeliveries(db: Db, webhookId: string, first = 50): Promise<Delivery[]> {
  const rows = await db<Record<string, unknown>[]>`select * from webhook_deliveries where webhook_id = ${webhookId} order by id desc limit ${first}`;
  return rows.map((r) => ({
    id: r.id as string,
    webhookId: r.webhook_id as string,
    status: r.status as string,
    responseStatus: r.response_status as number | null,
    error: r.error as string | null,
    attempts: r.attempts as number,
    payload: r.payload as string,
    createdAt: r.created_at as Date,
  }));
}

/** Sends one delivery. Throws (so the queue retries) on network errors and 5xx; a 4xx fails it for good. */
export async function sendDelivery(sql: Sql, deliveryId: string, timeoutMs = 10_000): Promise<"delivered" | "failed" | "skipped"> {
  const [d] = await sql<{ id: string; method: string; headers: Record<string, string>; payload: string; status: string; endpoint: string; enabled: boolean }[]>`
    select d.id, d.method, d.headers, d.payload, d.status, w.endpoint, w.enabled from webhook_deliveries d join named_webhooks w on w.id = d.webhook_id where d.id = ${deliveryId}`;
  if (!d || d.status !== "pending") return "skipped";
  if (!d.enabled) {
    await sql`update webhook_deliveries set status = 'failed', error = 'the webhook is disabled' where id = ${deliveryId}`;
    return "failed";
  }
  let status: number;
  try {
    const response = await fetch(d.endpoint, {
      method: d.method,
      headers: { "content-type": "application/json", "user-agent": "gantry-webhooks", ...d.headers },
      body: d.method === "GET" || d.method === "HEAD" ? undefined : d.payload,
      signal: AbortSignal.timeout(timeoutMs),
    });
    status = response.status;
    await response.body?.cancel();
  } catch (error) {
    const reason = (error as Error).name === "TimeoutError" ? "timed out" : (error as Error).message;
    await sql`update webhook_deliveries set attempts = attempts + 1, error = ${reason} where id = ${deliveryId}`;
    throw new Error(`webhook delivery ${deliveryId} failed: ${reason}`);
  }
  if (status >= 200 && status < 300) {
    await sql`update webhook_deliveries set status = 'delivered', response_status = ${status}, attempts = attempts + 1, error = null, delivered_at = now() where id = ${deliveryId}`;
    return "delivered";
  }
  if (status >= 500 || status === 429) {
    await sql`update webhook_deliveries set attempts = attempts + 1, response_status = ${status}, error = ${`HTTP ${status}`} where id = ${deliveryId}`;
    throw new Error(`webhook delivery ${deliveryId} failed: HTTP ${status}`);
  }
  await sql`update webhook_deliveries set status = 'failed', response_status = ${status}, attempts = attempts + 1, error = ${`HTTP ${status}`} where id = ${deliveryId}`;
  return "failed";
}
