// The drain's policy handlers: trigger policies after a tracked run ends, notification policies on
// run state changes, and named webhook deliveries. Each parses its payload and calls one function.
import type { Handler } from "../shared/queue/consumer.ts";
import { POLICY_JOB_KINDS } from "../shared/policies/jobs.ts";
import { runTriggerPolicies } from "../shared/policies/trigger.ts";
import { runNotificationPolicies } from "../shared/policies/notification.ts";
import { sendDelivery } from "../shared/policies/webhooks.ts";

const field = (payload: unknown, key: string): string => {
  const value = (payload as Record<string, unknown> | null)?.[key];
  if (typeof value !== "string" || value === "") throw new Error(`payload without ${key}`);
  return value;
};

export type PolicyDeps = Readonly<{ publicUrl: string | null }>;

export function policyHandlers(deps: PolicyDeps): Array<[string, Handler]> {
  const trigger: Handler = async (payload, { sql, log }) => {
    const result = await runTriggerPolicies(sql, log, field(payload, "stackId"), field(payload, "runId"));
    if (result.created.length) log.info("trigger policies created runs", { run: field(payload, "runId"), runs: result.created.join(",") });
  };
  const notification: Handler = async (payload, { sql, log }) => {
    const version = (payload as Record<string, unknown>).stateVersion;
    const result = await runNotificationPolicies(sql, log, deps.publicUrl, field(payload, "stackId"), field(payload, "runId"), field(payload, "state"), typeof version === "number" ? version : null);
    if (result.inbox || result.deliveries.length) log.debug("notification policies", { run: field(payload, "runId"), inbox: result.inbox, webhooks: result.deliveries.length });
  };
  const webhook: Handler = async (payload, { sql, log }) => {
    const outcome = await sendDelivery(sql, field(payload, "deliveryId"));
    if (outcome === "failed") log.warn("webhook delivery failed", { delivery: field(payload, "deliveryId") });
  };
  return [
    [POLICY_JOB_KINDS.trigger, trigger],
    [POLICY_JOB_KINDS.notification, notification],
    [POLICY_JOB_KINDS.webhook, webhook],
  ];
}
