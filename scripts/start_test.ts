// `npm start` end to end: the all-in-one process comes up healthy, says where things are, keeps a
// job moving through queue, scheduler and drain, and shuts down cleanly. On embedded defaults, or
// against DATABASE_URL and an external broker when the suite runs with them.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import postgres from "postgres";
import { startEntrypoint } from "../shared/testing/process.ts";
import { waitFor } from "../shared/testing/wait.ts";
import { freePort } from "../shared/db/embedded.ts";
import { externalBroker } from "../shared/testing/mqtt.ts";
import { testDatabase, type TestDatabase } from "../shared/db/testing.ts";

const dataDir = mkdtempSync(join(tmpdir(), "gantry-start-"));
chmodSync(dataDir, 0o755);
let db: TestDatabase | null = null;
test.after(async () => {
  await db?.drop();
  rmSync(dataDir, { recursive: true, force: true });
});

test("npm start: healthy, prints where things are, runs the lease sweeper, exits 0 on SIGTERM", async () => {
  const embedded = !process.env.DATABASE_URL;
  if (!embedded) db = await testDatabase();
  const external = externalBroker();
  const port = await freePort();
  const child = startEntrypoint("main.ts", {
    GANTRY_DATA_DIR: dataDir,
    SERVER_PORT: String(port),
    SERVER_HOST: "127.0.0.1",
    DATABASE_URL: db?.url ?? "",
    ...(external ? { MQTT_BROKER_TYPE: "external", MQTT_BROKER_ENDPOINT: external.url } : { MQTT_BROKER_BUILTIN_PORT: String(await freePort()), MQTT_BROKER_BUILTIN_HOST: "127.0.0.1" }),
  });
  try {
    await child.waitForLine(/Gantry is up in \d+ ms/, 90_000);
    const out = child.output();
    assert.match(out, new RegExp(`URL: +http://localhost:${port}`));
    assert.match(out, embedded ? new RegExp(`Database: +embedded PostgreSQL in ${dataDir}/postgres`) : /Database: +DATABASE_URL/);
    assert.match(out, new RegExp(`Object storage: +${dataDir}/objects`));
    await waitFor(async () => (await fetch(`http://127.0.0.1:${port}/readyz`)).status === 200, { timeoutMs: 30_000, what: "/readyz" });
    const url = db?.url ?? `postgres://gantry:${encodeURIComponent(readFileSync(join(dataDir, "postgres.password"), "utf8"))}@127.0.0.1:${readFileSync(join(dataDir, "postgres", "postmaster.pid"), "utf8").split("\n")[3]}/postgres`;
    const sql = postgres(url, { max: 1, onnotice: () => {} });
    try {
      await waitFor(async () => (await sql`select processed::int from queue_counters where queue = 'cronjobs'`)[0].processed > 0, {
        timeoutMs: 20_000,
        what: "the scheduler's lease sweeper to be run by the drain",
      });
    } finally {
      await sql.end();
    }
    child.kill("SIGTERM");
    assert.is((await child.exited).code, 0);
    if (embedded) assert.not.ok(existsSync(join(dataDir, "postgres", "postmaster.pid")), "the embedded PostgreSQL stopped with it");
  } finally {
    child.kill();
  }
});

test.run();
