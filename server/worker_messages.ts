// Worker → server messages: the server subscribes to every worker's writeonly topic and enqueues
// each message on the worker_messages queue, where the drain handles it. The topic names the
// sender (the broker lets a worker publish only on its own), so the payload carries no identity.
import type { Sql } from "../shared/db/connect.ts";
import type { Logger } from "../shared/log.ts";
import type { MqttLink } from "../shared/mqtt/link.ts";
import { ALL_WORKER_MESSAGES, parseWriteonlyTopic } from "../shared/mqtt/topics.ts";
import { enqueue } from "../shared/queue/jobs.ts";
import { JOB_KINDS } from "../shared/queue/kinds.ts";
import { MAX_MESSAGE_BYTES } from "../shared/workers/protocol.ts";
import type { ReceivedMessage } from "../shared/workers/operations.ts";

/** A worker's heartbeats reach the database at most this often (the same run); extra ones are dropped. */
export const HEARTBEAT_MIN_INTERVAL_MS = 500;

/**
 * Drops heartbeats that repeat the last forwarded one within HEARTBEAT_MIN_INTERVAL_MS, so a worker
 * flooding its topic cannot turn each message into a database write. A heartbeat naming another
 * run always passes.
 */
export class HeartbeatThrottle {
  private readonly last = new Map<string, { at: number; runId: unknown }>();
  constructor(private readonly now: () => number = Date.now) {}

  admit(worker: string, message: unknown): boolean {
    const beat = message as { type?: unknown; runId?: unknown } | null;
    if (beat?.type !== "heartbeat") return true;
    const now = this.now();
    const previous = this.last.get(worker);
    if (previous && previous.runId === beat.runId && now - previous.at < HEARTBEAT_MIN_INTERVAL_MS) return false;
    this.last.set(worker, { at: now, runId: beat.runId });
    if (this.last.size > 100_000) this.last.clear(); // bounded: forgetting only lets one more through
    return true;
  }
}

export async function forwardWorkerMessages(link: MqttLink, sql: Sql, log: Logger): Promise<void> {
  const throttle = new HeartbeatThrottle();
  await link.subscribe(ALL_WORKER_MESSAGES, (topic, payload) => {
    const from = parseWriteonlyTopic(topic);
    if (!from || payload.length > MAX_MESSAGE_BYTES) return log.warn("worker message dropped", { topic, bytes: payload.length });
    let message: unknown;
    try {
      message = JSON.parse(payload.toString("utf8"));
    } catch {
      return log.warn("worker message is not JSON, dropped", { topic });
    }
    if (!throttle.admit(from.worker, message)) return;
    enqueueWorkerMessage(sql, from.pool, from.worker, message).catch((error) => log.warn("worker message not enqueued", { topic, reason: (error as Error).message }));
  });
}

/** A worker's message for the drain (from MQTT, or POSTed by a worker on the HTTP long-poll transport). */
export async function enqueueWorkerMessage(sql: Sql, pool: string, worker: string, message: unknown): Promise<void> {
  const job: ReceivedMessage = { pool, worker, message };
  await enqueue(sql, { queue: "worker_messages", kind: JOB_KINDS.workerMessage, payload: job, maxAttempts: 3 });
}
