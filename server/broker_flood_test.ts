// The built-in broker under a flood: workers whose sockets are destroyed (no DISCONNECT packet)
// while the server side publishes to every worker at QoS 0 and other workers flood heartbeats at
// QoS 0. aedes (through mqemitter) queues messages once 100 are in flight; a queued message that
// completes synchronously (no subscriber left, or a synchronous in-process handler such as the
// server's own subscription) used to start the next one on the same stack, so a long queue
// overflowed the stack and killed the process (server/broker.ts explains the fix).
//
// The first test runs the real server process (server/main.ts): a crash is seen as its exit. The
// second drives the same broker in this process through its in-process publish path (the one the
// all-in-one process's drain uses), with real worker sockets.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import mqtt, { type MqttClient } from "mqtt";
import { testDatabase, type TestDatabase } from "../shared/db/testing.ts";
import { freePort } from "../shared/db/embedded.ts";
import { memoryLogger } from "../shared/log.ts";
import { startEntrypoint, type Child, type Exit } from "../shared/testing/process.ts";
import { externalBroker } from "../shared/testing/mqtt.ts";
import { waitFor } from "../shared/testing/wait.ts";
import { ALL_WORKER_MESSAGES, readonlyTopic, writeonlyTopic } from "../shared/mqtt/topics.ts";
import { serverMqttCredentials } from "../shared/secret_key.ts";
import { SYSTEM_ACTOR } from "../shared/auth/roles.ts";
import { createWorkerPool } from "../shared/workers/operations.ts";
import { decodePoolToken } from "../shared/workers/pool_token.ts";
import type { RegisterResponse } from "../shared/workers/protocol.ts";
import { startBuiltinBroker, type BuiltinBroker } from "./broker.ts";

const SECRET_KEY = "broker-flood-test-secret-key-0123456789abcdef";
const dataDir = mkdtempSync(join(tmpdir(), "gantry-flood-"));
let db: TestDatabase | null = null;
let server: Child | null = null;
let broker: BuiltinBroker | null = null;
const clients: MqttClient[] = [];

test.after(async () => {
  await Promise.all(clients.map((c) => c.endAsync(true).catch(() => {})));
  if (server) {
    server.kill("SIGTERM");
    const timer = setTimeout(() => server?.kill("SIGKILL"), 10_000);
    await server.exited;
    clearTimeout(timer);
  }
  await broker?.close();
  await db?.drop();
  rmSync(dataDir, { recursive: true, force: true });
});

type Worker = RegisterResponse & { client: MqttClient; received: string[] };

async function connectWorker(url: string, username: string, password: string, topic: string): Promise<{ client: MqttClient; received: string[] }> {
  const client = await mqtt.connectAsync(url, { username, password, reconnectPeriod: 0, connectTimeout: 20_000 });
  clients.push(client);
  client.on("error", () => {}); // a destroyed socket is the point of the test
  const received: string[] = [];
  client.on("message", (_topic, payload) => received.push(payload.toString()));
  const granted = await client.subscribeAsync(topic, { qos: 1 });
  assert.is(granted[0].qos, 1, `subscribed to ${topic}`);
  return { client, received };
}

/** Destroys the TCP socket under a client: no DISCONNECT packet, as when a worker's host dies. */
function cutOff(client: MqttClient): void {
  (client as unknown as { stream: { destroy(): void } }).stream.destroy();
}

/** Rejects as soon as the child exits, with its output, so a crash fails the test at once. */
function alive(child: Child): Promise<never> {
  return child.exited.then((exit: Exit) => {
    const output = child.output().split("\n").filter((line) => !/Admin API key/.test(line)).join("\n");
    throw new Error(`the server process exited (code ${exit.code}, signal ${exit.signal}):\n${output.slice(-3000)}`);
  });
}

// Under Deno 2.9.6 both floods stalled now and then in CI (the process idle, no timer firing, as
// the drain's outage test does there), so a run hung for 600 s instead of answering. The broker
// fix these tests prove is aedes's, under Node; under Deno they skip until the stall is understood.
const DENO = Boolean((globalThis as { Deno?: unknown }).Deno);
const DENO_SKIP = "SKIP: under Deno the flood tests can stall the test process (seen in CI; known gap); they run under Node";

test("workers cut off mid-flood leave the server process up and the other workers served", async () => {
  if (DENO) return console.log(DENO_SKIP);
  if (externalBroker()) return console.log("SKIP: this tests the built-in broker (MQTT_BROKER_TYPE=external)");
  db = await testDatabase();
  const port = await freePort();
  const mqttPort = await freePort();
  server = startEntrypoint("server/main.ts", {
    DATABASE_URL: db.url,
    GANTRY_DATA_DIR: dataDir,
    GANTRY_SECRET_KEY: SECRET_KEY,
    SERVER_HOST: "127.0.0.1",
    SERVER_PORT: String(port),
    SERVER_DOMAIN: `127.0.0.1:${port}`,
    MQTT_BROKER_TYPE: "builtin",
    MQTT_BROKER_BUILTIN_HOST: "127.0.0.1",
    MQTT_BROKER_BUILTIN_PORT: String(mqttPort),
    LOG_LEVEL: "error", // thousands of heartbeats; the output is read for a crash only
  });
  let exited = false;
  void server.exited.then(() => (exited = true));
  const died = alive(server);
  died.catch(() => {}); // raced below; unobserved otherwise
  const url = `http://127.0.0.1:${port}`;
  const brokerUrl = `mqtt://127.0.0.1:${mqttPort}`;
  await Promise.race([
    died,
    waitFor(async () => (await fetch(`${url}/readyz`).catch(() => null))?.status === 200, { timeoutMs: 60_000, intervalMs: 50, what: "the server to be ready" }),
  ]);

  // Nine registered workers, with the credentials /worker/register hands out.
  const { token } = await createWorkerPool(db.sql, SYSTEM_ACTOR, { name: "flood" }, { serverUrl: url, brokerEndpoint: brokerUrl });
  const { poolId, secret } = decodePoolToken(token);
  const workers: Worker[] = [];
  for (let i = 0; i < 9; i++) {
    const res = await fetch(`${url}/worker/register`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ poolId, secret, metadata: {} }) });
    assert.is(res.status, 200);
    const reg = (await res.json()) as RegisterResponse;
    assert.is(reg.broker.endpoint, brokerUrl);
    workers.push({ ...reg, ...(await connectWorker(brokerUrl, reg.broker.username, reg.broker.password, readonlyTopic(reg.poolId, reg.workerId))) });
  }
  const survivors = workers.slice(0, 3);
  const flooders = workers.slice(3, 6);
  const victims = workers.slice(6, 9);

  // The server side's own identity (what the drain process publishes with), over a real socket.
  const serverSide = await mqtt.connectAsync(brokerUrl, { ...serverMqttCredentials(SECRET_KEY), reconnectPeriod: 0, connectTimeout: 20_000 });
  clients.push(serverSide);

  const MESSAGES = 12_000;
  const payload = JSON.stringify({ type: "noise", pad: "x".repeat(100) });
  const heartbeat = JSON.stringify({ type: "heartbeat", runId: null });
  // In bursts, letting the sockets flow between them; a victim is cut off in the middle of each third.
  const BURST = 500;
  for (let i = 0; i < MESSAGES; i++) {
    const to = workers[i % workers.length];
    serverSide.publish(readonlyTopic(to.poolId, to.workerId), payload, { qos: 0 });
    const flooder = flooders[i % flooders.length];
    flooder.client.publish(writeonlyTopic(flooder.poolId, flooder.workerId), heartbeat, { qos: 0 });
    if (i % (MESSAGES / 3) === MESSAGES / 6) cutOff(victims[Math.floor(i / (MESSAGES / 3))].client);
    if (i % BURST === BURST - 1) await new Promise((resolve) => setImmediate(resolve));
  }

  // After the churn: the server side publishes once more to each survivor. Messages from one
  // publisher on one topic arrive in order, so this comes after the whole flood.
  await Promise.race([
    died,
    (async () => {
      for (const s of survivors) await serverSide.publishAsync(readonlyTopic(s.poolId, s.workerId), "after the churn", { qos: 1 });
      await waitFor(() => survivors.every((s) => s.received.at(-1) === "after the churn"), { timeoutMs: 20_000, intervalMs: 20, what: "every surviving worker to receive the message published after the churn" });
    })(),
  ]);

  assert.is((await fetch(`${url}/healthz`)).status, 200, "/healthz answers");
  survivors.forEach((s, i) => {
    const sent = Array.from({ length: MESSAGES }, (_, m) => m).filter((m) => m % workers.length === i).length;
    assert.is(s.received.filter((p) => p === payload).length, sent, "a survivor received every flood message addressed to it");
  });
  // A victim comes back with its credentials and is served as before.
  const back = await connectWorker(brokerUrl, victims[0].broker.username, victims[0].broker.password, readonlyTopic(victims[0].poolId, victims[0].workerId));
  await serverSide.publishAsync(readonlyTopic(victims[0].poolId, victims[0].workerId), "welcome back", { qos: 1 });
  await waitFor(() => back.received.includes("welcome back"), { what: "the reconnected worker to be served" });
  assert.is(server.output().match(/RangeError|Maximum call stack/)?.[0], undefined, "no stack overflow in the server's output");
  assert.not.ok(exited, "the server process is still running");
});

test("the in-process publish path survives a subscriber cut off with thousands of messages queued", async () => {
  if (DENO) return console.log(DENO_SKIP);
  const SERVER = { username: "gantry-server", password: "server-secret-0123456789" };
  broker = await startBuiltinBroker({
    host: "127.0.0.1",
    port: 0,
    server: SERVER,
    log: memoryLogger(),
    resolveWorker: async (username) => (/^w\d$/.test(username) ? { kind: "worker", pool: "pool1", worker: username } : null),
  });
  const overflow: Error[] = [];
  const onUncaught = (error: Error) => overflow.push(error);
  process.on("uncaughtException", onUncaught);
  try {
    let forwarded = 0;
    let marker = false;
    await broker.subscribe(ALL_WORKER_MESSAGES, (_topic, payload) => {
      forwarded++;
      if (payload.toString() === '{"marker":true}') marker = true;
    });
    const url = `mqtt://127.0.0.1:${broker.port}`;
    const victim = await connectWorker(url, "w1", "pw", readonlyTopic("pool1", "w1"));
    const survivor = await connectWorker(url, "w2", "pw", readonlyTopic("pool1", "w2"));
    const flooder = await connectWorker(url, "w3", "pw", readonlyTopic("pool1", "w3"));
    const MESSAGES = 20_000;
    let published = 0;
    for (let i = 0; i < MESSAGES; i++) {
      // Not awaited: the drain publishes its assignments concurrently (Promise.all) in the same way.
      void broker.publish(readonlyTopic("pool1", "w1"), "noise", 0).then(() => published++);
      flooder.client.publish(writeonlyTopic("pool1", "w3"), "{}", { qos: 0 });
      if (i === MESSAGES / 2) cutOff(victim.client);
    }
    // After an overflow the broker's queue is wedged and nothing completes any more: wait on
    // progress or on the error, never on the publishes themselves.
    const settled = () => overflow.length > 0;
    await waitFor(() => published === MESSAGES || settled(), { timeoutMs: 20_000, what: "every in-process publish to complete" });
    assert.equal(overflow.map((e) => e.message), [], "no uncaught error in the broker");
    void broker.publish(readonlyTopic("pool1", "w2"), "after the churn", 1);
    await waitFor(() => survivor.received.includes("after the churn") || settled(), { timeoutMs: 20_000, what: "the survivor to be served" });
    // QoS 0 is at most once, so not every flooded message must arrive; the path must stay open:
    // a QoS 1 message the flooder sends after its flood reaches the server's subscription.
    // Not awaited: a PUBACK that never comes must fail the wait below, not hang the test.
    void flooder.client.publishAsync(writeonlyTopic("pool1", "w3"), '{"marker":true}', { qos: 1 }).catch(() => {});
    await waitFor(() => marker || settled(), { timeoutMs: 30_000, what: "the flooder's message after its flood to reach the server's subscription" });
    assert.ok(forwarded > MESSAGES / 2, `most of the flood reached the server (${forwarded} of ${MESSAGES})`);
    assert.equal(overflow.map((e) => e.message), [], "no uncaught error in the broker");
    assert.ok(broker.isUp());
  } finally {
    process.off("uncaughtException", onUncaught);
  }
});

test.run();
