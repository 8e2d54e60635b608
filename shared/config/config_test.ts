import { test } from "uvu";
import * as assert from "uvu/assert";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ConfigError, loadConfig, VARIABLES } from "./config.ts";
import { renderConfigDocs } from "./docs.ts";
import { startEntrypoint } from "../testing/process.ts";

const tmp = mkdtempSync(join(tmpdir(), "gantry-config-"));
test.after(() => rmSync(tmp, { recursive: true, force: true }));

function refused(env: Record<string, string>): ConfigError {
  try {
    loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error("expected a ConfigError");
}

test("defaults give the embedded all-in-one setup", () => {
  const c = loadConfig({});
  assert.is(c.database.url, null);
  assert.is(c.server.port, 1983);
  assert.is(c.mqtt.type, "builtin");
  assert.is(c.mqtt.builtinPort, 1984);
  assert.is(c.mqtt.endpoint, "mqtt://localhost:1984");
  assert.is(c.objectStorage.type, "filesystem");
  assert.is(c.server.publicUrl, "http://localhost:1983");
  assert.is(c.queue.concurrency.webhooks, 4);
  assert.is(c.objectStorage.buckets.run_logs, "gantry-run-logs");
});

test("the result is deeply frozen", () => {
  const c = loadConfig({});
  assert.ok(Object.isFrozen(c) && Object.isFrozen(c.server) && Object.isFrozen(c.queue.concurrency));
  assert.throws(() => ((c.server as { port: number }).port = 1));
});

test("Spacelift's names are read", () => {
  const c = loadConfig({
    DATABASE_URL: "postgres://u:p@db:5432/gantry",
    MQTT_BROKER_TYPE: "external",
    MQTT_BROKER_ENDPOINT: "mqtt://broker:1883",
    OBJECT_STORAGE_TYPE: "s3",
    OBJECT_STORAGE_BUCKET_STATES: "acme-states",
    SERVER_DOMAIN: "gantry.example.com",
  });
  assert.is(c.database.url, "postgres://u:p@db:5432/gantry");
  assert.equal([c.mqtt.type, c.mqtt.endpoint], ["external", "mqtt://broker:1883"]);
  assert.is(c.objectStorage.buckets.states, "acme-states");
  assert.is(c.server.publicUrl, "https://gantry.example.com");
});

test("an invalid value names the variable", () => {
  for (const [name, value, why] of [
    ["SERVER_PORT", "eighty", /SERVER_PORT must be an integer/],
    ["SERVER_PORT", "70000", /SERVER_PORT must be between 0 and 65535/],
    ["MQTT_BROKER_TYPE", "iotcore", /MQTT_BROKER_TYPE must be one of builtin \| external/],
    ["OBJECT_STORAGE_TYPE", "gcs", /OBJECT_STORAGE_TYPE must be one of/],
    ["DATABASE_URL", "mysql://x", /DATABASE_URL must use one of postgres:\/\//],
    ["OBJECT_STORAGE_S3_FORCE_PATH_STYLE", "maybe", /must be true or false/],
    ["GANTRY_SECRET_KEY", "short", /GANTRY_SECRET_KEY must be at least 32 characters/],
    ["OBJECT_STORAGE_BUCKET_RUN_LOGS", "Bad_Bucket", /OBJECT_STORAGE_BUCKET_RUN_LOGS must be a valid bucket name/],
  ] as const) {
    assert.match(refused({ [name]: value }).message, why, `${name}=${value}`);
  }
});

test("external MQTT requires an endpoint", () => {
  assert.match(refused({ MQTT_BROKER_TYPE: "external" }).message, /MQTT_BROKER_ENDPOINT is required/);
});

test("shared worker credentials for an external broker: both or neither, and only for an external broker", () => {
  const external = { MQTT_BROKER_TYPE: "external", MQTT_BROKER_ENDPOINT: "mqtt://broker:1883" };
  assert.is(loadConfig(external).mqtt.worker, null);
  assert.equal(loadConfig({ ...external, MQTT_BROKER_WORKER_USERNAME: "workers", MQTT_BROKER_WORKER_PASSWORD: "pw" }).mqtt.worker, { username: "workers", password: "pw" });
  assert.throws(() => loadConfig({ ...external, MQTT_BROKER_WORKER_USERNAME: "workers" }), /MQTT_BROKER_WORKER_PASSWORD must be set together/);
  assert.throws(() => loadConfig({ MQTT_BROKER_WORKER_USERNAME: "w", MQTT_BROKER_WORKER_PASSWORD: "pw" }), /applies to an external broker only/);
});

test("a database URL's password never appears in an error", () => {
  const error = refused({ DATABASE_URL: "mysql://user:hunter2hunter2@db/x" });
  assert.not.match(error.message, /hunter2/);
});

test("secrets can come from *_FILE, but not from both places", () => {
  const file = join(tmp, "db-url");
  writeFileSync(file, "postgres://app:s3cret@db:5432/gantry\n");
  assert.is(loadConfig({ DATABASE_URL_FILE: file }).database.url, "postgres://app:s3cret@db:5432/gantry");
  assert.match(refused({ DATABASE_URL_FILE: file, DATABASE_URL: "postgres://x@y/z" }).message, /set twice/);
  assert.match(refused({ DATABASE_URL_FILE: join(tmp, "missing") }).message, /DATABASE_URL_FILE cannot be read: ENOENT/);
  assert.ok(VARIABLES.filter((v) => v.secret).length >= 4);
});

test("every variable is documented in docs/configuration.md (npm run docs:config)", () => {
  assert.fixture(readFileSync(new URL("../../docs/configuration.md", import.meta.url), "utf8"), renderConfigDocs());
});

test("a process given an invalid value exits 2 naming the variable", async () => {
  const child = startEntrypoint("server/main.ts", { SERVER_PORT: "nope", GANTRY_DATA_DIR: tmp });
  const { code } = await child.exited;
  assert.is(code, 2);
  assert.match(child.output(), /configuration: SERVER_PORT must be an integer, got "nope"/);
});

test.run();
