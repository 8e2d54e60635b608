// Policies against a real Postgres: saving (bodies that do not parse are refused with line and
// column), attachment by label and space, the compiled-policy cache, approval with reviews, trigger,
// login, notification (inbox and a webhook delivered to a real HTTP server) and push policies, and
// that every evaluation is recorded. Plan policies through the worker API: server/worker_api/plan_policy_test.ts.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { createServer, type IncomingMessage } from "node:http";
import { testDatabase, type TestDatabase } from "../db/testing.ts";
import { SYSTEM_ACTOR, type Actor } from "../auth/roles.ts";
import { actorForKey, exchangeApiKey, insertApiKey } from "../auth/queries.ts";
import { createStack } from "../stacks/operations.ts";
import { createSpace } from "../spaces/queries.ts";
import { advanceRun, triggerRun, userAction } from "../runs/operations.ts";
import { getRunById, runHistory } from "../runs/queries.ts";
import { promoteQueuedRuns } from "../runs/scheduling.ts";
import { memoryLogger } from "../log.ts";
import { attachPolicy, createPolicy, detachPolicy, updatePolicy } from "./operations.ts";
import { attachedPolicies, listEvaluations, runEvaluations } from "./queries.ts";
import { spaceTree } from "../spaces/queries.ts";
import { getStack } from "../stacks/queries.ts";
import { compiled, evaluatePolicies, cachedPolicies } from "./evaluation.ts";
import { reviewRun } from "./approval.ts";
import { runTriggerPolicies } from "./trigger.ts";
import { runNotificationPolicies, listNotifications } from "./notification.ts";
import { createNamedWebhook, sendDelivery } from "./webhooks.ts";
import { pushPolicyDecider } from "./push.ts";
import { combinePlan, planForPolicies, sanitize } from "./plan.ts";
import { deriveKey } from "../secret_key.ts";
import { JOB_KINDS } from "../queue/kinds.ts";
import type { RunState } from "../runs/run.ts";

let db: TestDatabase;
test.before(async () => {
  db = await testDatabase();
});
test.after(async () => {
  await db.drop();
});

const stack = (name: string, extra: Record<string, unknown> = {}) => createStack(db.sql, SYSTEM_ACTOR, { name, repository: "infra", branch: "main", ...extra });
const policy = (name: string, type: string, body: string, extra: Record<string, unknown> = {}) => createPolicy(db.sql, SYSTEM_ACTOR, { name, type, body, ...extra });
const drive = async (stackId: string, runId: string, states: RunState[]) => {
  for (const s of states) await advanceRun(db.sql, stackId, runId, s);
};

test("a body that does not parse is refused with line and column; the package must be spacelift", async () => {
  const err = await policy("broken", "PLAN", "package spacelift\n\ndeny[msg] {\n  msg := \n}\n").catch((e) => e);
  assert.match(err.message, /does not parse at line 5, column 1/);
  assert.is(err.code, "Invalid");
  assert.match((await policy("other", "PLAN", "package other\n").catch((e) => e)).message, /package must be spacelift/);
  assert.match((await policy("v1", "PLAN", "package spacelift\ndeny[x] { x := 1 }\n", { engineType: "REGO_V1" }).catch((e) => e)).message, /does not parse/, "v1 needs `contains` and `if`");
  const ok = await policy("v1 ok", "PLAN", "package spacelift\ndeny contains x if { x := 1 }\n", { engineType: "REGO_V1" });
  assert.is(ok.engineType, "REGO_V1");
  assert.match((await policy("bad type", "NOPE", "package spacelift\n").catch((e) => e)).message, /unknown policy type/);
  assert.match((await policy("uses http", "PLAN", 'package spacelift\ndeny[x] { x := http.send({"url": "x"}) }\n').catch((e) => e)).message, /http.send/);
});

test("attachments: direct and by autoattach label, within the policy's space and below; the cache follows updates", async () => {
  await createSpace(db.sql, SYSTEM_ACTOR, { name: "team", parentSpace: "root" });
  const a = await stack("att-a", { labels: ["prod"], space: "team" });
  const b = await stack("att-b", { labels: ["dev"] });
  const label = await policy("att label", "PLAN", "package spacelift\n", { labels: ["autoattach:prod"], space: "team" });
  const direct = await policy("att direct", "PLAN", "package spacelift\n");
  const wrongSpace = await policy("att team only", "PLAN", "package spacelift\n", { space: "team" });
  const tree = await spaceTree(db.sql);
  const ids = async (id: string) => (await attachedPolicies(db.sql, tree, (await getStack(db.sql, id))!)).map((x) => `${x.policy.id}:${x.autoattached}`);
  assert.equal(await ids(a.id), ["att-label:true"]);
  assert.equal(await ids(b.id), [], "the label is not b's, and team's policies do not reach root's stacks");
  const attachment = await attachPolicy(db.sql, SYSTEM_ACTOR, direct.id, b.id);
  assert.equal(await ids(b.id), ["att-direct:false"]);
  assert.match((await attachPolicy(db.sql, SYSTEM_ACTOR, wrongSpace.id, b.id).catch((e) => e)).message, /neither the stack's space nor above it/);
  assert.match((await attachPolicy(db.sql, SYSTEM_ACTOR, direct.id, b.id).catch((e) => e)).message, /already attached/);
  const reader: Actor = { id: "r", login: "api::r", name: "r", admin: false, roles: { root: "read" } };
  assert.match((await attachPolicy(db.sql, reader, direct.id, a.id).catch((e) => e)).message, /^unauthorized: attaching a policy needs the admin role/);
  await detachPolicy(db.sql, SYSTEM_ACTOR, attachment.id);
  assert.equal(await ids(b.id), []);

  const first = compiled(label);
  assert.is(compiled(label), first, "cached by (id, updated_at)");
  const updated = await updatePolicy(db.sql, SYSTEM_ACTOR, label.id, { name: label.name, body: 'package spacelift\ndeny["x"] { true }\n', labels: label.labels });
  assert.ok(updated.updatedAt.getTime() > label.updatedAt.getTime());
  assert.is.not(compiled(updated), first, "an update compiles again");
  assert.ok(cachedPolicies() >= 1);
});

test("evaluation is bounded and fails closed: a conflict, a memory bound and a timeout are errors, recorded", async () => {
  const conflicting = await policy("conflict", "PLAN", "package spacelift\nx := 1 { true }\nx := 2 { true }\ndeny[\"never\"] { x == 3 }\n");
  const huge = await policy("huge", "PLAN", "package spacelift\ndeny[m] { n := count(numbers.range(1, 2000000)); m := sprintf(\"%d\", [n]) }\n");
  const slow = await policy("slow", "PLAN", "package spacelift\ndeny[m] { n := count([x | i := numbers.range(1, 500000)[_]; x := i * i]); m := sprintf(\"%d\", [n]) }\n");
  const read = (doc: Record<string, unknown>) => ({ outcome: "allow", messages: [], decision: { deny: (doc.deny as string[]) ?? [], warn: [] as string[] } });
  const results = await evaluatePolicies(db.sql, [conflicting, huge], {}, read, { kind: "PLAN" });
  assert.match(results[0].error ?? "", /conflicting rule values/);
  assert.match(results[1].error ?? "", /memory bound/);
  const [timed] = await evaluatePolicies(db.sql, [slow], {}, read, { kind: "PLAN", limits: { timeoutMs: 1, checkInterval: 10 } });
  assert.match(timed.error ?? "", /timed out/);
  assert.equal(combinePlan(results, false).outcome, "deny", "an errored plan policy denies");
  assert.match(combinePlan(results, false).messages[0], /^plan policy conflict failed closed: conflicting rule values/);
  const recorded = await listEvaluations(db.sql, huge.id);
  assert.equal(recorded.map((r) => [r.outcome, r.kind]), [["error", "PLAN"]]);
  assert.ok(recorded[0].durationMs >= 0);
});

test("plan inputs: values sanitized as Spacelift does (smart: only sensitive ones); variables and state left out", () => {
  assert.is(sanitize("mysql"), "eae35047");
  const plan = {
    format_version: "1.2",
    terraform_version: "1.9.0",
    variables: { password: { value: "hunter2" } },
    prior_state: { values: { secret: "hunter2" } },
    resource_changes: [{ address: "aws_db.x", type: "aws_db", change: { actions: ["create"], before: null, after: { engine: "mysql", password: "hunter2", size: 5 }, after_sensitive: { password: true } } }],
  };
  const plain = planForPolicies(plan, false) as { resource_changes: Array<{ change: { after: Record<string, unknown> } }> };
  assert.equal(plain.resource_changes[0].change.after, { engine: "eae35047", password: sanitize("hunter2"), size: 5 });
  const smart = planForPolicies(plan, true) as typeof plain;
  assert.equal(smart.resource_changes[0].change.after, { engine: "mysql", password: sanitize("hunter2"), size: 5 });
  assert.not.ok(JSON.stringify(smart).includes("hunter2"));
});

test("approval: a proposed run PENDING_REVIEW waits for reviews, an approval finishes it; a rejection discards an UNCONFIRMED run", async () => {
  const s = await stack("appr", { labels: ["reviewed"] });
  await policy("two approvals", "APPROVAL", "package spacelift\napprove { count(input.reviews.current.approvals) >= 2 }\nreject { count(input.reviews.current.rejections) > 0 }\n", { labels: ["autoattach:reviewed"] });
  const proposed = await triggerRun(db.sql, SYSTEM_ACTOR, s.id, { type: "PROPOSED" });
  assert.equal((await promoteQueuedRuns(db.sql, s.id)).map((r) => r.id), [], "QUEUED: undecided");
  const alice = await insertApiKey(db.sql, "test", { name: "alice", admin: false, accessRules: [{ space: "root", role: "read" }] });
  const bob = await insertApiKey(db.sql, "test", { name: "bob", admin: false, accessRules: [{ space: "root", role: "write" }] });
  const aliceActor = (await actorForKey(db.sql, alice.key.id))!;
  const bobActor = (await actorForKey(db.sql, bob.key.id))!;
  await reviewRun(db.sql, aliceActor, s.id, proposed.id, "APPROVE", "lgtm");
  await reviewRun(db.sql, aliceActor, s.id, proposed.id, "APPROVE", "again: counts once");
  assert.is((await getRunById(db.sql, proposed.id))!.state, "QUEUED");
  await reviewRun(db.sql, bobActor, s.id, proposed.id, "APPROVE", "");
  assert.equal((await promoteQueuedRuns(db.sql, s.id)).map((r) => r.id), [proposed.id], "approved at QUEUED");
  await drive(s.id, proposed.id, ["PREPARING", "INITIALIZING", "PLANNING", "PENDING_REVIEW"]);
  // A new state version: the reviews of QUEUED are older ones now.
  await reviewRun(db.sql, aliceActor, s.id, proposed.id, "APPROVE", "");
  assert.is((await getRunById(db.sql, proposed.id))!.state, "PENDING_REVIEW");
  await reviewRun(db.sql, bobActor, s.id, proposed.id, "APPROVE", "");
  assert.is((await getRunById(db.sql, proposed.id))!.state, "FINISHED");
  const history = await runHistory(db.sql, proposed.id);
  assert.equal([history[0].state, history[0].actor, history[0].note], ["FINISHED", "policy::approval", "approved by approval policies"]);
  const inputs = await runEvaluations(db.sql, proposed.id);
  const last = inputs[inputs.length - 1].input as { reviews: { current: { approvals: Array<{ author: string; author_roles: string[] }> }; older: unknown[] } };
  assert.equal(last.reviews.current.approvals.map((r) => [r.author, r.author_roles]), [[`api::${alice.key.id}`, ["read"]], [`api::${bob.key.id}`, ["write"]]]);
  assert.is(last.reviews.older.length, 3, "QUEUED's reviews, alice's first one included");

  const tracked = await triggerRun(db.sql, SYSTEM_ACTOR, s.id, {});
  await reviewRun(db.sql, aliceActor, s.id, null, "APPROVE", "");
  await reviewRun(db.sql, bobActor, s.id, null, "APPROVE", "");
  await drive(s.id, tracked.id, ["READY", "PREPARING", "INITIALIZING", "PLANNING", "UNCONFIRMED"]);
  assert.match((await userAction(db.sql, SYSTEM_ACTOR, s.id, tracked.id, "confirm").catch((e) => e)).message, /not approved by its approval policies \(undecided\)/);
  await reviewRun(db.sql, bobActor, s.id, tracked.id, "REJECT", "no");
  const rejected = await getRunById(db.sql, tracked.id);
  assert.is(rejected!.state, "DISCARDED");
  assert.match((await runHistory(db.sql, tracked.id))[0].note ?? "", /rejected by approval policy two-approvals/);
  assert.match((await reviewRun(db.sql, bobActor, s.id, tracked.id, "APPROVE", "").catch((e) => e)).message, /only QUEUED, UNCONFIRMED and PENDING_REVIEW/);
});

test("trigger: a finished tracked run starts tracked runs on the stacks its trigger policy names, within what its author can see", async () => {
  await createSpace(db.sql, SYSTEM_ACTOR, { name: "visible", parentSpace: "root" });
  const up = await stack("trig-up", { space: "visible" });
  await stack("trig-down", { space: "visible" });
  await createSpace(db.sql, SYSTEM_ACTOR, { name: "hidden", parentSpace: "root" });
  await stack("trig-hidden", { space: "hidden" });
  const t = await policy("downstream", "TRIGGER", 'package spacelift\ntrigger["trig-down"] { input.run.state == "FINISHED" }\ntrigger["trig-hidden"] { true }\ntrigger[id] { id := input.stacks[_].id; id == "nope" }\n');
  await attachPolicy(db.sql, SYSTEM_ACTOR, t.id, up.id);
  const key = await insertApiKey(db.sql, "test", { name: "deployer", admin: false, accessRules: [{ space: "visible", role: "write" }] });
  const deployer = (await actorForKey(db.sql, key.key.id))!;
  const run = await triggerRun(db.sql, deployer, up.id, {});
  await drive(up.id, run.id, ["READY", "PREPARING", "INITIALIZING", "PLANNING", "FINISHED"]);
  const [job] = await db.sql<{ payload: { runId: string } }[]>`select payload from queue_jobs where kind = 'policy_trigger'`;
  assert.is(job.payload.runId, run.id, "the transition enqueued the trigger job");
  const result = await runTriggerPolicies(db.sql, memoryLogger(), up.id, run.id);
  assert.is(result.created.length, 1);
  const created = (await getRunById(db.sql, result.created[0]))!;
  assert.equal([created.stackId, created.type, created.triggeredBy], ["trig-down", "TRACKED", "policy::downstream"]);
  assert.match(result.skipped.join(), /trig-hidden: not visible/);
  const [evaluation] = await runEvaluations(db.sql, run.id);
  const input = evaluation.input as { stacks: Array<{ id: string }>; workflow: Array<{ id: string }> };
  assert.ok(input.stacks.some((s) => s.id === "trig-down"));
  assert.equal(input.workflow.map((w) => w.id), [run.id]);
  assert.not.ok(JSON.stringify(input).includes("hunter2"));
});

test("login: a denied key gets no session; granted roles add to the key's own; admin keys are not subject", async () => {
  const jwtKey = deriveKey("a-test-secret-key-that-is-long-enough", "jwt");
  const plain = await insertApiKey(db.sql, "test", { name: "ci-bot", admin: false });
  const blocked = await insertApiKey(db.sql, "test", { name: "blocked", admin: false, accessRules: [{ space: "root", role: "admin" }] });
  const admin = await insertApiKey(db.sql, "test", { name: "root-admin", admin: true });
  await policy("logins", "LOGIN", 'package spacelift\ndeny { input.session.name == "blocked" }\ndeny { input.session.name == "root-admin" }\nroles["root"] := {"write"} { input.session.name == "ci-bot" }\n');
  assert.is(await exchangeApiKey(db.sql, blocked.key.id, blocked.secret, jwtKey, "http://gantry.test"), null);
  assert.ok(await exchangeApiKey(db.sql, plain.key.id, plain.secret, jwtKey, "http://gantry.test"));
  assert.equal((await actorForKey(db.sql, plain.key.id))!.roles, { root: "write" });
  assert.ok(await exchangeApiKey(db.sql, admin.key.id, admin.secret, jwtKey, "http://gantry.test"), "admin keys bypass login policies");
  const logins = await db.sql<{ outcome: string }[]>`select outcome from policy_evaluations where kind = 'LOGIN' order by id`;
  assert.equal(logins.map((r) => r.outcome), ["deny", "allow"]);
});

test("notification: inbox entries and a webhook delivered to a real endpoint", async () => {
  const received: Array<{ method: string; body: string; header: string | undefined }> = [];
  const server = createServer((req: IncomingMessage, res) => {
    let body = "";
    req.on("data", (c) => (body += c));
    req.on("end", () => {
      received.push({ method: req.method ?? "", body, header: req.headers["x-team"] as string | undefined });
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  try {
    const port = (server.address() as { port: number }).port;
    const s = await stack("notify");
    await createNamedWebhook(db.sql, SYSTEM_ACTOR, { name: "team hook", endpoint: `http://127.0.0.1:${port}/hook` });
    await policy("notify", "NOTIFICATION", [
      "package spacelift",
      'inbox[{"title": sprintf("%s %s", [input.run_updated.stack.id, input.run_updated.state]), "body": "done", "severity": "INFO"}] { input.run_updated.state == "FINISHED" }',
      'webhook[{"endpoint_id": "team-hook", "payload": {"run": input.run_updated.run.id, "state": input.run_updated.state}, "headers": {"x-team": "infra"}}] { input.run_updated.state == "FINISHED" }',
      "",
    ].join("\n"));
    const run = await triggerRun(db.sql, SYSTEM_ACTOR, s.id, { type: "PROPOSED" });
    await drive(s.id, run.id, ["READY", "PREPARING", "INITIALIZING", "PLANNING", "FINISHED"]);
    const jobs = await db.sql<{ payload: { state: string } }[]>`select payload from queue_jobs where kind = 'policy_notification' and payload->>'runId' = ${run.id} order by id`;
    assert.equal(jobs.map((j) => j.payload.state), ["READY", "PREPARING", "INITIALIZING", "PLANNING", "FINISHED"], "every transition asks the notification policies");
    const quiet = await runNotificationPolicies(db.sql, memoryLogger(), null, s.id, run.id, "PLANNING", null);
    assert.equal(quiet, { inbox: 0, deliveries: [] });
    const result = await runNotificationPolicies(db.sql, memoryLogger(), "http://gantry.test", s.id, run.id, "FINISHED", null);
    assert.is(result.inbox, 1);
    assert.equal((await listNotifications(db.sql, null)).map((n) => [n.title, n.severity, n.runId]), [["notify FINISHED", "INFO", run.id]]);
    const [job] = await db.sql<{ payload: { deliveryId: string } }[]>`select payload from queue_jobs where kind = 'policy_webhook_delivery'`;
    assert.is(job.payload.deliveryId, result.deliveries[0]);
    assert.is(await sendDelivery(db.sql, result.deliveries[0]), "delivered");
    assert.equal(received.map((r) => [r.method, JSON.parse(r.body), r.header]), [["POST", { run: run.id, state: "FINISHED" }, "infra"]]);
    assert.is(await sendDelivery(db.sql, result.deliveries[0]), "skipped", "a delivery is sent once");
  } finally {
    await new Promise((r) => server.close(r));
  }
  assert.ok(JOB_KINDS.scheduleStack);
});

test("push: attached GIT_PUSH policies replace the default push policy for their stack; errors ignore the event", async () => {
  const s = await stack("pushy", { labels: ["push"] });
  const other = await stack("default-push");
  await policy("push", "GIT_PUSH", 'package spacelift\ntrack { input.push.branch == input.stack.branch; input.stack.labels[_] == "push" }\npropose { input.push.tag != "" }\nignore { startswith(input.push.message, "[skip]") }\n', { labels: ["autoattach:push"] });
  const decider = await pushPolicyDecider(db.sql, [s.id, other.id]);
  const input = (stackId: string, push: Record<string, unknown>) => ({
    push: { affected_files: ["docs/readme.md"], branch: "main", tag: "", hash: "abc", message: "change", author: "me", deleted: false, ...push },
    stack: { id: stackId, branch: "main", project_root: "infra", additional_project_globs: [] },
    in_progress: [],
  });
  const tracked = decider.decide(input(s.id, {}));
  assert.equal([tracked.track, tracked.propose, tracked.ignore], [true, false, false], "the policy tracks even untouched files");
  assert.equal([decider.decide(input(s.id, { tag: "v1", branch: "" })).propose], [true], "tags propose under this policy");
  assert.ok(decider.decide(input(s.id, { message: "[skip] x" })).ignore);
  assert.ok(decider.decide(input(other.id, {})).ignore, "the default policy: no affected files");
  await decider.flush();
  const records = await db.sql<{ outcome: string; stack_id: string }[]>`select outcome, stack_id from policy_evaluations where kind = 'GIT_PUSH' order by id`;
  assert.equal(records.map((r) => r.outcome), ["track", "propose", "ignore"]);
  await updatePolicy(db.sql, SYSTEM_ACTOR, "push", { name: "push", body: "package spacelift\ntrack := true { true }\ntrack := false { true }\n", labels: ["autoattach:push"] });
  const failing = await pushPolicyDecider(db.sql, [s.id]);
  const d = failing.decide(input(s.id, {}));
  assert.equal([d.ignore, d.track], [true, false]);
  assert.match(d.reason, /failed closed/);
});

test.run();
