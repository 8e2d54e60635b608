// One consumer per queue and process: claims due jobs in batches up to its free slots, runs their
// handlers, heartbeats the leases it holds and reports outcomes in batches. NOTIFY only rings the
// doorbell; the consumer also polls, so a lost notification delays a job by one poll at most.
import { hostname } from "node:os";
import { randomBytes } from "node:crypto";
import type { Db, Sql } from "../db/connect.ts";
import type { Logger } from "../log.ts";
import { backoffMs, claim, complete, fail, heartbeat, release, type Job, type QueueName } from "./jobs.ts";
import { describe } from "../db/connect.ts";
import { withTimeout } from "../timeout.ts";

/** No single queue statement may hold a loop longer than this. */
const STATEMENT_DEADLINE_MS = 30_000;

export type JobContext = Readonly<{ sql: Sql; log: Logger; signal: AbortSignal; job: Job }>;
export type Handler = (payload: unknown, ctx: JobContext) => Promise<void>;
/** kind → handler. A job whose kind has no handler fails (and ends in the dead-letter table). */
export type Registry = ReadonlyMap<string, Handler>;

export type ConsumerOptions = Readonly<{
  sql: Sql;
  queue: QueueName;
  registry: Registry;
  log: Logger;
  concurrency: number;
  leaseSeconds: number;
  pollIntervalMs: number;
  backoffBaseMs?: number;
  owner?: string;
}>;

export type ConsumerStats = { claimed: number; completed: number; failed: number; claimLatencyMs: number[] };

export function consumerId(): string {
  return `${hostname()}:${process.pid}:${randomBytes(3).toString("hex")}`;
}

export class Consumer {
  readonly owner: string;
  readonly stats: ConsumerStats = { claimed: 0, completed: 0, failed: 0, claimLatencyMs: [] };
  private readonly inFlight = new Map<string, { job: Job; abort(reason: Error): void; done: Promise<void> }>();
  private readonly finished: string[] = [];
  /** Finished jobs whose completion is not recorded yet: their leases are still ours to keep. */
  private readonly unrecorded = new Set<string>();
  private flushQueued = false;
  private flushing: Promise<void> | null = null;
  private wake: (() => void) | null = null;
  private rang = false;
  private stopping = false;
  private returning = new Set<string>();
  private recordLatency = false;

  constructor(private readonly options: ConsumerOptions) {
    this.owner = options.owner ?? consumerId();
  }

  /** Sampling of enqueue → claim latency, for benchmarks. */
  measureLatency(on = true): void {
    this.recordLatency = on;
  }

  /** The doorbell: a NOTIFY for this queue, or a freed slot. */
  ring(): void {
    this.rang = true;
    this.wake?.();
  }

  async start(signal: AbortSignal): Promise<void> {
    const { log, leaseSeconds } = this.options;
    const beat = setInterval(() => void this.beat(), Math.max(1000, (leaseSeconds * 1000) / 3));
    const onAbort = () => this.ring();
    signal.addEventListener("abort", onAbort);
    let failures = 0;
    try {
      while (!signal.aborted) {
        const free = this.options.concurrency - this.inFlight.size;
        let got = 0;
        if (free > 0) {
          try {
            got = await this.claimAndRun(free);
            failures = 0;
          } catch (error) {
            failures++;
            const wait = Math.min(30_000, 250 * 2 ** Math.min(failures, 7));
            log.warn("claim failed, retrying", { queue: this.options.queue, reason: describe(error), retry_in_ms: wait });
            await this.sleep(wait, signal);
            continue;
          }
        }
        if (got > 0 && got === free) continue; // there may be more
        await this.sleep(this.options.pollIntervalMs, signal);
      }
    } finally {
      signal.removeEventListener("abort", onAbort);
      clearInterval(beat);
    }
  }

  /** After start() returned: wait for running jobs until the deadline, then return leases. */
  async drain(deadlineMs: number): Promise<{ finished: number; returned: number }> {
    this.stopping = true;
    const running = [...this.inFlight.values()];
    const timeout = new Promise<"timeout">((resolve) => setTimeout(() => resolve("timeout"), deadlineMs).unref?.());
    await Promise.race([Promise.all(running.map((r) => r.done)), timeout]);
    const left = [...this.inFlight.keys()];
    // From here a handler that fails is not charged an attempt: its lease is returned below.
    this.returning = new Set(left);
    for (const entry of this.inFlight.values()) entry.abort(new Error("shutting down"));
    await this.flush();
    const returned = await release(this.options.sql, this.owner, left).catch(() => 0);
    return { finished: running.length - left.length, returned };
  }

  get busy(): number {
    return this.inFlight.size;
  }

  private async claimAndRun(limit: number): Promise<number> {
    const { sql, queue, leaseSeconds } = this.options;
    const jobs = await withTimeout(claim(sql, queue, this.owner, limit, leaseSeconds), STATEMENT_DEADLINE_MS, "claim");
    const now = Date.now();
    for (const job of jobs) {
      this.stats.claimed++;
      if (this.recordLatency) this.stats.claimLatencyMs.push(now - Math.max(job.runAt.getTime(), job.createdAt.getTime()));
      this.run(job);
    }
    return jobs.length;
  }

  private run(job: Job): void {
    const { registry, sql, log } = this.options;
    const handler = registry.get(job.kind);
    // The signal and the job's logger are made on first use: most handlers never look at them,
    // and at tens of thousands of jobs a second their cost shows.
    let controller: AbortController | undefined;
    let abortedWith: { reason: Error } | undefined;
    const abort = (reason: Error) => {
      if (controller) controller.abort(reason);
      else abortedWith ??= { reason };
    };
    let jobLog: Logger | undefined;
    const context: JobContext = {
      sql,
      job,
      get signal() {
        if (!controller) {
          controller = new AbortController();
          if (abortedWith) controller.abort(abortedWith.reason);
        }
        return controller.signal;
      },
      get log() {
        return (jobLog ??= log.child({ job: job.id, kind: job.kind }));
      },
    };
    const done = (async () => {
      try {
        if (!handler) throw new Error(`no handler for job kind "${job.kind}"`);
        await handler(job.payload, context);
        // The slot frees now; the completion is recorded in a batch with the other jobs that
        // finish meanwhile (one statement per batch, not per job), and the lease is kept until then.
        this.finished.push(job.id);
        this.unrecorded.add(job.id);
        this.stats.completed++;
        this.scheduleFlush();
      } catch (error) {
        if (this.returning.has(job.id)) return; // aborted by shutdown: drain() returns the lease
        this.stats.failed++;
        const reason = error instanceof Error ? error.message : String(error);
        const outcome = await withTimeout(fail(sql, this.owner, job, reason, backoffMs(job.attempts, this.options.backoffBaseMs)), STATEMENT_DEADLINE_MS, "fail").catch(() => "lost" as const);
        const fields = { queue: job.queue, job: job.id, kind: job.kind, attempt: job.attempts, outcome, reason };
        if (outcome === "dead") log.error("job failed for the last time and moved to the dead-letter table", fields);
        else log.warn("job failed", fields);
      } finally {
        this.inFlight.delete(job.id);
        if (!this.stopping) this.ring();
      }
    })();
    this.inFlight.set(job.id, { job, abort, done });
  }

  /**
   * Flushes once the jobs that finish in this turn of the event loop have finished too (their
   * continuations are already queued ahead of this microtask). A flush in progress picks up what
   * finishes meanwhile when it ends.
   */
  private scheduleFlush(): void {
    if (this.flushQueued || this.flushing) return;
    this.flushQueued = true;
    queueMicrotask(() => {
      this.flushQueued = false;
      void this.flush();
    });
  }

  /** Completes every finished job in one statement; concurrent callers share the flush. */
  private async flush(): Promise<void> {
    while (this.finished.length > 0 || this.flushing) {
      if (this.flushing) {
        await this.flushing;
        continue;
      }
      const ids = this.finished.splice(0);
      this.flushing = (async () => {
        for (let attempt = 0; ; attempt++) {
          try {
            await withTimeout(complete(this.options.sql, this.owner, ids), STATEMENT_DEADLINE_MS, "complete");
            for (const id of ids) this.unrecorded.delete(id);
            // A FIFO successor becomes claimable only now that its predecessor is deleted: look again
            // rather than wait for the next poll.
            if (!this.stopping) this.ring();
            return;
          } catch (error) {
            // The database may be restarting: keep the outcome and try again; the lease keeps the job ours.
            if (attempt >= 20) {
              for (const id of ids) this.unrecorded.delete(id);
              this.options.log.error("could not record finished jobs; their leases will expire and they will run again", { count: ids.length, reason: describe(error) });
              return;
            }
            await new Promise((r) => setTimeout(r, Math.min(5000, 100 * 2 ** attempt)));
          }
        }
      })();
      await this.flushing;
      this.flushing = null;
    }
  }

  private async beat(): Promise<void> {
    const ids = [...this.inFlight.keys(), ...this.unrecorded];
    try {
      const lost = await withTimeout(heartbeat(this.options.sql, this.owner, ids, this.options.leaseSeconds), STATEMENT_DEADLINE_MS, "heartbeat");
      for (const id of lost) {
        this.options.log.warn("lease lost; the job will be retried elsewhere", { queue: this.options.queue, job: id });
        this.inFlight.get(id)?.abort(new Error("lease lost"));
      }
    } catch (error) {
      this.options.log.warn("heartbeat failed", { queue: this.options.queue, reason: describe(error) });
    }
  }

  private sleep(ms: number, signal: AbortSignal): Promise<void> {
    if (this.rang || signal.aborted) {
      this.rang = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const finish = () => {
        clearTimeout(timer);
        if (this.wake === finish) this.wake = null;
        this.rang = false;
        resolve();
      };
      const timer = setTimeout(finish, ms);
      this.wake = finish;
    });
  }
}

/** One LISTEN connection per process, fanned out to the consumers by queue name. */
export async function listenForJobs(sql: Sql, consumers: readonly Consumer[], queues: readonly QueueName[]): Promise<{ unlisten(): Promise<void> }> {
  const byQueue = new Map<string, Consumer[]>();
  queues.forEach((q, i) => byQueue.set(q, [...(byQueue.get(q) ?? []), consumers[i]]));
  const meta = await sql.listen(
    "gantry_queue",
    (queue) => byQueue.get(queue)?.forEach((c) => c.ring()),
    // (Re)subscribed, possibly after a reconnect: notifications may have been missed, so look now.
    () => consumers.forEach((c) => c.ring()),
  );
  return { unlisten: () => withTimeout(meta.unlisten(), 5000, "unlisten") };
}

export type { Db };
