// QUEUED → READY: every run that may start now (a blocking run holding its stack's lock, or a
// proposed run) becomes READY, in scheduling order. Each change is its own locked update, so a
// run canceled meanwhile is simply skipped.
import type { Sql } from "../db/connect.ts";
import { GantryError } from "../errors.ts";
import { advanceRun } from "./operations.ts";
import { schedulableRuns, type Run } from "./queries.ts";
import { mayStart } from "../policies/approval.ts";

/** Promotes the schedulable QUEUED runs of one stack (or of every stack); returns the runs now READY. */
export async function promoteQueuedRuns(sql: Sql, stackId: string | null, limit = 500): Promise<Run[]> {
  const ready: Run[] = [];
  for (const run of await schedulableRuns(sql, limit, stackId)) {
    try {
      // Approval policies (shared/policies/approval.ts) gate QUEUED runs: undecided waits, a rejection fails the run.
      if (!(await mayStart(sql, run))) continue;
      ready.push(await advanceRun(sql, run.stackId, run.id, "READY", "scheduler"));
    } catch (error) {
      if (!(error instanceof GantryError && (error.code === "Conflict" || error.code === "NotFound"))) throw error;
    }
  }
  return ready;
}
