// The worker protocol against a real server (HTTP, built-in broker with its ACLs) and a real drain:
// registration and pool tokens, broker credentials and topic ACLs with two registered workers,
// assignment over MQTT in priority order within the stack's pool, accepting, duplicates, the
// accept deadline, drained workers, heartbeats through the worker_messages queue, and state
// reports with run tokens.
import { test } from "uvu";
import * as assert from "uvu/assert";
import mqtt from "mqtt";
import { waitFor } from "../../shared/testing/wait.ts";
import { externalBroker } from "../../shared/testing/mqtt.ts";
import { readonlyTopic, writeonlyTopic } from "../../shared/mqtt/topics.ts";
import { SYSTEM_ACTOR } from "../../shared/auth/roles.ts";
import { deleteStack } from "../../shared/stacks/operations.ts";
import { createTask, triggerRun } from "../../shared/runs/operations.ts";
import { deleteWorkerPool, resetWorkerPool, setWorkerDrained } from "../../shared/workers/operations.ts";
import { expireAssignments } from "../../shared/workers/assignment.ts";
import { decodePoolToken } from "../../shared/workers/pool_token.ts";
import type { AcceptResponse, Assign } from "../../shared/workers/protocol.ts";
import { HEARTBEAT_MIN_INTERVAL_MS } from "../worker_messages.ts";
import { assignsOf, startWorkerHarness, type TestWorker, type WorkerHarness } from "./testing.ts";

const external = externalBroker();
let h: WorkerHarness;
test.before(async () => {
  if (!external) h = await startWorkerHarness();
});
test.after(async () => {
  await h?.close();
});
const post = <T>(path: string, body: unknown, token?: string) => h.post<T>(path, body, token);
const worker = async (token: string, metadata: Record<string, string> = {}) => {
  const w = await h.worker(token, metadata);
  return Object.defineProperty(w, "assigns", { get: () => assignsOf(w) }) as TestWorker & { readonly assigns: Assign[] };
};
const pool = (name: string) => h.pool(name);
const stack = (name: string, workerPool: string) => h.stack(name, workerPool);
const runState = (id: string) => h.runState(id);
const endpoints = () => h.endpoints();

test("registration: the pool token works, a wrong secret does not; a reset retires old tokens and their workers", async () => {
  if (external) return console.log("SKIP: worker broker credentials need the built-in broker (MQTT_BROKER_TYPE=external)");
  const { pool: p, token } = await pool("registration");
  const decoded = decodePoolToken(token);
  assert.equal([decoded.serverUrl, decoded.broker.endpoint, decoded.poolId], [h.server.url, h.server.brokerEndpoint, p.id]);
  const [row] = await h.db.sql`select encode(secret_hash, 'hex') as hash from worker_pools where id = ${p.id}`;
  assert.not.ok(row.hash.includes(Buffer.from(decoded.secret).toString("hex")), "only a hash of the secret is stored");

  const bad = await post<{ error: { code: string } }>("/register", { poolId: p.id, secret: "x".repeat(43), metadata: {} });
  assert.is(bad.status, 401);
  const w = await worker(token, { instance_id: "i-123" });
  assert.match(w.workerId, /^[0-9A-Z]{26}$/);
  const [stored] = await h.db.sql`select metadata, encode(secret_hash, 'hex') as hash from workers where id = ${w.workerId}`;
  assert.equal(stored.metadata, { instance_id: "i-123" });
  assert.ok(!stored.hash.includes(Buffer.from(w.broker.password).toString("hex")));

  const { token: fresh } = await resetWorkerPool(h.db.sql, SYSTEM_ACTOR, p.id, endpoints());
  assert.is((await post("/register", { poolId: p.id, secret: decoded.secret, metadata: {} })).status, 401, "the old token stops working");
  assert.is((await post("/leave", {}, w.workerToken)).status, 401, "so does the worker registered with it");
  try {
    await mqtt.connectAsync(w.broker.endpoint, { username: w.broker.username, password: w.broker.password, reconnectPeriod: 0 });
    assert.unreachable("the retired worker's broker credentials are refused");
  } catch (error) {
    assert.match((error as Error).message, /Bad username or password|Not authorized/);
  }
  await worker(fresh);
});

test("ACL: two registered workers reach only their own topics and never read each other's messages", async () => {
  if (external) return console.log("SKIP: the ACLs are the built-in broker's (MQTT_BROKER_TYPE=external)");
  const { token } = await pool("acl");
  const a = await worker(token);
  const b = await worker(token);
  for (const [filter, why] of [
    [readonlyTopic(b.poolId, b.workerId), "not another worker's readonly topic"],
    [`gantry/readonly/${a.poolId}/+`, "no wildcards"],
    ["#", "no wildcards"],
    [writeonlyTopic(b.poolId, b.workerId), "not a writeonly topic"],
  ]) {
    const answer = await a.client.subscribeAsync(filter, { qos: 1 }).then((g) => g, (e: Error) => e);
    assert.ok(answer instanceof Error || answer.every((g) => g.qos === 128), why);
  }

  const seenByA: string[] = [];
  const seenByB: string[] = [];
  a.client.on("message", (topic) => seenByA.push(topic));
  b.client.on("message", (topic) => seenByB.push(topic));
  const link = h.server.mqtt()!;
  await link.publish(readonlyTopic(b.poolId, b.workerId), JSON.stringify({ type: "exit", reason: "for b" }));
  await waitFor(() => seenByB.length === 1, { what: "b to receive its message" });
  await link.publish(readonlyTopic(a.poolId, a.workerId), JSON.stringify({ type: "exit", reason: "for a" }));
  await waitFor(() => seenByA.length === 1, { what: "a to receive its message" });
  assert.equal(seenByA, [readonlyTopic(a.poolId, a.workerId)], "a never saw b's message");

  // Publishing: only on its own writeonly topic. MQTT 3.1.1 has no negative PUBACK: the broker
  // disconnects a client that publishes where it may not, and nobody receives the message.
  const heard: string[] = [];
  await link.subscribe(`gantry/writeonly/${a.poolId}/+`, (topic, payload) => heard.push(`${topic} ${payload}`));
  const beat = JSON.stringify({ type: "heartbeat", runId: null });
  const own = `${writeonlyTopic(a.poolId, a.workerId)} ${beat}`;
  await a.client.publishAsync(writeonlyTopic(a.poolId, a.workerId), beat, { qos: 1 });
  await waitFor(() => heard.includes(own), { what: "a's own heartbeat to reach the server" });
  for (const forged of [writeonlyTopic(b.poolId, b.workerId), readonlyTopic(b.poolId, b.workerId)]) {
    const c = await mqtt.connectAsync(a.broker.endpoint, { username: a.broker.username, password: a.broker.password, reconnectPeriod: 0 });
    const closed = new Promise<void>((resolve) => c.once("close", () => resolve()));
    c.publish(forged, JSON.stringify({ type: "exit", reason: "forged" }), { qos: 1 });
    await closed;
  }
  assert.equal(heard, [own], "nothing a published as b reached the server");
  assert.equal(seenByB, [readonlyTopic(b.poolId, b.workerId)], "b got nothing forged by a");
});

test("heartbeats go through the worker_messages queue and mark the worker as seen", async () => {
  if (external) return console.log("SKIP: needs the built-in broker (MQTT_BROKER_TYPE=external)");
  const { token } = await pool("heartbeats");
  const w = await worker(token);
  await h.db.sql`update workers set last_seen_at = now() - interval '1 hour' where id = ${w.workerId}`;
  assert.is((await h.db.sql`select count(*)::int as n from workers where id = ${w.workerId} and last_seen_at > now() - interval '1 minute'`)[0].n, 0);
  // Past the throttle's window since the registration's first heartbeat (worker_messages.ts).
  await new Promise((r) => setTimeout(r, HEARTBEAT_MIN_INTERVAL_MS + 100));
  await w.client.publishAsync(writeonlyTopic(w.poolId, w.workerId), JSON.stringify({ type: "heartbeat", runId: null }), { qos: 1 });
  await waitFor(async () => (await h.db.sql`select last_seen_at > now() - interval '1 minute' as fresh from workers where id = ${w.workerId}`)[0].fresh, {
    what: "the heartbeat to be recorded",
  });
});

test("scheduling: READY runs go to idle workers of the stack's own pool, in priority order, one per worker; accept, duplicates, report", async () => {
  if (external) return console.log("SKIP: needs the built-in broker (MQTT_BROKER_TYPE=external)");
  const { pool: mine, token } = await pool("scheduling");
  const { pool: other, token: otherToken } = await pool("elsewhere");
  await stack("sched-a", mine.id);
  await stack("sched-b", mine.id);
  const stranger = await worker(otherToken);
  // Queued before any worker of the pool exists: they wait in READY.
  const proposed = await triggerRun(h.db.sql, SYSTEM_ACTOR, "sched-a", { type: "PROPOSED" });
  const task = await createTask(h.db.sql, SYSTEM_ACTOR, "sched-b", "true", false);
  await waitFor(async () => (await runState(proposed.id)) === "READY" && (await runState(task.id)) === "READY", { what: "both runs to be READY" });

  const w = await worker(token, { slot: "1" });
  await waitFor(() => w.assigns.length === 1, { what: "an assignment" });
  assert.is(w.assigns[0].runId, task.id, "the blocking run (the task) goes first, though the proposed run is older");
  assert.is(w.assigns[0].stackId, "sched-b");

  // Accept: READY → PREPARING; accepting again (a duplicate delivery) answers the same.
  const first = await post<AcceptResponse>(`/runs/${task.id}/accept`, {}, w.workerToken);
  assert.is(first.status, 200, JSON.stringify(first.body));
  assert.equal([first.body.run.type, first.body.run.command, first.body.run.repository.url], ["TASK", "true", "file:///nowhere"]);
  const again = await post<AcceptResponse>(`/runs/${task.id}/accept`, {}, w.workerToken);
  assert.is(again.status, 200);
  assert.is(await runState(task.id), "PREPARING");
  assert.is((await post(`/runs/${proposed.id}/accept`, {}, w.workerToken)).status, 409, "only the run assigned to it");

  // A second worker takes the proposed run; the other pool's worker never gets anything.
  const w2 = await worker(token);
  await waitFor(() => w2.assigns.length === 1, { what: "the second worker's assignment" });
  assert.is(w2.assigns[0].runId, proposed.id);

  // State reports need the run token, and its worker.
  const runToken = first.body.runToken;
  assert.is((await post(`/runs/${task.id}/state`, { state: "PERFORMING" }, w.workerToken)).status, 401, "the worker token is not a run token");
  assert.is((await post(`/runs/${proposed.id}/state`, { state: "PERFORMING" }, runToken)).status, 401, "the token is scoped to its run");
  assert.is((await post(`/runs/${task.id}/state`, { state: "PERFORMING" }, runToken)).status, 200);
  assert.is((await post(`/runs/${task.id}/state`, { state: "PERFORMING" }, runToken)).status, 200, "a repeated report is harmless");
  assert.is((await post(`/runs/${task.id}/state`, { state: "APPLYING" }, runToken)).status, 409, "only edges of the task's state graph");
  assert.is((await post(`/runs/${task.id}/state`, { state: "FINISHED", note: "done" }, runToken)).status, 200);
  assert.is(await runState(task.id), "FINISHED");
  assert.is((await h.db.sql`select run_id from workers where id = ${w.workerId}`)[0].run_id, null, "the worker is free again");
  assert.is((await post(`/runs/${task.id}/state`, { state: "FINISHED" }, runToken)).status, 409, "the token dies with the assignment");
  const history = await h.db.sql`select state, actor from run_transitions where run_id = ${task.id} order by seq`;
  assert.equal(history.map((h) => h.state), ["QUEUED", "READY", "PREPARING", "PERFORMING", "FINISHED"]);
  assert.is(history[3].actor, `worker::${w.workerId}`);
  assert.equal(stranger.assigns, [], "a stack runs only on workers of its own pool");
  void other;
});

test("a worker that does not accept in time loses the run to another; drained workers get none", async () => {
  if (external) return console.log("SKIP: needs the built-in broker (MQTT_BROKER_TYPE=external)");
  const { pool: p, token } = await pool("deadline");
  await stack("deadline-stack", p.id);
  const silent = await worker(token);
  const drained = await worker(token);
  await setWorkerDrained(h.db.sql, SYSTEM_ACTOR, p.id, drained.workerId, true);
  const run = await createTask(h.db.sql, SYSTEM_ACTOR, "deadline-stack", "true", false);
  await waitFor(() => silent.assigns.length === 1, { what: "the assignment to the silent worker" });
  await waitFor(async () => (await expireAssignments(h.db.sql)).runs.includes(run.id), { what: "the accept deadline to pass", timeoutMs: 5000, intervalMs: 100 });
  assert.is(await runState(run.id), "READY", "the run waits in READY again");
  assert.is((await post(`/runs/${run.id}/accept`, {}, silent.workerToken)).status, 409, "too late to accept");

  // The drained worker is undrained: the run goes to it (or back to the silent one, which is idle too).
  await setWorkerDrained(h.db.sql, SYSTEM_ACTOR, p.id, drained.workerId, false);
  await waitFor(() => drained.assigns.length + silent.assigns.length === 2, { what: "a new assignment" });
  const taker = drained.assigns.length === 1 ? drained : silent;
  assert.is((await post(`/runs/${run.id}/accept`, {}, taker.workerToken)).status, 200);
  await deleteStack(h.db.sql, SYSTEM_ACTOR, "deadline-stack");
  assert.is((await h.db.sql`select run_id from workers where id = ${taker.workerId}`)[0].run_id, null, "deleting the stack frees its worker");
});

test("a stack names an existing pool; a pool in use cannot be deleted", async () => {
  if (external) return console.log("SKIP: needs the built-in broker (MQTT_BROKER_TYPE=external)");
  try {
    await stack("no-such-pool", "01NOSUCHPOOL00000000000000");
    assert.unreachable();
  } catch (error) {
    assert.match((error as Error).message, /worker pool not found/);
  }
  const { pool: p } = await pool("in-use");
  await stack("uses-pool", p.id);
  try {
    await deleteWorkerPool(h.db.sql, SYSTEM_ACTOR, p.id);
    assert.unreachable();
  } catch (error) {
    assert.match((error as Error).message, /used by stacks uses-pool/);
  }
});

test.run();
