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

test("tool binaries: defaults, or named by the configuration (then used without fallback); runs see only passed variables", () => {
  const defaults = loadWorkerConfig({ GANTRY_WORKER_POOL_TOKEN: token, PATH: "/bin", HOME: "/root", DATABASE_URL: "postgres://secret", AWS_SECRET_ACCESS_KEY: "x" });
  assert.equal(defaults.tools, { tofu: "tofu", terraform: "terraform", ansiblePlaybook: "ansible-playbook", explicit: { tofu: false, terraform: false, ansiblePlaybook: false } });
  assert.equal(defaults.runEnvironment, { PATH: "/bin", HOME: "/root" });
  const named = loadWorkerConfig({ GANTRY_WORKER_POOL_TOKEN: token, GANTRY_WORKER_TOFU_BINARY: "/opt/tofu/bin/tofu", GANTRY_WORKER_PASS_ENV: "AWS_REGION, GOOGLE_CLOUD_PROJECT", AWS_REGION: "eu-west-1" });
  assert.equal([named.tools.tofu, named.tools.explicit.tofu, named.tools.explicit.terraform], ["/opt/tofu/bin/tofu", true, false]);
  assert.equal(named.runEnvironment, { AWS_REGION: "eu-west-1" });
  assert.throws(() => loadWorkerConfig({ GANTRY_WORKER_POOL_TOKEN: token, GANTRY_WORKER_PASS_ENV: "OK,not ok" }), /GANTRY_WORKER_PASS_ENV holds "not ok"/);
});

test.run();
