// The HTTP long-poll transport, for workers that reach no MQTT broker: the same messages as MQTT,
// over the worker API. GET /worker/messages?after=<cursor> answers the worker's messages after the
// cursor (from its outbox, shared/workers/outbox.ts), waiting up to 25 s for one to arrive: a
// NOTIFY on the outbox channel wakes the wait, and it also re-reads every 2 s in case a
// notification was missed. POST /worker/messages { message } is a worker → server message
// (a heartbeat), handled exactly like one published on the worker's writeonly topic.
import { Hono, type Context as HonoContext } from "hono";
import type { Sql } from "../../shared/db/connect.ts";
import { invalid } from "../../shared/errors.ts";
import type { Logger } from "../../shared/log.ts";
import { workerFromToken, type WorkerKeys } from "../../shared/workers/operations.ts";
import { OUTBOX_CHANNEL, readOutbox } from "../../shared/workers/outbox.ts";
import { MAX_MESSAGE_BYTES, parseWorkerMessage } from "../../shared/workers/protocol.ts";
import { enqueueWorkerMessage } from "../worker_messages.ts";

export const MAX_WAIT_SECONDS = 25;
const RECHECK_MS = 2000;

/** Long polls waiting per worker, woken by the outbox NOTIFY. */
export class OutboxWaiters {
  private readonly waiting = new Map<string, Set<() => void>>();
  private unlisten: (() => Promise<void>) | null = null;
  private stopped = false;

  /** Listens for outbox notifications, retrying while the database is not reachable yet. */
  async start(sql: Sql, log: Logger): Promise<void> {
    for (let wait = 1000; !this.stopped; wait = Math.min(wait * 2, 30_000)) {
      try {
        const listening = await sql.listen(OUTBOX_CHANNEL, (workerId) => this.wake(workerId));
        if (this.stopped) return void (await listening.unlisten().catch(() => {}));
        this.unlisten = () => listening.unlisten();
        return;
      } catch (error) {
        log.warn("outbox notifications unavailable, retrying; long polls re-read every 2 s meanwhile", { reason: (error as Error).message, retry_in_ms: wait });
        await new Promise((r) => (setTimeout(r, wait) as { unref?: () => void }).unref?.());
      }
    }
  }

  wake(workerId: string): void {
    for (const resolve of this.waiting.get(workerId) ?? []) resolve();
  }

  /** Resolves on a notification for the worker, after `ms`, or when `signal` aborts. */
  wait(workerId: string, ms: number, signal: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      const set = this.waiting.get(workerId) ?? new Set();
      this.waiting.set(workerId, set);
      const done = () => {
        clearTimeout(timer);
        signal.removeEventListener("abort", done);
        set.delete(done);
        if (set.size === 0) this.waiting.delete(workerId);
        resolve();
      };
      const timer = setTimeout(done, ms);
      signal.addEventListener("abort", done, { once: true });
      set.add(done);
    });
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const set of this.waiting.values()) for (const resolve of [...set]) resolve();
    await this.unlisten?.().catch(() => {});
  }
}

const bearer = (c: HonoContext): string | null => /^Bearer\s+(\S+)$/i.exec(c.req.header("authorization") ?? "")?.[1] ?? null;

export function longPollRoutes(deps: Readonly<{ sql: Sql; keys: Pick<WorkerKeys, "workerToken">; waiters: OutboxWaiters }>): Hono {
  const app = new Hono();
  app.get("/messages", async (c) => {
    const worker = await workerFromToken(deps.sql, deps.keys, bearer(c));
    const after = Number(c.req.query("after") ?? "0");
    if (!Number.isSafeInteger(after) || after < 0) throw invalid("after must be a non-negative integer (the cursor of the last answer)");
    const waitSeconds = Math.min(Number(c.req.query("wait") ?? MAX_WAIT_SECONDS), MAX_WAIT_SECONDS);
    if (!Number.isFinite(waitSeconds) || waitSeconds < 0) throw invalid(`wait must be 0 to ${MAX_WAIT_SECONDS} seconds`);
    const deadline = Date.now() + waitSeconds * 1000;
    for (;;) {
      const entries = await readOutbox(deps.sql, worker.id, after);
      const left = deadline - Date.now();
      if (entries.length > 0 || left <= 0 || c.req.raw.signal.aborted) {
        return c.json({ messages: entries.map((e) => e.message), cursor: entries.length ? entries[entries.length - 1].id : after });
      }
      await deps.waiters.wait(worker.id, Math.min(left, RECHECK_MS), c.req.raw.signal);
    }
  });
  app.post("/messages", async (c) => {
    const worker = await workerFromToken(deps.sql, deps.keys, bearer(c));
    const text = await c.req.text();
    if (text.length > MAX_MESSAGE_BYTES + 64) throw invalid(`a message is at most ${MAX_MESSAGE_BYTES} bytes`);
    let body: { message?: unknown };
    try {
      body = JSON.parse(text);
    } catch {
      throw invalid("the request body must be JSON: { message }");
    }
    if (!parseWorkerMessage(JSON.stringify(body?.message ?? null))) throw invalid("not a worker message (protocol.ts: heartbeat)");
    await enqueueWorkerMessage(deps.sql, worker.poolId, worker.id, body.message);
    return c.json({ accepted: true });
  });
  return app;
}
