// The HTTP long-poll transport against a real server and drain: a worker that never connects to
// the broker registers, heartbeats over POST /worker/messages, gets its assignment through
// GET /worker/messages within a second of it being made, accepts and finishes the run; bad
// requests are refused with clear errors.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { waitFor } from "../../shared/testing/wait.ts";
import { memoryLogger } from "../../shared/log.ts";
import { SYSTEM_ACTOR } from "../../shared/auth/roles.ts";
import { createTask } from "../../shared/runs/operations.ts";
import { decodePoolToken } from "../../shared/workers/pool_token.ts";
import { parseServerMessage, type AcceptResponse, type RegisterResponse, type ServerMessage } from "../../shared/workers/protocol.ts";
import { readonlyTopic, writeonlyTopic } from "../../shared/mqtt/topics.ts";
import { connectHttpTransport } from "../../worker/transport_http.ts";
import { startWorkerHarness, type WorkerHarness } from "./testing.ts";

let h: WorkerHarness;
test.before(async () => {
  h = await startWorkerHarness({ acceptTimeoutSeconds: 10 });
});
test.after(async () => {
  await h?.close();
});

test("a worker without a broker: heartbeats, assignment, accept and finish over HTTP", async () => {
  const { pool, token } = await h.pool("http-only");
  await h.stack("http-only", pool.id);
  const t = decodePoolToken(token);
  const reg = (await h.post<RegisterResponse>("/register", { poolId: t.poolId, secret: t.secret, metadata: {} })).body;
  const link = connectHttpTransport({ serverUrl: h.server.url, workerToken: reg.workerToken, log: memoryLogger() });
  const received: Array<{ message: ServerMessage; at: number }> = [];
  await link.subscribe(readonlyTopic(reg.poolId, reg.workerId), (_topic, payload) => received.push({ message: parseServerMessage(payload)!, at: Date.now() }));
  try {
    await link.publish(writeonlyTopic(reg.poolId, reg.workerId), JSON.stringify({ type: "heartbeat", runId: null }), 1);
    await waitFor(async () => (await h.db.sql`select last_seen_at from workers where id = ${reg.workerId}`)[0].last_seen_at !== null, { what: "the heartbeat over HTTP" });

    const run = await createTask(h.db.sql, SYSTEM_ACTOR, "http-only", "true", false);
    await waitFor(() => received.length === 1, { what: "the assignment over the long poll" });
    const [assigned] = await h.db.sql`select created_at from worker_outbox where worker_id = ${reg.workerId}`;
    assert.ok(received[0].at - assigned.created_at.getTime() < 1000, "delivered within a second of being sent");
    assert.equal(received[0].message, { type: "assign", runId: run.id, stackId: "http-only", acceptBy: (received[0].message as { acceptBy: string }).acceptBy });
    const accepted = await h.post<AcceptResponse>(`/runs/${run.id}/accept`, {}, reg.workerToken);
    assert.is(accepted.status, 200);
    for (const state of ["PERFORMING", "FINISHED"]) assert.is((await h.post(`/runs/${run.id}/state`, { state }, accepted.body.runToken)).status, 200);
    assert.is(await h.runState(run.id), "FINISHED");
  } finally {
    await link.close();
  }
});

test("bad long-poll requests get clear errors", async () => {
  const { token } = await h.pool("http-bad");
  const t = decodePoolToken(token);
  const reg = (await h.post<RegisterResponse>("/register", { poolId: t.poolId, secret: t.secret, metadata: {} })).body;
  const get = (query: string, auth: string | null = reg.workerToken) => fetch(`${h.server.url}/worker/messages${query}`, { headers: auth ? { authorization: `Bearer ${auth}` } : {} });
  assert.is((await get("?wait=0", null)).status, 401);
  const negative = await get("?after=-1");
  assert.is(negative.status, 400);
  assert.match((await negative.json()).error.message, /after must be/);
  const empty = await get("?after=0&wait=0");
  assert.equal(await empty.json(), { messages: [], cursor: 0 });
  const post = (body: string) => fetch(`${h.server.url}/worker/messages`, { method: "POST", headers: { authorization: `Bearer ${reg.workerToken}`, "content-type": "application/json" }, body });
  assert.is((await post("not json")).status, 400);
  assert.is((await post(JSON.stringify({ message: { type: "launch-missiles" } }))).status, 400);
  assert.is((await post(JSON.stringify({ message: { type: "heartbeat", runId: null } }))).status, 200);
});

test.run();
