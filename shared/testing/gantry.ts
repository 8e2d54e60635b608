// For end-to-end tests with real processes: Gantry (main.ts) on a test database, an admin session,
// GraphQL calls, worker processes (worker/main.ts) with a pool token, restarts, and cleanup of
// everything started. Each test file makes its own harness in its own temporary directory.
import * as assert from "uvu/assert";
import { chmodSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startEntrypoint, type Child } from "./process.ts";
import { waitFor } from "./wait.ts";
import { freePort } from "../db/embedded.ts";
import { testDatabase, type TestDatabase } from "../db/testing.ts";
import { externalBroker } from "./mqtt.ts";

export type Gantry = Readonly<{
  dir: string;
  url: string;
  db: TestDatabase;
  process(): Child;
  /** Stops Gantry (SIGTERM, or SIGKILL for a crash) and starts it again on the same port, database and data directory. */
  restart(signal?: "SIGTERM" | "SIGKILL"): Promise<void>;
  graphql<T = Record<string, any>>(query: string, variables?: Record<string, unknown>): Promise<T>; // eslint-disable-line @typescript-eslint/no-explicit-any
  /** A worker pool's id and token. */
  pool(name: string): Promise<{ id: string; config: string }>;
  worker(token: string, env?: Record<string, string>): Promise<Child>;
  state(runId: string): Promise<string | undefined>;
  /** The note of the run's latest transition. */
  note(runId: string): Promise<string | null>;
  waitForState(runId: string, states: readonly string[], timeoutMs?: number): Promise<string>;
  close(): Promise<void>;
}>;

export async function startGantry(env: Record<string, string> = {}): Promise<Gantry> {
  const dir = mkdtempSync(join(tmpdir(), "gantry-e2e-"));
  chmodSync(dir, 0o755);
  const db = await testDatabase();
  const port = await freePort();
  const children: Child[] = [];
  const gantryEnv = {
    DATABASE_URL: db.url,
    GANTRY_DATA_DIR: join(dir, "data"),
    SERVER_HOST: "127.0.0.1",
    SERVER_PORT: String(port),
    SERVER_DOMAIN: `127.0.0.1:${port}`,
    MQTT_BROKER_BUILTIN_HOST: "127.0.0.1",
    MQTT_BROKER_BUILTIN_PORT: String(await freePort()),
    WORKER_HEARTBEAT_SECONDS: "1",
    WORKER_TIMEOUT_SECONDS: "10",
    QUEUE_POLL_INTERVAL_MS: "100",
    GANTRY_LOCAL_WORKER: "false",
    // The suite's broker when it runs against one (CI's Mosquitto pass); workers then connect there.
    ...brokerEnvironment(),
    ...env,
  };
  let gantry: Child;
  const start = async () => {
    gantry = startEntrypoint("main.ts", gantryEnv);
    children.push(gantry);
    await gantry.waitForLine(/Gantry is up in \d+ ms/, 90_000);
  };
  await start();
  const url = `http://127.0.0.1:${port}`;
  const call = async (query: string, variables: Record<string, unknown>, token?: string) => {
    const res = await fetch(`${url}/graphql`, {
      method: "POST",
      headers: { "content-type": "application/json", ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: JSON.stringify({ query, variables }),
    });
    const body = await res.json();
    assert.equal(body.errors ?? [], [], query);
    return body.data;
  };
  const admin = JSON.parse(readFileSync(join(dir, "data", "admin-api-key.json"), "utf8"));
  const jwt = (await call("mutation ($id: ID!, $secret: String!) { apiKeyUser(id: $id, secret: $secret) { jwt } }", { id: admin.id, secret: admin.secret })).apiKeyUser.jwt;
  const state = async (id: string) => (await db.sql<{ state: string }[]>`select state from runs where id = ${id}`)[0]?.state;
  const note = async (id: string) => (await db.sql<{ note: string | null }[]>`select note from run_transitions where run_id = ${id} order by seq desc limit 1`)[0]?.note ?? null;
  return {
    dir,
    url,
    db,
    process: () => gantry,
    restart: async (signal = "SIGTERM") => {
      gantry.kill(signal);
      await gantry.exited;
      await start();
    },
    graphql: (query, variables = {}) => call(query, variables, jwt),
    pool: async (name) => (await call(`mutation ($name: String!) { workerPoolCreate(name: $name) { id config } }`, { name }, jwt)).workerPoolCreate,
    worker: async (token, workerEnv = {}) => {
      const worker = startEntrypoint("worker/main.ts", { GANTRY_WORKER_POOL_TOKEN: token, GANTRY_WORKER_WORK_DIR: join(dir, "runs"), LOG_FORMAT: "json", ...workerEnv });
      children.push(worker);
      await worker.waitForLine(/worker ready/, 30_000);
      return worker;
    },
    state,
    note,
    waitForState: async (runId, states, timeoutMs = 90_000) => {
      await waitFor(async () => states.includes((await state(runId)) ?? ""), { timeoutMs, intervalMs: 100, what: `run ${runId} to reach ${states.join(" or ")}` });
      return (await state(runId)) as string;
    },
    close: async () => {
      for (const c of children) c.kill("SIGKILL");
      await Promise.all(children.map((c) => c.exited));
      await db.drop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** MQTT_BROKER_* for Gantry's processes when the suite runs against an external broker. */
function brokerEnvironment(): Record<string, string> {
  const broker = externalBroker();
  if (!broker) return {};
  return {
    MQTT_BROKER_TYPE: "external",
    MQTT_BROKER_ENDPOINT: broker.url,
    ...(broker.username ? { MQTT_BROKER_USERNAME: broker.username } : {}),
    ...(broker.password ? { MQTT_BROKER_PASSWORD: broker.password } : {}),
  };
}
