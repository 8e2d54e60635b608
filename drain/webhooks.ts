// The drain's VCS handlers: a stored webhook delivery becomes runs (shared/vcs/process.ts), a run's
// state goes back to its commit and pull request (shared/vcs/feedback.ts), and raw Git stacks are
// polled for new commits (shared/vcs/git_poll.ts). Each parses its payload and calls one function.
import type { Handler } from "../shared/queue/consumer.ts";
import { VCS_JOB_KINDS } from "../shared/vcs/jobs.ts";
import { processDelivery, type VcsDeps } from "../shared/vcs/process.ts";
import { sendFeedback } from "../shared/vcs/feedback.ts";
import { pollGitStacks } from "../shared/vcs/git_poll.ts";

export type { VcsDeps };

const field = (payload: unknown, key: string): string => {
  const value = (payload as Record<string, unknown> | null)?.[key];
  if (typeof value !== "string" || value === "") throw new Error(`payload without ${key}`);
  return value;
};

/**
 * Without deps (a drain started without the installation's key, as in tests of other parts) the
 * scheduler's poll and commit statuses are skipped, and a delivery fails (to be retried by a drain
 * that has them): the handlers exist either way, so no VCS job dead-letters for want of one.
 */
export function webhookHandlers(configured: VcsDeps | null): Array<[string, Handler]> {
  const need = (what: string): VcsDeps => {
    if (!configured) throw new Error(`this drain has no VCS settings; cannot ${what}`);
    return configured;
  };
  const delivery: Handler = async (payload, { sql, log }) => {
    const deps = need("process webhook deliveries");
    const provider = field(payload, "provider");
    if (provider !== "GITHUB" && provider !== "GITLAB") throw new Error(`unknown provider ${provider}`);
    const deliveryId = field(payload, "deliveryId");
    const result = await processDelivery(sql, deps, log, provider, deliveryId);
    log.info("webhook delivery processed", { provider, delivery: deliveryId, runs: result.created.length });
  };
  const feedback: Handler = async (payload, { sql, log }) => {
    if (!configured) return;
    const deps = configured;
    const result = await sendFeedback(sql, deps, field(payload, "runId"));
    if (result.status) log.debug("commit status sent", { run: field(payload, "runId"), state: result.status.state, commented: result.commented });
  };
  const gitPoll: Handler = async (_payload, { sql, log }) => {
    if (!configured) return;
    const deps = configured;
    const result = await pollGitStacks(sql, deps, log);
    if (result.created.length || result.failed) log.info("raw Git stacks polled", { polled: result.polled, runs: result.created.length, failed: result.failed });
  };
  return [
    [VCS_JOB_KINDS.delivery, delivery],
    [VCS_JOB_KINDS.feedback, feedback],
    [VCS_JOB_KINDS.gitPoll, gitPoll],
  ];
}
