// NOTIFICATION policies: on every run state change, the notification policies of the run's space
// and the spaces above it are evaluated with Spacelift's run_updated input. `inbox` rules become
// stored notifications; `webhook` rules become deliveries to named webhooks (by endpoint_id),
// POSTed by the drain (drain/policies.ts). An evaluation error becomes an ERROR inbox entry.
import type { Db, Sql } from "../db/connect.ts";
import type { Logger } from "../log.ts";
import { spaceTree } from "../spaces/queries.ts";
import { getStack } from "../stacks/queries.ts";
import { getRun } from "../runs/queries.ts";
import { isTerminal } from "../runs/run.ts";
import { ulid } from "../runs/ulid.ts";
import { enqueueMany } from "../queue/jobs.ts";
import { evaluatePolicies } from "./evaluation.ts";
import { requestInput, runInput, stackInput } from "./inputs.ts";
import { policiesInScope } from "./queries.ts";
import { getDecision } from "./plan.ts";
import { webhookJob } from "./jobs.ts";

export const SEVERITIES = Object.freeze(["INFO", "WARNING", "ERROR"] as const);
export type Severity = (typeof SEVERITIES)[number];

export type Notification = Readonly<{ id: string; spaceId: string; stackId: string | null; runId: string | null; policyId: string | null; title: string; body: string; severity: Severity; createdAt: Date }>;

type Inbox = { title: string; body: string; severity: Severity };
type Hook = { endpoint_id: string; payload: unknown; method: string; headers: Record<string, string> };

const asList = (value: unknown): unknown[] => (value === undefined || value === null ? [] : Array.isArray(value) ? value : [value]);

export function readInbox(value: unknown): Inbox[] {
  return asList(value).map((v) => {
    const o = (v ?? {}) as Record<string, unknown>;
    const severity = typeof o.severity === "string" && (SEVERITIES as readonly string[]).includes(o.severity) ? (o.severity as Severity) : "INFO";
    return { title: String(o.title ?? "Notification"), body: typeof o.body === "string" ? o.body : JSON.stringify(o.body ?? ""), severity };
  });
}

export function readWebhooks(value: unknown): Hook[] {
  return asList(value).map((v) => {
    const o = (v ?? {}) as Record<string, unknown>;
    const headers = o.headers && typeof o.headers === "object" ? Object.fromEntries(Object.entries(o.headers).map(([k, x]) => [k, String(x)])) : {};
    return { endpoint_id: String(o.endpoint_id ?? ""), payload: o.payload ?? null, method: typeof o.method === "string" ? o.method.toUpperCase() : "POST", headers };
  });
}

export async function insertNotifications(db: Db, rows: ReadonlyArray<Omit<Notification, "id" | "createdAt">>): Promise<void> {
  for (const n of rows) {
    await db`insert into notifications (id, space_id, stack_id, run_id, policy_id, title, body, severity)
      values (${ulid()}, ${n.spaceId}, ${n.stackId}, ${n.runId}, ${n.policyId}, ${n.title}, ${n.body}, ${n.severity})`;
  }
}

export async function listNotifications(db: Db, spaces: readonly string[] | null, first = 50): Promise<Notification[]> {
  const rows = await db<Record<string, unknown>[]>`
    select * from notifications where created_at > now() - interval '14 days'
      ${spaces === null ? db`` : db`and space_id = any(${[...spaces]}::text[])`}
    order by id desc limit ${first}`;
  return rows.map((r) => ({
    id: r.id as string,
    spaceId: r.space_id as string,
    stackId: r.stack_id as string | null,
    runId: r.run_id as string | null,
    policyId: r.policy_id as string | null,
    title: r.title as string,
    body: r.body as string,
    severity: r.severity as Severity,
    createdAt: r.created_at as Date,
  }));
}

export type NotificationResult = Readonly<{ inbox: number; deliveries: string[] }>;

export async function runNotificationPolicies(sql: Sql, log: Logger, publicUrl: string | null, stackId: string, runId: string, state: string, stateVersion: number | null): Promise<NotificationResult> {
  const run = await getRun(sql, stackId, runId);
  const stack = await getStack(sql, stackId);
  if (!run || !stack) return { inbox: 0, deliveries: [] };
  const tree = await spaceTree(sql);
  const policies = await policiesInScope(sql, tree, stack.spaceId, "NOTIFICATION");
  if (policies.length === 0) return { inbox: 0, deliveries: [] };
  const [transition] = await sql<{ actor: string; note: string | null; created_at: Date }[]>`
    select actor, note, created_at from run_transitions where run_id = ${runId} and state = ${state} ${stateVersion === null ? sql`` : sql`and state_version = ${stateVersion}`}
    order by seq desc limit 1`;
  const endpoints = await sql<{ id: string; labels: string[]; space_id: string }[]>`select id, labels, space_id from named_webhooks where enabled`;
  const decision = await getDecision(sql, runId);
  const input = {
    account: { name: "gantry" },
    request: requestInput(),
    webhook_endpoints: endpoints.map((e) => ({ id: e.id, labels: e.labels })),
    run_updated: {
      run: { ...(await runInput(sql, run)), state },
      stack: await stackInput(sql, stack),
      state,
      state_version: stateVersion ?? 1,
      terminal: isTerminal(run.state),
      username: transition?.actor ?? run.triggeredBy,
      note: transition?.note ?? "",
      timing: [] as unknown[],
      urls: { run: publicUrl ? `${publicUrl.replace(/\/+$/, "")}/stack/${stackId}/run/${runId}` : "" },
      plan_policy_decision: decision ? { deny: decision.outcome === "deny" ? decision.messages : [], warn: decision.outcome === "warn" ? decision.messages : [] } : { deny: [], warn: [] },
      policy_receipts: [] as unknown[],
    },
  };
  const evaluations = await evaluatePolicies(sql, policies, input, (doc) => {
    const decision = { inbox: readInbox(doc.inbox), webhook: readWebhooks(doc.webhook) };
    return { outcome: decision.inbox.length || decision.webhook.length ? "notify" : "none", messages: decision.inbox.map((i) => i.title), decision };
  }, { stackId, runId, kind: "NOTIFICATION" });
  const inbox: Array<Omit<Notification, "id" | "createdAt">> = [];
  const deliveries: Array<{ id: string; webhookId: string; policyId: string; method: string; headers: Record<string, string>; payload: string }> = [];
  for (const e of evaluations) {
    if (!e.verdict) {
      inbox.push({ spaceId: e.policy.spaceId, stackId, runId, policyId: e.policy.id, title: `Notification policy ${e.policy.id} failed`, body: e.error ?? "", severity: "ERROR" });
      continue;
    }
    for (const i of e.verdict.decision.inbox) inbox.push({ spaceId: stack.spaceId, stackId, runId, policyId: e.policy.id, ...i });
    for (const w of e.verdict.decision.webhook) {
      const endpoint = endpoints.find((x) => x.id === w.endpoint_id);
      if (!endpoint) {
        inbox.push({ spaceId: e.policy.spaceId, stackId, runId, policyId: e.policy.id, title: `Notification policy ${e.policy.id} names an unknown webhook`, body: w.endpoint_id, severity: "WARNING" });
        continue;
      }
      const payload = w.payload === null ? JSON.stringify(input.run_updated) : typeof w.payload === "string" ? w.payload : JSON.stringify(w.payload);
      deliveries.push({ id: ulid(), webhookId: endpoint.id, policyId: e.policy.id, method: w.method, headers: w.headers, payload });
    }
  }
  await sql.begin(async (tx) => {
    await insertNotifications(tx, inbox);
    for (const d of deliveries) {
      await tx`insert into webhook_deliveries (id, webhook_id, policy_id, run_id, method, headers, payload)
        values (${d.id}, ${d.webhookId}, ${d.policyId}, ${runId}, ${d.method}, ${tx.json(d.headers)}, ${d.payload})`;
    }
    await enqueueMany(tx, deliveries.map((d) => webhookJob(d.id)));
  });
  if (evaluations.some((e) => !e.verdict)) log.warn("a notification policy failed", { run: runId });
  return { inbox: inbox.length, deliveries: deliveries.map((d) => d.id) };
}
