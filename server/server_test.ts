import { test } from "uvu";
import * as assert from "uvu/assert";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { testDatabase, type TestDatabase } from "../shared/db/testing.ts";
import { startRelay, type Relay } from "../shared/testing/relay.ts";
import { startEntrypoint } from "../shared/testing/process.ts";
import { waitFor } from "../shared/testing/wait.ts";
import { freePort } from "../shared/db/embedded.ts";
import { externalBroker } from "../shared/testing/mqtt.ts";
import { listenTcp } from "../shared/net/listen.ts";

let db: TestDatabase;
let relay: Relay;
const dataDir = mkdtempSync(join(tmpdir(), "gantry-server-"));
test.before(async () => {
  db = await testDatabase();
  const target = new URL(db.url);
  relay = await startRelay(target.hostname, Number(target.port));
});
test.after(async () => {
  await relay.close();
  await db.drop();
  rmSync(dataDir, { recursive: true, force: true });
});

async function env(): Promise<Record<string, string>> {
  const external = externalBroker();
  return {
    DATABASE_URL: relay.url(db.url),
    GANTRY_DATA_DIR: dataDir,
    SERVER_PORT: String(await freePort()),
    SERVER_HOST: "127.0.0.1",
    LOG_FORMAT: "json",
    ...(external
      ? { MQTT_BROKER_TYPE: "external", MQTT_BROKER_ENDPOINT: external.url }
      : { MQTT_BROKER_TYPE: "builtin", MQTT_BROKER_BUILTIN_PORT: String(await freePort()), MQTT_BROKER_BUILTIN_HOST: "127.0.0.1" }),
  };
}

async function readyz(port: string): Promise<{ status: number; body: { status: string; checks: Record<string, string> } }> {
  const res = await fetch(`http://127.0.0.1:${port}/readyz`);
  return { status: res.status, body: await res.json() };
}

test("database unreachable at start: retries with a clear log line, /readyz is not ready, then it comes up", async () => {
  relay.cut();
  const vars = await env();
  const server = startEntrypoint("server/main.ts", vars);
  try {
    await server.waitForLine(/database unreachable, retrying/, 20_000);
    assert.is((await fetch(`http://127.0.0.1:${vars.SERVER_PORT}/healthz`)).status, 200);
    const before = await readyz(vars.SERVER_PORT);
    assert.is(before.status, 503);
    assert.match(before.body.checks.database, /^unavailable/);
    relay.restore();
    await waitFor(async () => (await readyz(vars.SERVER_PORT)).status === 200, { timeoutMs: 30_000, what: "the server to become ready" });
    assert.match(server.output(), /database reachable/);

    // A database restart while running: not ready during the outage, ready again after.
    relay.cut();
    await waitFor(async () => (await readyz(vars.SERVER_PORT)).status === 503, { timeoutMs: 10_000, what: "/readyz to notice the outage" });
    relay.restore();
    await waitFor(async () => (await readyz(vars.SERVER_PORT)).status === 200, { timeoutMs: 30_000, what: "the server to reconnect" });
    server.kill("SIGTERM");
    assert.is((await server.exited).code, 0);
  } finally {
    relay.restore();
    server.kill();
  }
});

test("a port already in use is a clear error", async () => {
  const holder = await listenTcp(() => {}, "127.0.0.1", 0, "x");
  const port = (holder.address() as { port: number }).port;
  const server = startEntrypoint("server/main.ts", { ...(await env()), SERVER_PORT: String(port) });
  try {
    const { code } = await server.exited;
    assert.is(code, 1);
    assert.match(server.output(), new RegExp(`port ${port} is already in use; stop what holds it or set SERVER_PORT`));
  } finally {
    holder.close();
    server.kill();
  }
});

test("metrics are served by the running process", async () => {
  const vars = await env();
  const server = startEntrypoint("server/main.ts", vars);
  try {
    await waitFor(async () => (await readyz(vars.SERVER_PORT).catch(() => ({ status: 0 }))).status === 200, { timeoutMs: 30_000, what: "ready" });
    const text = await (await fetch(`http://127.0.0.1:${vars.SERVER_PORT}/metrics`)).text();
    assert.match(text, /gantry_queue_depth\{queue="cronjobs"\}/);
    assert.match(text, /gantry_mqtt_up 1/);
  } finally {
    server.kill("SIGTERM");
    await server.exited;
  }
});

test.run();
