import { test } from "uvu";
import * as assert from "uvu/assert";
import { testDatabase, type TestDatabase } from "../shared/db/testing.ts";
import { createPool } from "../shared/db/connect.ts";
import { enqueue } from "../shared/queue/jobs.ts";
import { memoryLogger } from "../shared/log.ts";
import type { MqttLink } from "../shared/mqtt/link.ts";
import { createApp } from "./app.ts";
import { Hono } from "hono";

let db: TestDatabase;
test.before(async () => {
  db = await testDatabase();
});
test.after(async () => {
  await db.drop();
});

const fakeLinkUp = (up: boolean): MqttLink => ({
  kind: "builtin",
  isUp: () => up,
  publish: async () => {},
  subscribe: async () => {},
  stats: () => ({ clients: 3, published: 7, received: 2 }),
  close: async () => {},
});

test("/healthz answers without touching dependencies", async () => {
  const down = createPool("postgres://nobody@127.0.0.1:1/none", { max: 1 });
  const app = createApp({ sql: down, log: memoryLogger(), mqtt: () => null, maxBodyBytes: 1024 });
  const res = await app.request("/healthz");
  assert.is(res.status, 200);
  assert.equal(await res.json(), { status: "ok" });
  await down.end();
});

test("/readyz is ready when database and broker answer", async () => {
  const app = createApp({ sql: db.sql, log: memoryLogger(), mqtt: () => fakeLinkUp(true), maxBodyBytes: 1024 });
  const res = await app.request("/readyz");
  assert.is(res.status, 200);
  assert.equal(await res.json(), { status: "ready", checks: { database: "ok", broker: "ok" } });
});

test("/readyz says which dependency is missing, with 503", async () => {
  const down = createPool("postgres://nobody@127.0.0.1:1/none", { max: 1 });
  const app = createApp({ sql: down, log: memoryLogger(), mqtt: () => fakeLinkUp(false), maxBodyBytes: 1024 });
  const res = await app.request("/readyz");
  assert.is(res.status, 503);
  const body = await res.json();
  assert.is(body.status, "not ready");
  assert.match(body.checks.database, /^unavailable/);
  assert.match(body.checks.broker, /^unavailable: not connected/);
  await down.end();
});

test("/metrics covers HTTP, the queues and the broker in Prometheus text", async () => {
  await enqueue(db.sql, { queue: "webhooks", kind: "x" });
  const app = createApp({ sql: db.sql, log: memoryLogger(), mqtt: () => fakeLinkUp(true), maxBodyBytes: 1024 });
  await app.request("/healthz");
  await app.request("/nope");
  const res = await app.request("/metrics");
  assert.is(res.status, 200);
  assert.match(res.headers.get("content-type")!, /text\/plain; version=0.0.4/);
  const text = await res.text();
  assert.match(text, /gantry_http_requests_total\{method="GET",route="\/healthz",status="200"\} 1/);
  assert.match(text, /gantry_http_requests_total\{method="GET",route="unmatched",status="404"\} 1/);
  assert.match(text, /gantry_queue_depth\{queue="webhooks"\} 1/);
  assert.match(text, /gantry_queue_oldest_job_age_seconds\{queue="webhooks"\} \d/);
  assert.match(text, /gantry_queue_processed_total\{queue="async"\} 0/);
  assert.match(text, /gantry_mqtt_clients_connected\{broker="builtin"\} 3/);
  assert.match(text, /gantry_mqtt_up 1/);
  for (const line of text.trim().split("\n")) assert.match(line, /^(# (HELP|TYPE) \w+ .+|\w+(\{[^}]*\})? -?[\d.e+-]+)$/, line);
});

test("errors leave as JSON with a stable code; unknown routes get 404; oversized bodies 413", async () => {
  const sub = new Hono();
  sub.post("/boom", () => {
    throw new Error("secret detail");
  });
  const log = memoryLogger();
  const app = createApp({ sql: db.sql, log, mqtt: () => null, maxBodyBytes: 1024, mounts: [["/t", sub]] });
  const boom = await app.request("/t/boom", { method: "POST", body: "x" });
  assert.is(boom.status, 500);
  assert.equal(await boom.json(), { error: { code: "Internal", message: "internal error" } });
  const missing = await app.request("/nothing/here");
  assert.is(missing.status, 404);
  assert.is((await missing.json()).error.code, "NotFound");
  const big = await app.request("/t/boom", { method: "POST", body: "x".repeat(5000), headers: { "content-length": "5000" } });
  assert.is(big.status, 413);
});

test.run();
