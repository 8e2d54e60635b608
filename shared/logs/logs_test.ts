// Run logs end to end: a real server (worker API, /blobs pre-signed URLs on the filesystem store,
// /graphql) on a real PostgreSQL. A registered worker holding a run uploads its output with the
// worker's own RunLogs (worker/logs.ts); a reader follows it with spacectl's query and polling loop.
// Also: the URL endpoint's checks, paging tokens across runs and states, state versions, the
// settle delay after a transition the worker did not make, and who may read.
import { Buffer } from "node:buffer";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { startWorkerHarness, assignsOf, type WorkerHarness, type TestWorker } from "../../server/worker_api/testing.ts";
import { corpusFile } from "../../server/graphql/corpus.ts";
import { externalBroker } from "../testing/mqtt.ts";
import { waitFor } from "../testing/wait.ts";
import { insertApiKey, type NewApiKey } from "../auth/queries.ts";
import { SYSTEM_ACTOR, type Actor } from "../auth/roles.ts";
import { createSpace } from "../spaces/queries.ts";
import { createTask, triggerRun, advanceRun } from "../runs/operations.ts";
import type { RunState } from "../runs/run.ts";
import { MAX_LOG_URLS, type AcceptResponse, type LogUrlsRequest, type StateReportResponse } from "../workers/protocol.ts";
import { createRunLogs, MASK } from "../../worker/logs.ts";
import { memoryLogger } from "../log.ts";
import { encodeChunk } from "./chunk.ts";
import { chunkKey, encodeLogToken, LOG_BUCKET } from "./keys.ts";
import { LOG_SETTLE_MS, PAGE_CHUNKS, readRunLogs } from "./read_model.ts";

const external = externalBroker();
let h: WorkerHarness;
let admin: string;
test.before(async () => {
  if (external) return;
  h = await startWorkerHarness();
  admin = await session({ name: "admin", admin: true });
});
test.after(async () => {
  await h?.close();
});

async function gql(query: string, variables: Record<string, unknown>, token: string) {
  const res = await fetch(`${h.server.url}/graphql`, {
    method: "POST",
    headers: { "content-type": "application/json", accept: "application/json", authorization: `Bearer ${token}` },
    body: JSON.stringify({ query, variables }),
  });
  return (await res.json()) as { data?: any; errors?: Array<{ message: string }> }; // eslint-disable-line @typescript-eslint/no-explicit-any
}

async function session(key: NewApiKey): Promise<string> {
  const { key: created, secret } = await insertApiKey(h.db.sql, "test", key);
  const res = await gql(`mutation ($id: ID!, $s: String!) { apiKeyUser(id: $id, secret: $s) { jwt } }`, { id: created.id, s: secret }, "none");
  return res.data.apiKeyUser.jwt;
}

const LOGS = corpusFile("spacectl-run-logs.graphql");
type Page = { exists: boolean; finished: boolean; hasMore: boolean; messages: Array<{ message: string }>; nextToken: string | null };

async function logsPage(stack: string, run: string, state: RunState, stateVersion: number, token: string | null, jwt = admin): Promise<Page> {
  const res = await gql(LOGS, { stack, run, state, stateVersion, token }, jwt);
  assert.equal(res.errors ?? [], [], "no errors");
  return res.data.stack.run.logs;
}

/** spacectl's loop: token null, then each nextToken; print messages as they are; stop when finished. */
async function follow(stack: string, run: string, state: RunState, stateVersion: number, onPage: (page: Page) => void = () => {}): Promise<string> {
  let token: string | null = null;
  let out = "";
  for (let polls = 0; polls < 10_000; polls++) {
    const page = await logsPage(stack, run, state, stateVersion, token);
    onPage(page);
    for (const m of page.messages) out += m.message;
    token = page.nextToken;
    if (page.finished) return out;
    if (!page.hasMore) await new Promise((r) => setTimeout(r, 20)); // spacectl sleeps 1 s, 2 s, …
  }
  throw new Error("the log stream never finished");
}

type Held = { worker: TestWorker; runId: string; runToken: string; stack: string };

/** A task on a fresh stack, assigned to and accepted by a fresh worker: the run is PREPARING (version 1). */
async function heldTask(name: string, extra: Record<string, unknown> = {}): Promise<Held> {
  const { pool, token } = await h.pool(name);
  const stack = await h.stack(name, pool.id, extra);
  const worker = await h.worker(token);
  const run = await createTask(h.db.sql, SYSTEM_ACTOR, stack.id, "make", true);
  await waitFor(() => assignsOf(worker).some((a) => a.runId === run.id), { what: "the assignment" });
  const accepted = await h.post<AcceptResponse>(`/runs/${run.id}/accept`, {}, worker.workerToken);
  assert.is(accepted.status, 200, JSON.stringify(accepted.body));
  return { worker, runId: run.id, runToken: accepted.body.runToken, stack: stack.id };
}

const urlsOf = (held: Held, runToken = held.runToken) => async (req: LogUrlsRequest) => {
  const res = await h.post<{ urls: string[]; error?: { message: string } }>(`/runs/${held.runId}/logs/urls`, req, runToken);
  if (res.status !== 200) throw Object.assign(new Error(`logs/urls: ${res.status} ${res.body.error?.message}`), { status: res.status });
  return res.body.urls;
};

async function report(held: Held, state: RunState): Promise<number> {
  const res = await h.post<StateReportResponse>(`/runs/${held.runId}/state`, { state }, held.runToken);
  assert.is(res.status, 200, JSON.stringify(res.body));
  return res.body.stateVersion;
}

test("a worker's output reaches a spacectl follower through pre-signed URLs, masked, chunked, finished after the next state", async () => {
  if (external) return console.log("SKIP: the harness needs the built-in broker");
  const held = await heldTask("logs-follow");
  const secret = "hunter2-is-the-password";
  const log = memoryLogger();
  const logs = createRunLogs({ urls: urlsOf(held), secrets: [secret, "unused"], log });

  const preparing = logs.enter("PREPARING", 1);
  preparing.write("cloning the repository\n");
  // A follower sees the line while the state is running, and the stream stays open.
  await waitFor(async () => (await logsPage(held.stack, held.runId, "PREPARING", 1, null)).messages.length === 1, { what: "the first line", timeoutMs: 3000 });
  const open = await logsPage(held.stack, held.runId, "PREPARING", 1, null);
  assert.equal([open.exists, open.finished, open.hasMore, open.messages.map((m) => m.message)], [true, false, false, ["cloning the repository\n"]]);
  const following = follow(held.stack, held.runId, "PREPARING", 1);
  preparing.write(`using ${secret.slice(0, 7)}`);
  preparing.write(`${secret.slice(7)} as the password\n`);
  await logs.flush();
  const version = await report(held, "PERFORMING");
  assert.is(await following, `cloning the repository\nusing ${MASK} as the password\n`, "finished once the worker reported the next state");

  const performing = logs.enter("PERFORMING", version);
  let expected = "";
  for (let i = 0; i < 3000; i++) expected += `resource ${i}: ${"x".repeat(60)} ${i % 500 === 0 ? secret : ""}\n`;
  performing.write(expected.slice(0, 100_001));
  performing.write(expected.slice(100_001));
  const pages: Page[] = [];
  const tail = follow(held.stack, held.runId, "PERFORMING", version, (p) => pages.push(p));
  await logs.flush();
  await report(held, "FINISHED");
  await logs.close();
  assert.is(await tail, expected.replaceAll(secret, MASK));
  assert.ok(pages.every((p) => p.nextToken !== null), "nextToken is never null");
  assert.not.ok(pages.some((p) => p.finished && p.hasMore), "never finished while more is available");

  const keys = await h.server.store.list(LOG_BUCKET, `${held.stack}/${held.runId}/`);
  assert.ok(keys.includes(`${held.stack}/${held.runId}/PREPARING/1/00000000`), keys.join(" "));
  const performingKeys = keys.filter((k) => k.includes("/PERFORMING/1/"));
  assert.ok(performingKeys.length >= 4, "200 KiB of output: several chunks");
  for (const key of keys) {
    const body = new TextDecoder().decode((await h.server.store.get(LOG_BUCKET, key))!);
    assert.not.ok(body.includes(secret) || body.includes("hunter2"), `${key} holds no secret`);
    assert.ok(JSON.parse(body).m.length <= 64 * 1024);
  }
  assert.not.ok(log.lines.join("\n").includes("signature="), "the worker never logged a URL's signature");
  const history = await gql(`query ($s: ID!, $r: ID!) { stack(id: $s) { run(id: $r) { history { state hasLogs } } } }`, { s: held.stack, r: held.runId }, admin);
  assert.equal(history.data.stack.run.history.map((t: { state: string; hasLogs: boolean }) => [t.state, t.hasLogs]), [["FINISHED", false], ["PERFORMING", true], ["PREPARING", true], ["READY", false], ["QUEUED", false]]);
});

test("paging: more than a page of chunks comes in pages with hasMore, in order, each chunk once", async () => {
  if (external) return console.log("SKIP: the harness needs the built-in broker");
  const held = await heldTask("logs-paging");
  const logs = createRunLogs({ urls: urlsOf(held), secrets: [], log: memoryLogger() });
  const sink = logs.enter("PREPARING", 1);
  const chunks = PAGE_CHUNKS * 2 + 5;
  for (let i = 0; i < chunks; i++) {
    sink.write(`chunk ${i}\n`);
    await logs.flush(); // one chunk each
  }
  await report(held, "PERFORMING");
  await logs.close();
  const first = await logsPage(held.stack, held.runId, "PREPARING", 1, null);
  assert.equal([first.messages.length, first.hasMore, first.finished], [PAGE_CHUNKS, true, false]);
  const pages: Page[] = [];
  const all = await follow(held.stack, held.runId, "PREPARING", 1, (p) => pages.push(p));
  assert.is(all, Array.from({ length: chunks }, (_, i) => `chunk ${i}\n`).join(""));
  assert.equal(pages.map((p) => [p.messages.length, p.hasMore, p.finished]), [[PAGE_CHUNKS, true, false], [PAGE_CHUNKS, true, false], [5, false, true]]);
  const again = await logsPage(held.stack, held.runId, "PREPARING", 1, pages[2].nextToken);
  assert.equal([again.messages, again.finished, again.hasMore], [[], true, false], "the last token stays valid and reads nothing new");
});

test("tokens: another run's, another state's, a forged or garbled one are refused with a clear error", async () => {
  if (external) return console.log("SKIP: the harness needs the built-in broker");
  const a = await heldTask("logs-token-a");
  const b = await heldTask("logs-token-b");
  for (const held of [a, b]) {
    const logs = createRunLogs({ urls: urlsOf(held), secrets: [], log: memoryLogger() });
    logs.enter("PREPARING", 1).write(`private output of ${held.runId}\n`);
    await logs.close();
  }
  const tokenA = (await logsPage(a.stack, a.runId, "PREPARING", 1, null)).nextToken!;
  const read = (held: Held, state: RunState, token: string | null, stateVersion = 1) =>
    gql(LOGS, { stack: held.stack, run: held.runId, state, stateVersion, token }, admin);
  const message = async (p: ReturnType<typeof read>) => (await p).errors?.[0]?.message ?? "no error";
  assert.match(await message(read(b, "PREPARING", tokenA)), /logs token belongs to another log stream than run/);
  assert.match(await message(read(a, "PLANNING", tokenA)), /logs token belongs to another log stream/);
  assert.match(await message(read(a, "PREPARING", tokenA, 2)), /logs token belongs to another log stream/);
  for (const garbage of ["nope!", "djE6eA", Buffer.from(`v1:${a.runId}:NOT_A_STATE:1:0`).toString("base64url"), "x".repeat(500)]) {
    assert.match(await message(read(a, "PREPARING", garbage)), /logs token is not one this server issued/, garbage);
  }
  // A token naming run b, used on run a, reads nothing of b: refused.
  const forged = encodeLogToken({ runId: b.runId, state: "PREPARING", stateVersion: 1, seq: 0 });
  assert.match(await message(read(a, "PREPARING", forged)), /another log stream/);
  const own = await read(a, "PREPARING", null);
  assert.equal(own.data.stack.run.logs.messages, [{ message: `private output of ${a.runId}\n` }]);
});

test("who may read: the read role in the stack's space, however the run is reached", async () => {
  if (external) return console.log("SKIP: the harness needs the built-in broker");
  await createSpace(h.db.sql, SYSTEM_ACTOR, { name: "Logs Team", parentSpace: "root" });
  const held = await heldTask("logs-team", { space: "logs-team" });
  const logs = createRunLogs({ urls: urlsOf(held), secrets: [], log: memoryLogger() });
  logs.enter("PREPARING", 1).write("team output\n");
  await logs.close();
  const reader = await session({ name: "reader", admin: false, accessRules: [{ space: "logs-team", role: "read" }] });
  assert.equal((await logsPage(held.stack, held.runId, "PREPARING", 1, null, reader)).messages, [{ message: "team output\n" }]);
  const stranger: Actor = { id: "k", login: "api::k", name: "stranger", admin: false, roles: { elsewhere: "admin" } };
  try {
    await readRunLogs(h.db.sql, h.server.store, stranger, held.runId, { state: "PREPARING" });
    assert.unreachable("a caller without a role in the stack's space reads nothing");
  } catch (error) {
    assert.match((error as Error).message, /^unauthorized: reading run logs needs the read role in space logs-team/);
  }
  const hidden = await gql(LOGS, { stack: held.stack, run: held.runId, state: "PREPARING", stateVersion: 1, token: null }, await session({ name: "other", admin: false, accessRules: [] }));
  assert.equal(hidden.data, { stack: null }, "the stack itself is invisible to them");
});

test("the URL endpoint: the run token of this run, a live worker, a state version the run entered; at most MAX_LOG_URLS", async () => {
  if (external) return console.log("SKIP: the harness needs the built-in broker");
  const a = await heldTask("logs-urls-a");
  const b = await heldTask("logs-urls-b");
  const ask = (held: Held, body: unknown, token: string | undefined = held.runToken) => h.post<{ urls?: string[]; error?: { code: string; message: string } }>(`/runs/${held.runId}/logs/urls`, body, token);
  const ok = await ask(a, { state: "PREPARING", stateVersion: 1, from: 10, count: 1000 });
  assert.is(ok.status, 200);
  assert.is(ok.body.urls!.length, MAX_LOG_URLS, "count is capped");
  assert.match(ok.body.urls![0], new RegExp(`/blobs/run_logs/${a.stack}/${a.runId}/PREPARING/1/00000010\\?method=PUT&`));
  assert.is((await ask(a, { state: "PREPARING", stateVersion: 1, from: 0, count: 1 }, b.runToken)).status, 401, "another run's token");
  assert.is((await ask(a, { state: "PREPARING", stateVersion: 1, from: 0, count: 1 }, a.worker.workerToken)).status, 401, "the worker token is not a run token");
  assert.is((await h.post(`/runs/${a.runId}/logs/urls`, { state: "PREPARING", stateVersion: 1, from: 0, count: 1 })).status, 401, "no token");
  const notEntered = await ask(a, { state: "PERFORMING", stateVersion: 1, from: 0, count: 1 });
  assert.equal([notEntered.status, notEntered.body.error?.message], [400, `run ${a.runId} has not entered PERFORMING (version 1)`]);
  assert.is((await ask(a, { state: "PREPARING", stateVersion: 2, from: 0, count: 1 })).status, 400);
  for (const bad of [{ state: "NOPE", stateVersion: 1, from: 0, count: 1 }, { state: "PREPARING", stateVersion: 0, from: 0, count: 1 }, { state: "PREPARING", stateVersion: 1, from: -1, count: 1 }, { state: "PREPARING", stateVersion: 1, from: 0, count: 0 }]) {
    assert.is((await ask(a, bad)).status, 400, JSON.stringify(bad));
  }
  // A URL is for one chunk: it does not write another key.
  const url = new URL(ok.body.urls![0]);
  url.pathname = url.pathname.replace(a.runId, b.runId).replace(a.stack, b.stack);
  assert.is((await fetch(url, { method: "PUT", body: encodeChunk({ timestamp: Date.now(), text: "forged" }) })).status, 403);
  // The run ends: its worker may still ship its last output; once the worker left, not any more.
  await report(a, "PERFORMING");
  await report(a, "FINISHED");
  assert.is((await ask(a, { state: "PERFORMING", stateVersion: 1, from: 0, count: 2 })).status, 200);
  assert.is((await h.post("/leave", {}, a.worker.workerToken)).status, 200);
  assert.is((await ask(a, { state: "PERFORMING", stateVersion: 1, from: 0, count: 2 })).status, 409);
});

test("state versions: the latest by default, an older one on request or by its token; settle delay after a transition not made by the worker", async () => {
  if (external) return console.log("SKIP: the harness needs the built-in broker");
  const { pool } = await h.pool("logs-versions");
  const stack = await h.stack("logs-versions", pool.id);
  const run = await triggerRun(h.db.sql, SYSTEM_ACTOR, stack.id, {});
  for (const s of ["READY", "PREPARING", "INITIALIZING", "PLANNING", "UNCONFIRMED", "REPLAN_REQUESTED", "PREPARING_REPLAN", "PLANNING"] as RunState[]) await advanceRun(h.db.sql, stack.id, run.id, s);
  const put = (version: number, seq: number, text: string) =>
    h.server.store.put(LOG_BUCKET, chunkKey({ stackId: stack.id, runId: run.id, state: "PLANNING", stateVersion: version }, seq), encodeChunk({ timestamp: 1_700_000_000_500, text }));
  await put(1, 0, "first plan\n");
  await put(1, 1, "first plan, more\n");
  await put(2, 0, "second plan\n");
  const ask = (stateVersion: number | null, token: string | null = null) =>
    gql(`query ($s: ID!, $r: ID!, $v: Int, $t: String) { stack(id: $s) { run(id: $r) { logs(state: PLANNING, stateVersion: $v, token: $t) { exists expired finished hasMore messages { message timestamp } nextToken } } } }`, { s: stack.id, r: run.id, v: stateVersion, t: token }, admin);
  const latest = (await ask(null)).data.stack.run.logs;
  assert.equal([latest.messages, latest.finished, latest.exists, latest.expired], [[{ message: "second plan\n", timestamp: 1_700_000_000 }], false, true, false]);
  const older = (await ask(1)).data.stack.run.logs;
  assert.equal(older.messages.map((m: { message: string }) => m.message), ["first plan\n", "first plan, more\n"]);
  assert.is(older.finished, false, "the system (not a worker) moved the run on just now: its last output may still arrive");
  const olderLater = await readRunLogs(h.db.sql, h.server.store, SYSTEM_ACTOR, run.id, { state: "PLANNING", stateVersion: 1 }, { now: Date.now() + LOG_SETTLE_MS });
  assert.equal([olderLater.messages.length, olderLater.finished], [2, true]);
  const never = (await gql(`query ($s: ID!, $r: ID!) { stack(id: $s) { run(id: $r) { logs(state: APPLYING) { exists finished hasMore messages { message } } } } }`, { s: stack.id, r: run.id }, admin)).data.stack.run.logs;
  assert.equal(never, { exists: false, finished: false, hasMore: false, messages: [] }, "a state not entered yet: empty, not finished");

  // Moved on by the system, not by a worker: the stream is complete only after the settle delay.
  await advanceRun(h.db.sql, stack.id, run.id, "FAILED");
  const now = Date.now();
  const settling = await readRunLogs(h.db.sql, h.server.store, SYSTEM_ACTOR, run.id, { state: "PLANNING" }, { now });
  assert.equal([settling.finished, settling.hasMore], [false, false]);
  const settled = await readRunLogs(h.db.sql, h.server.store, SYSTEM_ACTOR, run.id, { state: "PLANNING", token: settling.nextToken }, { now: now + LOG_SETTLE_MS });
  assert.equal([settled.finished, settled.messages], [true, []]);
  // A gap (a chunk lost for good) is skipped once the stream is complete; waited for before.
  await put(2, 2, "after a lost chunk\n");
  const skipped = await readRunLogs(h.db.sql, h.server.store, SYSTEM_ACTOR, run.id, { state: "PLANNING", token: settling.nextToken }, { now: now + LOG_SETTLE_MS });
  assert.equal([skipped.messages.map((m) => m.message), skipped.finished], [["after a lost chunk\n"], true]);
  const waiting = await readRunLogs(h.db.sql, h.server.store, SYSTEM_ACTOR, run.id, { state: "PLANNING", token: settling.nextToken }, { now });
  assert.equal([waiting.messages, waiting.finished], [[], false]);
});

test.run();
