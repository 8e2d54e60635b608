import { test } from "uvu";
import * as assert from "uvu/assert";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { encodePoolToken } from "../shared/workers/pool_token.ts";
import { loadWorkerConfig } from "./config.ts";

const token = encodePoolToken({ serverUrl: "http://127.0.0.1:1983", broker: { endpoint: "mqtt://127.0.0.1:1984" }, poolId: "01POOL", secret: "s".repeat(43) });

test("the token from the environment or a file; metadata from GANTRY_METADATA_*", () => {
  const config = loadWorkerConfig({ GANTRY_WORKER_POOL_TOKEN: token, GANTRY_METADATA_instance_id: "i-1", GANTRY_WORKER_WORK_DIR: "/tmp/w", DATABASE_URL: "postgres://ignored" });
  assert.is(config.token.poolId, "01POOL");
  assert.equal(config.metadata, { instance_id: "i-1" });
  assert.is(config.workDir, "/tmp/w");
  assert.is(config.brokerEndpoint, null);
  const dir = mkdtempSync(join(tmpdir(), "gantry-worker-config-"));
  try {
    writeFileSync(join(dir, "token"), `${token}\n`);
    assert.is(loadWorkerConfig({ GANTRY_WORKER_POOL_TOKEN_FILE: join(dir, "token") }).token.secret, "s".repeat(43));
    assert.throws(() => loadWorkerConfig({ GANTRY_WORKER_POOL_TOKEN_FILE: join(dir, "missing") }), /GANTRY_WORKER_POOL_TOKEN_FILE cannot be read: ENOENT/);
    assert.throws(() => loadWorkerConfig({ GANTRY_WORKER_POOL_TOKEN: token, GANTRY_WORKER_POOL_TOKEN_FILE: join(dir, "token") }), /set twice/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("errors name the variable and never echo the token", () => {
  assert.throws(() => loadWorkerConfig({}), /GANTRY_WORKER_POOL_TOKEN is required/);
  assert.throws(() => loadWorkerConfig({ GANTRY_WORKER_POOL_TOKEN: "secret-garbage" }), (e: Error) => /GANTRY_WORKER_POOL_TOKEN is not valid/.test(e.message) && !e.message.includes("secret-garbage"));
  assert.throws(() => loadWorkerConfig({ GANTRY_WORKER_POOL_TOKEN: token, LOG_LEVEL: "loud" }), /LOG_LEVEL/);
});

test.run();
