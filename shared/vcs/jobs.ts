// The VCS job kinds and their jobs. Deliveries of one repository are processed one at a time, in
// the order received (FIFO key), so a newer push supersedes an older one and never the reverse.
// Feedback for one stack's runs (commit statuses, PR comments) goes out in order, one at a time.
import type { NewJob } from "../queue/jobs.ts";

export const VCS_JOB_KINDS = Object.freeze({
  /** A verified webhook delivery to turn into runs (webhooks queue). */
  delivery: "vcs_delivery",
  /** A run at a commit changed state: report it to the VCS (async_fifo, per stack). */
  feedback: "vcs_feedback",
  /** Look for new commits on the tracked branches of raw Git stacks (cronjobs). */
  gitPoll: "vcs_git_poll",
} as const);

export const deliveryJob = (provider: string, deliveryId: string, repository: string): NewJob => ({
  queue: "webhooks",
  kind: VCS_JOB_KINDS.delivery,
  payload: { provider, deliveryId },
  fifoKey: `vcs-repo:${provider}:${repository}`,
});

export const feedbackJob = (stackId: string, runId: string): NewJob => ({
  queue: "async_fifo",
  kind: VCS_JOB_KINDS.feedback,
  payload: { stackId, runId },
  fifoKey: `vcs-feedback:${stackId}`,
});

/** Providers whose runs report back: a run at a known commit of a GitHub or GitLab stack. */
export const wantsFeedback = (stackProvider: unknown, commitSha: string | null): boolean => commitSha !== null && (stackProvider === "GITHUB" || stackProvider === "GITLAB");
