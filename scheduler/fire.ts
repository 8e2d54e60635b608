// Enqueues one schedule's job for one fire time, at most once across all replicas: the
// (schedule, fire_at) row and the job are written in one transaction.
import { Cron } from "croner";
import type { Sql } from "../shared/db/connect.ts";
import { enqueue } from "../shared/queue/jobs.ts";
import type { Schedule } from "./schedules.ts";

export async function fireOnce(sql: Sql, schedule: Schedule, fireAt: Date, by: string): Promise<string | null> {
  return sql.begin(async (tx) => {
    const [claimed] = await tx`
      insert into cron_fires (schedule, fire_at, enqueued_by) values (${schedule.name}, ${fireAt}, ${by})
      on conflict do nothing returning 1`;
    if (!claimed) return null;
    const id = await enqueue(tx, schedule.job(fireAt));
    await tx`update cron_fires set job_id = ${id} where schedule = ${schedule.name} and fire_at = ${fireAt}`;
    return id;
  });
}

/** The scheduled tick a trigger at `now` belongs to: the latest fire time not after now. */
export function tickAt(pattern: string, now: Date, maxLagMs = 60_000): Date | null {
  const evaluator = new Cron(pattern, { paused: true });
  let tick: Date | null = null;
  for (let next = evaluator.nextRun(new Date(now.getTime() - maxLagMs)); next && next.getTime() <= now.getTime(); next = evaluator.nextRun(next)) {
    tick = next;
  }
  evaluator.stop();
  return tick;
}
