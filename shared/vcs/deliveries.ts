// Inbound webhook deliveries: stored raw, deduplicated by the provider's delivery id, and enqueued
// in the same transaction, so a delivery is processed exactly when it is stored. Unused events are
// stored already processed ("ignored") and not enqueued.
import type { Db, Sql } from "../db/connect.ts";
import { DEFAULT_MAX_ATTEMPTS } from "../queue/jobs.ts";
import { deliveryJob } from "./jobs.ts";
import type { HookProvider } from "./integration.ts";

export type NewDelivery = Readonly<{
  provider: HookProvider;
  deliveryId: string;
  integrationId: string;
  event: string;
  payload: Uint8Array;
  /** namespace/name, for the FIFO key. */
  repository: string;
  /** False for events Gantry does not act on. */
  used: boolean;
}>;

export type Delivery = Readonly<{ provider: HookProvider; deliveryId: string; integrationId: string | null; event: string; payload: Uint8Array; receivedAt: Date; processedAt: Date | null; outcome: string | null }>;

/**
 * "stored", or "duplicate" when a delivery with that id was stored before (nothing is done again).
 * One statement (it is the whole request path): the delivery and, for a used event, its job
 * (deliveryJob, the columns enqueueMany writes) commit together or not at all.
 */
export async function recordDelivery(sql: Sql, d: NewDelivery): Promise<"stored" | "duplicate"> {
  const job = deliveryJob(d.provider, d.deliveryId, d.repository);
  const [row] = await sql<{ stored: boolean }[]>`
    with stored as (
      insert into vcs_deliveries (provider, delivery_id, integration_id, event, payload, processed_at, outcome)
      values (${d.provider}, ${d.deliveryId}, ${d.integrationId}, ${d.event}, ${d.payload},
        ${d.used ? null : new Date()}, ${d.used ? null : `ignored: event ${d.event} is not used`})
      on conflict do nothing returning 1
    ), job as (
      insert into queue_jobs (queue, kind, payload, fifo_key, max_attempts)
      select ${job.queue}, ${job.kind}, ${JSON.stringify(job.payload)}::text::jsonb, ${job.fifoKey ?? null}, ${DEFAULT_MAX_ATTEMPTS}
      where ${d.used} and exists (select 1 from stored)
    )
    select exists (select 1 from stored) as stored`;
  return row.stored ? "stored" : "duplicate";
}

export async function getDelivery(db: Db, provider: string, deliveryId: string): Promise<Delivery | null> {
  const [r] = await db<Record<string, unknown>[]>`select * from vcs_deliveries where provider = ${provider} and delivery_id = ${deliveryId}`;
  if (!r) return null;
  return {
    provider: r.provider as HookProvider,
    deliveryId: r.delivery_id as string,
    integrationId: (r.integration_id as string | null) ?? null,
    event: r.event as string,
    payload: r.payload as Uint8Array,
    receivedAt: r.received_at as Date,
    processedAt: (r.processed_at as Date | null) ?? null,
    outcome: (r.outcome as string | null) ?? null,
  };
}

export async function markProcessed(db: Db, provider: string, deliveryId: string, outcome: string): Promise<void> {
  await db`update vcs_deliveries set processed_at = now(), outcome = ${outcome.slice(0, 2000)} where provider = ${provider} and delivery_id = ${deliveryId}`;
}
