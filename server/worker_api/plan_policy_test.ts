// Plan policies through the worker API, against a real server and drain: the worker uploads the
// JSON plan, then posts the summary; the answer is the plan policies' decision, and the server
// then refuses the transitions it forbids (deny: only FAILED; warn: no APPLYING). An evaluation
// that exceeds its bounds denies.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { waitFor } from "../../shared/testing/wait.ts";
import { externalBroker } from "../../shared/testing/mqtt.ts";
import { SYSTEM_ACTOR } from "../../shared/auth/roles.ts";
import { triggerRun } from "../../shared/runs/operations.ts";
import { runHistory } from "../../shared/runs/queries.ts";
import { attachPolicy, createPolicy } from "../../shared/policies/operations.ts";
import { runEvaluations } from "../../shared/policies/queries.ts";
import type { AcceptResponse, PlanDecision, StateReportResponse } from "../../shared/workers/protocol.ts";
import { assignsOf, startWorkerHarness, type TestWorker, type WorkerHarness } from "./testing.ts";

const external = externalBroker();
let h: WorkerHarness;
test.before(async () => {
  if (!external) h = await startWorkerHarness();
});
test.after(async () => {
  await h?.close();
});
const SKIP = "SKIP: needs the built-in broker's worker credentials (MQTT_BROKER_TYPE=external)";

async function setup(name: string, body: string, extra: Record<string, unknown> = {}) {
  const { pool, token } = await h.pool(name);
  await h.stack(name, pool.id, extra);
  const policy = await createPolicy(h.db.sql, SYSTEM_ACTOR, { name: `${name} plan`, type: "PLAN", body });
  await attachPolicy(h.db.sql, SYSTEM_ACTOR, policy.id, name);
  return h.worker(token);
}

async function take(w: TestWorker, runId: string): Promise<AcceptResponse> {
  await waitFor(() => assignsOf(w).some((a) => a.runId === runId), { what: `assignment of ${runId}` });
  const res = await h.post<AcceptResponse>(`/runs/${runId}/accept`, {}, w.workerToken);
  assert.is(res.status, 200, JSON.stringify(res.body));
  return res.body;
}

const report = (runId: string, token: string, state: string, note?: string) => h.post<StateReportResponse>(`/runs/${runId}/state`, { state, note }, token);

const PLAN = {
  format_version: "1.2",
  terraform_version: "1.9.0",
  variables: { db_password: { value: "hunter2" } },
  resource_changes: [{ address: "aws_s3_bucket.logs", type: "aws_s3_bucket", name: "logs", change: { actions: ["create"], before: null, after: { acl: "public-read", bucket: "logs" } } }],
};
const SUMMARY = { add: 1, change: 0, destroy: 0, resources: [{ address: "aws_s3_bucket.logs", type: "aws_s3_bucket", name: "logs", actions: ["create"] }] };

/** Plans the run as a worker does: PUT the JSON plan, then POST the summary; the answer is the decision. */
async function plan(w: TestWorker, runId: string): Promise<{ token: string; decision: PlanDecision }> {
  const { run: spec, runToken } = await take(w, runId);
  await report(runId, runToken, "INITIALIZING");
  await report(runId, runToken, "PLANNING");
  assert.ok((await fetch(spec.urls.planUpload!, { method: "PUT", body: JSON.stringify(PLAN) })).ok);
  const res = await h.post<PlanDecision & { recorded: boolean }>(`/runs/${runId}/plan`, { summary: SUMMARY }, runToken);
  assert.is(res.status, 200, JSON.stringify(res.body));
  return { token: runToken, decision: res.body };
}

test("deny: the answer says so, the run can only fail, and the JSON plan was what the policy read (sanitized: no smart sanitization)", async () => {
  if (external) return console.log(SKIP);
  const w = await setup("deny-plan", 'package spacelift\ndeny[sprintf("%s is public", [r.address])] { r := input.terraform.resource_changes[_]; r.change.after.acl == sanitized("public-read") }\n', { autodeploy: true, vendorConfig: { terraform: { useSmartSanitization: false } } });
  const run = await triggerRun(h.db.sql, SYSTEM_ACTOR, "deny-plan", {});
  const { token, decision } = await plan(w, run.id);
  assert.equal([decision.outcome, decision.messages, decision.pendingReview], ["deny", ["aws_s3_bucket.logs is public"], false]);
  for (const refused of ["APPLYING", "FINISHED", "UNCONFIRMED"]) assert.is((await report(run.id, token, refused)).status, 409, refused);
  assert.is((await report(run.id, token, "FAILED", "denied by plan policies: aws_s3_bucket.logs is public")).status, 200);
  assert.is(await h.runState(run.id), "FAILED");
  assert.is((await runHistory(h.db.sql, run.id))[0].note, "denied by plan policies: aws_s3_bucket.logs is public");
  const [record] = await runEvaluations(h.db.sql, run.id);
  assert.is(record.outcome, "deny");
  assert.not.ok(JSON.stringify(record.input).includes("hunter2"), "variables are not part of the input");
  assert.is((record.input as { spacelift: { run: { changes: unknown[] } } }).spacelift.run.changes.length, 1);
});

test("warn: an autodeploy tracked run must wait for confirmation", async () => {
  if (external) return console.log(SKIP);
  const w = await setup("warn-plan", 'package spacelift\nwarn["new bucket"] { input.terraform.resource_changes[_].change.actions[_] == "create" }\n', { autodeploy: true });
  const run = await triggerRun(h.db.sql, SYSTEM_ACTOR, "warn-plan", {});
  const { token, decision } = await plan(w, run.id);
  assert.equal([decision.outcome, decision.messages], ["warn", ["new bucket"]]);
  assert.is((await report(run.id, token, "APPLYING")).status, 409);
  assert.is((await report(run.id, token, "UNCONFIRMED")).status, 200);
  assert.is(await h.runState(run.id), "UNCONFIRMED");
});

test("bounds: a policy exceeding its memory bound denies (fail closed) with a clear message", async () => {
  if (external) return console.log(SKIP);
  const w = await setup("bound-plan", "package spacelift\nwarn[m] { n := count(numbers.range(1, 5000000)); m := sprintf(\"%d\", [n]) }\n");
  const run = await triggerRun(h.db.sql, SYSTEM_ACTOR, "bound-plan", {});
  const { token, decision } = await plan(w, run.id);
  assert.is(decision.outcome, "deny");
  assert.match(decision.messages[0], /^plan policy bound-plan-plan failed closed: evaluation exceeded its memory bound/);
  assert.is((await report(run.id, token, "FAILED", decision.messages[0])).status, 200);
});

test.run();
