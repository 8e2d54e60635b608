// The built-in cron schedules. Each only enqueues a job for the drain; the drain does the work.
import { JOB_KINDS } from "../shared/queue/kinds.ts";
import type { NewJob } from "../shared/queue/jobs.ts";
import { VCS_JOB_KINDS } from "../shared/vcs/jobs.ts";

export type Schedule = Readonly<{
  name: string; // unique; with the fire time it makes the enqueue idempotent
  pattern: string; // croner pattern; 6 fields means seconds
  job: (fireAt: Date) => NewJob;
}>;

export const BUILTIN_SCHEDULES: readonly Schedule[] = Object.freeze([
  {
    name: "lease_sweeper",
    pattern: "*/5 * * * * *",
    job: (fireAt: Date): NewJob => ({ queue: "cronjobs", kind: JOB_KINDS.leaseSweep, payload: { fireAt: fireAt.toISOString() }, maxAttempts: 1 }),
  },
  {
    // The safety net under the per-stack and per-pool scheduling jobs: unblocked QUEUED runs
    // become READY, missed accept deadlines and lost leases are handled, waiting runs assigned.
    name: "schedule_sweep",
    pattern: "*/5 * * * * *",
    // Idempotent, so a sweep cut short (a database restart) is simply run again.
    job: (fireAt: Date): NewJob => ({ queue: "cronjobs", kind: JOB_KINDS.scheduleSweep, payload: { fireAt: fireAt.toISOString() }, maxAttempts: 3 }),
  },
  {
    // Raw Git stacks have no webhooks: look for new commits on their tracked branches (shared/vcs/git_poll.ts).
    name: "vcs_git_poll",
    pattern: "0 * * * * *",
    job: (fireAt: Date): NewJob => ({ queue: "cronjobs", kind: VCS_JOB_KINDS.gitPoll, payload: { fireAt: fireAt.toISOString() }, maxAttempts: 1 }),
  },
]);
