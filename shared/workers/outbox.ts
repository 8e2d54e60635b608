// Sending a message to one worker: it is written to the worker's outbox (read by workers on the
// HTTP long-poll transport, who cannot reach the broker) with a NOTIFY to wake their long polls,
// and published at QoS 1 on the worker's readonly topic. A worker may get a message both ways;
// every message is harmless to repeat (protocol.ts).
import type { Db } from "../db/connect.ts";
import type { MqttLink } from "../mqtt/link.ts";
import { readonlyTopic } from "../mqtt/topics.ts";
import type { ServerMessage } from "./protocol.ts";

export const OUTBOX_CHANNEL = "gantry_worker_outbox";
export const OUTBOX_KEEP_MINUTES = 15;

export type Delivery = Readonly<{ outbox: true; mqtt: boolean; reason?: string }>;

export async function sendToWorker(db: Db, mqtt: MqttLink | null, poolId: string, workerId: string, message: ServerMessage): Promise<Delivery> {
  await db`insert into worker_outbox (worker_id, payload) values (${workerId}, ${db.json(message as never)})`;
  await db`select pg_notify(${OUTBOX_CHANNEL}, ${workerId})`;
  if (!mqtt?.isUp()) return { outbox: true, mqtt: false, reason: "the MQTT broker is not reachable" };
  try {
    await mqtt.publish(readonlyTopic(poolId, workerId), JSON.stringify(message), 1);
    return { outbox: true, mqtt: true };
  } catch (error) {
    return { outbox: true, mqtt: false, reason: (error as Error).message };
  }
}

export type OutboxEntry = Readonly<{ id: number; message: ServerMessage }>;

/** The worker's messages after `after`, oldest first. */
export async function readOutbox(db: Db, workerId: string, after: number, limit = 100): Promise<OutboxEntry[]> {
  const rows = await db<{ id: string; payload: ServerMessage }[]>`
    select id, payload from worker_outbox where worker_id = ${workerId} and id > ${after} order by id limit ${limit}`;
  return rows.map((r) => ({ id: Number(r.id), message: r.payload }));
}

/** Forgets messages older than OUTBOX_KEEP_MINUTES; returns how many. */
export async function pruneOutbox(db: Db): Promise<number> {
  const rows = await db`delete from worker_outbox where created_at < now() - make_interval(mins => ${OUTBOX_KEEP_MINUTES}) returning id`;
  return rows.length;
}
