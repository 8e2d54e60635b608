import { test } from "uvu";
import * as assert from "uvu/assert";
import mqtt, { type MqttClient } from "mqtt";
import { startBuiltinBroker, type BuiltinBroker } from "./broker.ts";
import { memoryLogger } from "../shared/log.ts";
import { readonlyTopic, writeonlyTopic, ALL_WORKER_MESSAGES } from "../shared/mqtt/topics.ts";
import { mayPublish, maySubscribe } from "../shared/mqtt/acl.ts";
import { connectExternal } from "../shared/mqtt/link.ts";
import { externalBroker, reachable } from "../shared/testing/mqtt.ts";
import { waitFor } from "../shared/testing/wait.ts";
import { listenTcp } from "../shared/net/listen.ts";

const SERVER = { username: "gantry-server", password: "server-secret-0123456789" };
// Worker credentials as registration will hand them out: here a fixed table.
const WORKERS: Record<string, { pool: string; worker: string; password: string }> = {
  w1: { pool: "pool1", worker: "w1", password: "pw-one" },
  w2: { pool: "pool1", worker: "w2", password: "pw-two" },
};

let broker: BuiltinBroker;
const clients: MqttClient[] = [];
test.before(async () => {
  broker = await startBuiltinBroker({
    host: "127.0.0.1",
    port: 0,
    server: SERVER,
    log: memoryLogger(),
    resolveWorker: async (username, password) => {
      const w = WORKERS[username];
      return w && w.password === password ? { kind: "worker", pool: w.pool, worker: w.worker } : null;
    },
  });
});
test.after(async () => {
  await Promise.all(clients.map((c) => c.endAsync(true)));
  await broker.close();
});

async function client(username: string, password: string): Promise<MqttClient> {
  const c = await mqtt.connectAsync(`mqtt://127.0.0.1:${broker.port}`, { username, password, reconnectPeriod: 0, connectTimeout: 5000 });
  clients.push(c);
  return c;
}

test("ACL: workers reach only their own topics; the server reaches all of gantry/", () => {
  const w1 = { kind: "worker", pool: "pool1", worker: "w1" } as const;
  assert.ok(maySubscribe(w1, readonlyTopic("pool1", "w1")));
  assert.not.ok(maySubscribe(w1, readonlyTopic("pool1", "w2")));
  assert.not.ok(maySubscribe(w1, "gantry/readonly/pool1/+"));
  assert.not.ok(maySubscribe(w1, "#"));
  assert.not.ok(maySubscribe(w1, writeonlyTopic("pool1", "w1")));
  assert.ok(mayPublish(w1, writeonlyTopic("pool1", "w1")));
  assert.not.ok(mayPublish(w1, writeonlyTopic("pool1", "w2")));
  assert.not.ok(mayPublish(w1, readonlyTopic("pool1", "w1")));
  assert.ok(maySubscribe({ kind: "server" }, ALL_WORKER_MESSAGES));
  assert.not.ok(maySubscribe({ kind: "server" }, "$SYS/#"));
});

test("a wrong password is refused", async () => {
  try {
    await mqtt.connectAsync(`mqtt://127.0.0.1:${broker.port}`, { username: "w1", password: "nope", reconnectPeriod: 0 });
    assert.unreachable();
  } catch (error) {
    assert.match((error as Error).message, /Bad username or password/);
  }
  try {
    await mqtt.connectAsync(`mqtt://127.0.0.1:${broker.port}`, { reconnectPeriod: 0 });
    assert.unreachable("anonymous clients are refused");
  } catch (error) {
    assert.match((error as Error).message, /Bad username or password/);
  }
});

test("a worker cannot read another worker's messages", async () => {
  const w1 = await client("w1", "pw-one");
  const w2 = await client("w2", "pw-two");
  const got1: string[] = [];
  const got2: string[] = [];
  w1.on("message", (_t, p) => got1.push(p.toString()));
  w2.on("message", (_t, p) => got2.push(p.toString()));
  await w1.subscribeAsync(readonlyTopic("pool1", "w1"), { qos: 1 });
  const refused = await w2.subscribeAsync(readonlyTopic("pool1", "w1"), { qos: 1 }).then((g) => g, (e: Error) => e);
  const wildcard = await w2.subscribeAsync("gantry/#", { qos: 1 }).then((g) => g, (e: Error) => e);
  for (const answer of [refused, wildcard]) {
    const granted = answer instanceof Error ? [] : answer.filter((g) => g.qos !== 128);
    assert.is(granted.length, 0, "subscription refused");
  }
  await broker.publish(readonlyTopic("pool1", "w1"), "assignment for w1");
  await waitFor(() => got1.length === 1, { what: "w1 to receive its message" });
  await broker.publish(readonlyTopic("pool1", "w1"), "second");
  await waitFor(() => got1.length === 2, { what: "w1 to receive the second message" });
  assert.equal(got2, [], "w2 saw nothing");
});

test("a worker publishes only on its own writeonly topic", async () => {
  const received: Array<[string, string]> = [];
  await broker.subscribe(ALL_WORKER_MESSAGES, (topic, payload) => received.push([topic, payload.toString()]));
  const w1 = await client("w1", "pw-one");
  await w1.publishAsync(writeonlyTopic("pool1", "w1"), "heartbeat", { qos: 1 });
  await waitFor(() => received.length === 1, { what: "the server to receive w1's message" });
  assert.equal(received[0], [writeonlyTopic("pool1", "w1"), "heartbeat"]);
  const closed = new Promise<void>((resolve) => w1.once("close", () => resolve()));
  w1.publish(writeonlyTopic("pool1", "w2"), "forged");
  await closed; // MQTT 3.1.1 has no negative PUBACK: the broker disconnects the offender
  assert.is(received.length, 1, "the forged message was not delivered");
});

test("the server's own identity may publish to any worker and read every worker", async () => {
  const server = await client(SERVER.username, SERVER.password);
  await server.subscribeAsync(ALL_WORKER_MESSAGES, { qos: 1 });
  await server.publishAsync(readonlyTopic("pool1", "w2"), "cancel", { qos: 1 });
  assert.ok(broker.stats().clients! >= 1);
});

test("a taken port gives an error that names the setting", async () => {
  const holder = await listenTcp(() => {}, "127.0.0.1", 0, "x");
  const port = (holder.address() as { port: number }).port;
  try {
    await startBuiltinBroker({ host: "127.0.0.1", port, server: SERVER, log: memoryLogger() });
    assert.unreachable();
  } catch (error) {
    assert.match((error as Error).message, new RegExp(`port ${port} is already in use; .* MQTT_BROKER_BUILTIN_PORT`));
  } finally {
    holder.close();
  }
});

test("the external link publishes and subscribes through a real broker (Mosquitto)", async () => {
  const external = externalBroker() ?? ((await reachable("127.0.0.1", 1883)) ? { url: "mqtt://127.0.0.1:1883" } : null);
  if (!external) {
    console.log("SKIP: no external MQTT broker (set MQTT_BROKER_TYPE=external and MQTT_BROKER_ENDPOINT, or run Mosquitto on 127.0.0.1:1883)");
    return;
  }
  const a = await connectExternal({ ...external, clientId: `gantry-test-a-${process.pid}`, log: memoryLogger() });
  const b = await connectExternal({ ...external, clientId: `gantry-test-b-${process.pid}`, log: memoryLogger() });
  try {
    const got: string[] = [];
    const topic = `gantry/writeonly/test${process.pid}/w1`;
    await b.subscribe("gantry/writeonly/+/w1", (t, p) => t === topic && got.push(p.toString()));
    await a.publish(topic, "hello");
    await waitFor(() => got.length === 1, { what: "the message through the external broker" });
    assert.equal(got, ["hello"]);
    assert.ok(a.isUp() && b.isUp());
  } finally {
    await a.close();
    await b.close();
  }
});

test.run();
