// The policy job kinds and their jobs: trigger policies after a tracked run ends, notification
// policies on each run state change, and named webhook deliveries.
import type { Db } from "../db/connect.ts";
import type { NewJob } from "../queue/jobs.ts";

export const POLICY_JOB_KINDS = Object.freeze({
  /** A tracked run reached a terminal state: evaluate its stack's trigger policies. */
  trigger: "policy_trigger",
  /** A run changed state: evaluate the notification policies of its space. */
  notification: "policy_notification",
  /** POST one stored webhook delivery to its named webhook. */
  webhook: "policy_webhook_delivery",
} as const);

export const triggerJob = (stackId: string, runId: string): NewJob => ({ queue: "async", kind: POLICY_JOB_KINDS.trigger, payload: { stackId, runId } });

export const notificationJob = (stackId: string, runId: string, state: string, stateVersion: number | null): NewJob => ({
  queue: "async_fifo",
  kind: POLICY_JOB_KINDS.notification,
  payload: { stackId, runId, state, stateVersion },
  fifoKey: `policy-notification:${runId}`,
});

export const webhookJob = (deliveryId: string): NewJob => ({ queue: "async", kind: POLICY_JOB_KINDS.webhook, payload: { deliveryId }, maxAttempts: 4 });

/** The policy jobs a run's transition to `to` needs: one cheap look-up of which policy types exist. */
export async function policyJobs(db: Db, stackId: string, runId: string, type: string, to: string, terminal: boolean): Promise<NewJob[]> {
  const types = (await db<{ type: string }[]>`select distinct type from policies where type in ('TRIGGER', 'NOTIFICATION')`).map((r) => r.type);
  return [
    ...(types.includes("TRIGGER") && terminal && type === "TRACKED" ? [triggerJob(stackId, runId)] : []),
    ...(types.includes("NOTIFICATION") ? [notificationJob(stackId, runId, to, null)] : []),
  ];
}
