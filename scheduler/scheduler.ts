// The scheduler: while leader, one croner job per schedule; each tick enqueues idempotently.
import { withTimeout } from "../shared/timeout.ts";
import { Cron } from "croner";
import type { Sql } from "../shared/db/connect.ts";
import { describe } from "../shared/db/connect.ts";
import type { Logger } from "../shared/log.ts";
import { consumerId } from "../shared/queue/consumer.ts";
import { fireOnce, tickAt } from "./fire.ts";
import { whileLeader } from "./leader.ts";
import { BUILTIN_SCHEDULES, type Schedule } from "./schedules.ts";

const FIRE_DEADLINE_MS = 30_000;

export type SchedulerOptions = Readonly<{ sql: Sql; log: Logger; schedules?: readonly Schedule[]; identity?: string; retryMs?: number }>;

export function runScheduler(options: SchedulerOptions, signal: AbortSignal): Promise<void> {
  const { sql, log } = options;
  const schedules = options.schedules ?? BUILTIN_SCHEDULES;
  const identity = options.identity ?? consumerId();
  return whileLeader(
    sql,
    log,
    signal,
    async (leadership) => {
      const jobs = schedules.map(
        (schedule) =>
          new Cron(schedule.pattern, { name: schedule.name, protect: true, timezone: "UTC" }, async () => {
            const fireAt = tickAt(schedule.pattern, new Date());
            if (!fireAt || leadership.aborted) return;
            try {
              // Bounded: croner's protect skips fires while one runs, so a fire that never settled
              // would stop this schedule for good.
              await withTimeout(fireOnce(sql, schedule, fireAt, identity), FIRE_DEADLINE_MS, `firing ${schedule.name}`);
            } catch (error) {
              log.warn("cron enqueue failed", { schedule: schedule.name, reason: describe(error) });
            }
          }),
      );
      await new Promise<void>((resolve) => (leadership.aborted ? resolve() : leadership.addEventListener("abort", () => resolve(), { once: true })));
      jobs.forEach((job) => job.stop());
    },
    { retryMs: options.retryMs },
  );
}
