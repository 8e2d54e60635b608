// The worker's side of a run it executes, against a real server and drain: the run spec (stack
// variables with secrets, hooks, timeouts, pre-signed URLs that work), plan summaries and outputs
// with their checks, the hand-back at UNCONFIRMED, the apply hand-over after runConfirm, stop and
// kill reaching the worker over MQTT, and a worker lost while applying.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { waitFor } from "../../shared/testing/wait.ts";
import { externalBroker } from "../../shared/testing/mqtt.ts";
import { SYSTEM_ACTOR } from "../../shared/auth/roles.ts";
import { triggerRun, userAction } from "../../shared/runs/operations.ts";
import { addStackConfig } from "../../shared/config_elements/operations.ts";
import { deriveKey } from "../../shared/secret_key.ts";
import { failLostRuns, failOverdueRuns } from "../../shared/workers/assignment.ts";
import { getStack } from "../../shared/stacks/queries.ts";
import { getPlan, listOutputs } from "../../shared/runs/results.ts";
import type { AcceptResponse, StateReportResponse, Stop } from "../../shared/workers/protocol.ts";
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
const CONFIG_KEY = deriveKey("a-secret-key-for-the-worker-tests-0123456789", "config-elements");

/** A pool with one stack and one worker; the stack's next run is assigned to that worker. */
async function setup(name: string, extra: Record<string, unknown> = {}) {
  const { pool, token } = await h.pool(name);
  await h.stack(name, pool.id, extra);
  const w = await h.worker(token);
  return { pool, w };
}

async function take(w: TestWorker, runId: string, count = 1): Promise<AcceptResponse> {
  await waitFor(() => assignsOf(w).filter((a) => a.runId === runId).length >= count, { what: `assignment ${count} of ${runId}` });
  const res = await h.post<AcceptResponse>(`/runs/${runId}/accept`, {}, w.workerToken);
  assert.is(res.status, 200, JSON.stringify(res.body));
  return res.body;
}

const report = (runId: string, token: string, state: string, note?: string) => h.post<StateReportResponse>(`/runs/${runId}/state`, { state, note }, token);

test("the run spec: variables (secrets included), mounted files, hooks, timeouts and pre-signed URLs that work", async () => {
  if (external) return console.log(SKIP);
  const { w } = await setup("spec", { autodeploy: true, beforeInit: ["echo hello"], vendorConfig: { terraform: { version: "1.9.0" } } });
  await addStackConfig(h.db.sql, CONFIG_KEY, SYSTEM_ACTOR, "spec", { id: "TF_VAR_region", type: "ENVIRONMENT_VARIABLE", value: "eu-west-1", writeOnly: false });
  await addStackConfig(h.db.sql, CONFIG_KEY, SYSTEM_ACTOR, "spec", { id: "API_TOKEN", type: "ENVIRONMENT_VARIABLE", value: "s3cr3t", writeOnly: true });
  await addStackConfig(h.db.sql, CONFIG_KEY, SYSTEM_ACTOR, "spec", { id: "conf/app.json", type: "FILE_MOUNT", value: Buffer.from("{}").toString("base64"), writeOnly: false });
  const run = await triggerRun(h.db.sql, SYSTEM_ACTOR, "spec", {});
  const { run: spec, runToken } = await take(w, run.id);
  assert.equal([spec.phase, spec.type, spec.vendor, spec.autodeploy, spec.vendorConfig.version], ["plan", "TRACKED", "TERRAFORM", true, "1.9.0"]);
  assert.equal(spec.environment, [{ name: "API_TOKEN", value: "s3cr3t", secret: true }, { name: "TF_VAR_region", value: "eu-west-1", secret: false }]);
  assert.equal(spec.files, [{ path: "conf/app.json", contentBase64: "e30=", secret: false }]);
  assert.equal(spec.hooks.beforeInit, ["echo hello"]);
  assert.equal(spec.timeouts, { runSeconds: 4200, noOutputSeconds: 420 });
  assert.ok(spec.urls.workspaceUpload && spec.urls.planUpload && spec.urls.localStateDownload && spec.urls.localStateUpload);
  assert.is(spec.urls.workspaceDownload, null, "nothing to download while planning");

  // The URLs are real: the plan goes up, the state's GET answers 404 until a state is put.
  assert.is((await fetch(spec.urls.localStateDownload!)).status, 404);
  assert.is((await fetch(spec.urls.planUpload!, { method: "PUT", body: '{"format_version":"1.2"}' })).status < 300, true);
  assert.is((await fetch(spec.urls.localStateUpload!, { method: "PUT", body: "{}" })).status < 300, true);
  assert.is(await (await fetch(spec.urls.localStateDownload!)).text(), "{}");
  assert.is((await fetch(spec.urls.planUpload!, { method: "GET" })).status, 403, "a PUT URL does not read");

  // States answer their version; the plan summary is checked and recorded while PLANNING.
  assert.equal((await report(run.id, runToken, "INITIALIZING")).body, { state: "INITIALIZING", stateVersion: 1 });
  const early = await h.post(`/runs/${run.id}/plan`, { summary: { add: 1, change: 0, destroy: 0, resources: [] } }, runToken);
  assert.is(early.status, 409, "a plan is reported while PLANNING");
  await report(run.id, runToken, "PLANNING");
  for (const bad of [{}, { summary: { add: -1, change: 0, destroy: 0, resources: [] } }, { summary: { add: 1, change: 0, destroy: 0, resources: [{ address: 1 }] } }]) {
    const res = await h.post<{ error: { code: string } }>(`/runs/${run.id}/plan`, bad, runToken);
    assert.is(res.status, 400, JSON.stringify(bad));
  }
  const resources = [{ address: "terraform_data.a", type: "terraform_data", name: "a", actions: ["create"] }];
  assert.is((await h.post(`/runs/${run.id}/plan`, { summary: { add: 1, change: 0, destroy: 0, resources } }, runToken)).status, 200);
  assert.equal(await getPlan(h.db.sql, run.id), { runId: run.id, add: 1, change: 0, destroy: 0, resources });
  await report(run.id, runToken, "APPLYING");
  const outputs = [
    { id: "name", sensitive: false, value: '"web"' },
    { id: "password", sensitive: true, value: '"hunter2"' },
  ];
  assert.is((await h.post(`/runs/${run.id}/outputs`, { outputs: [...outputs, outputs[0]] }, runToken)).status, 400, "an output given twice");
  assert.is((await h.post(`/runs/${run.id}/outputs`, { outputs }, runToken)).status, 200);
  assert.equal(await listOutputs(h.db.sql, "spec"), [
    { id: "name", sensitive: false, value: '"web"' },
    { id: "password", sensitive: true, value: null },
  ]);
  const stored = await h.db.sql`select count(*)::int as n from stack_outputs where value like '%hunter2%'`;
  assert.is(stored[0].n, 0, "a sensitive value is never stored, whatever the worker sent");
  assert.is((await report(run.id, runToken, "FINISHED")).status, 200);
  assert.is((await h.post(`/runs/${run.id}/outputs`, { outputs }, runToken)).status, 409, "the run token dies with the run");
});

test("UNCONFIRMED hands the worker back; runConfirm brings the apply to a worker, which starts at PREPARING_APPLY", async () => {
  if (external) return console.log(SKIP);
  const { w } = await setup("handover");
  const run = await triggerRun(h.db.sql, SYSTEM_ACTOR, "handover", {});
  const { runToken } = await take(w, run.id);
  for (const s of ["INITIALIZING", "PLANNING", "UNCONFIRMED"]) assert.is((await report(run.id, runToken, s)).status, 200, s);
  assert.is((await h.db.sql`select run_id from workers where id = ${w.workerId}`)[0].run_id, null, "the worker is free while the run waits for a person");
  assert.is((await report(run.id, runToken, "CONFIRMED")).status, 409, "nor can it confirm for the person");

  await userAction(h.db.sql, SYSTEM_ACTOR, "handover", run.id, "confirm");
  const apply = await take(w, run.id, 2);
  assert.equal([apply.run.phase, apply.run.state], ["apply", "PREPARING_APPLY"]);
  assert.ok(apply.run.urls.workspaceDownload, "the apply gets the saved workspace");
  assert.is(apply.run.urls.workspaceUpload, null);
  assert.is((await report(run.id, apply.runToken, "APPLYING")).status, 200);
  assert.is((await report(run.id, runToken, "FINISHED")).status, 409, "the planning token does not speak for the apply");
  assert.equal((await report(run.id, apply.runToken, "FINISHED")).body, { state: "FINISHED", stateVersion: 1 });
  const states = (await h.db.sql`select state from run_transitions where run_id = ${run.id} order by seq`).map((r) => r.state);
  assert.equal(states, ["QUEUED", "READY", "PREPARING", "INITIALIZING", "PLANNING", "UNCONFIRMED", "CONFIRMED", "PREPARING_APPLY", "APPLYING", "FINISHED"]);
});

test("runStop and runKill decide the run's state at once and tell the worker to signal its tool", async () => {
  if (external) return console.log(SKIP);
  const { w } = await setup("control");
  const planning = await triggerRun(h.db.sql, SYSTEM_ACTOR, "control", { type: "PROPOSED" });
  const first = await take(w, planning.id);
  await report(planning.id, first.runToken, "INITIALIZING");
  await report(planning.id, first.runToken, "PLANNING");
  const stopped = await userAction(h.db.sql, SYSTEM_ACTOR, "control", planning.id, "stop", "enough");
  assert.is(stopped.state, "STOPPED");
  await waitFor(() => w.messages.some((m) => m.type === "stop"), { what: "the stop message" });
  const stop = w.messages.find((m) => m.type === "stop") as Stop;
  assert.equal([stop.runId, stop.signal], [planning.id, "SIGINT"]);
  assert.match(stop.reason, /stopped by .*: enough/);
  assert.is((await report(planning.id, first.runToken, "FINISHED")).status, 409, "the worker's late report is refused");

  const task = await triggerRun(h.db.sql, SYSTEM_ACTOR, "control", { type: "TRACKED" });
  const second = await take(w, task.id);
  await report(task.id, second.runToken, "INITIALIZING");
  await report(task.id, second.runToken, "PLANNING");
  await report(task.id, second.runToken, "UNCONFIRMED");
  await userAction(h.db.sql, SYSTEM_ACTOR, "control", task.id, "confirm");
  const apply = await take(w, task.id, 2);
  await report(task.id, apply.runToken, "APPLYING");
  try {
    await userAction(h.db.sql, SYSTEM_ACTOR, "control", task.id, "stop");
    assert.unreachable("an apply cannot be stopped");
  } catch (error) {
    assert.match((error as Error).message, /only initializing or planning runs can be stopped/);
  }
  const killed = await userAction(h.db.sql, SYSTEM_ACTOR, "control", task.id, "kill");
  assert.is(killed.state, "FAILED");
  await waitFor(() => w.messages.filter((m) => m.type === "stop").length === 2, { what: "the kill message" });
  assert.equal((w.messages.filter((m) => m.type === "stop")[1] as Stop).signal, "SIGKILL");
});

test("a worker lost while applying: its run FAILS with 'worker lost', the stack needs attention, nothing is retried", async () => {
  if (external) return console.log(SKIP);
  const { w } = await setup("lost");
  const run = await triggerRun(h.db.sql, SYSTEM_ACTOR, "lost", {});
  const { runToken } = await take(w, run.id);
  for (const s of ["INITIALIZING", "PLANNING", "APPLYING"]) await report(run.id, runToken, s);
  await h.db.sql`update workers set run_lease_until = now() - interval '1 second' where id = ${w.workerId}`;
  assert.equal(await failLostRuns(h.db.sql), [run.id]);
  assert.is(await h.runState(run.id), "FAILED");
  const [last] = await h.db.sql`select note from run_transitions where run_id = ${run.id} order by seq desc limit 1`;
  assert.match(last.note, /^worker lost/);
  assert.match((await getStack(h.db.sql, "lost"))!.needsAttention ?? "", /failed while APPLYING/);
  assert.is((await h.db.sql`select count(*)::int as n from runs where stack_id = 'lost'`)[0].n, 1, "no run was started again");

  // The next tracked run that finishes clears the mark.
  const next = await triggerRun(h.db.sql, SYSTEM_ACTOR, "lost", {});
  await h.db.sql`update workers set last_seen_at = now() where id = ${w.workerId}`;
  const again = await take(w, next.id);
  for (const s of ["INITIALIZING", "PLANNING", "FINISHED"]) await report(next.id, again.runToken, s);
  assert.is((await getStack(h.db.sql, "lost"))!.needsAttention, null);
});

test("a run held past its timeout (the worker heartbeats but never ends it) fails, and its worker is told to kill it", async () => {
  if (external) return console.log(SKIP);
  const { w } = await setup("overdue");
  const run = await triggerRun(h.db.sql, SYSTEM_ACTOR, "overdue", { type: "PROPOSED" });
  const { runToken } = await take(w, run.id);
  await report(run.id, runToken, "INITIALIZING");
  const settings = { acceptTimeoutSeconds: 1, workerTimeoutSeconds: 30, runTimeoutSeconds: 60 };
  assert.equal(await failOverdueRuns(h.db.sql, settings), [], "not yet");
  await h.db.sql`update run_transitions set created_at = now() - interval '1 hour' where run_id = ${run.id}`;
  assert.equal((await failOverdueRuns(h.db.sql, settings)).map((o) => o.runId), [run.id]);
  assert.is(await h.runState(run.id), "FAILED");
  const [last] = await h.db.sql`select note from run_transitions where run_id = ${run.id} order by seq desc limit 1`;
  assert.match(last.note, /^run timed out/);
  assert.is((await h.db.sql`select run_id from workers where id = ${w.workerId}`)[0].run_id, null, "the worker is free");
});

test.run();
