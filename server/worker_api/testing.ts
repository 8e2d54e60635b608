// A real server (HTTP, built-in broker with its ACLs) and a real drain on a test database, with
// helpers that act as workers do: register over HTTPS, connect to the broker with the credentials
// received, heartbeat, collect what the server publishes. For the worker protocol's tests.
import * as assert from "uvu/assert";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import mqtt, { type MqttClient } from "mqtt";
import { testDatabase, type TestDatabase } from "../../shared/db/testing.ts";
import { loadConfig } from "../../shared/config/config.ts";
import { memoryLogger } from "../../shared/log.ts";
import { startServer, type RunningServer } from "../server.ts";
import { startDrain, type Drain } from "../../drain/drain.ts";
import { defaultRegistry } from "../../drain/registry.ts";
import { waitFor } from "../../shared/testing/wait.ts";
import { readonlyTopic, writeonlyTopic } from "../../shared/mqtt/topics.ts";
import { SYSTEM_ACTOR } from "../../shared/auth/roles.ts";
import { createStack } from "../../shared/stacks/operations.ts";
import { getRunById } from "../../shared/runs/queries.ts";
import { createWorkerPool } from "../../shared/workers/operations.ts";
import { decodePoolToken } from "../../shared/workers/pool_token.ts";
import type { Assign, RegisterResponse, ServerMessage } from "../../shared/workers/protocol.ts";

export type TestWorker = RegisterResponse & { client: MqttClient; messages: ServerMessage[] };

export type WorkerHarness = Readonly<{
  db: TestDatabase;
  server: RunningServer;
  endpoints(): { serverUrl: string; brokerEndpoint: string };
  post<T>(path: string, body: unknown, token?: string): Promise<{ status: number; body: T }>;
  worker(token: string, metadata?: Record<string, string>): Promise<TestWorker>;
  pool(name: string): ReturnType<typeof createWorkerPool>;
  stack(name: string, workerPool: string, extra?: Record<string, unknown>): ReturnType<typeof createStack>;
  runState(id: string): Promise<string | undefined>;
  close(): Promise<void>;
}>;

export async function startWorkerHarness(options: Readonly<{ env?: Record<string, string>; acceptTimeoutSeconds?: number; workerTimeoutSeconds?: number }> = {}): Promise<WorkerHarness> {
  const db = await testDatabase({ max: 20 });
  const dataDir = mkdtempSync(join(tmpdir(), "gantry-workers-"));
  const clients: MqttClient[] = [];
  const accept = options.acceptTimeoutSeconds ?? 1;
  const timeout = options.workerTimeoutSeconds ?? 30;
  const config = loadConfig({
    GANTRY_DATA_DIR: dataDir,
    SERVER_HOST: "127.0.0.1",
    SERVER_PORT: "0",
    SERVER_DOMAIN: "127.0.0.1:0",
    MQTT_BROKER_BUILTIN_HOST: "127.0.0.1",
    MQTT_BROKER_BUILTIN_PORT: "0",
    WORKER_ACCEPT_TIMEOUT_SECONDS: String(accept),
    WORKER_HEARTBEAT_SECONDS: "1",
    WORKER_TIMEOUT_SECONDS: String(timeout),
    QUEUE_POLL_INTERVAL_MS: "50",
    ...options.env,
  });
  const server = await startServer({ config, sql: db.sql, log: memoryLogger(), secretKey: "a-secret-key-for-the-worker-tests-0123456789" });
  const drain: Drain = await startDrain({
    sql: db.sql,
    log: memoryLogger(),
    registry: defaultRegistry({ mqtt: server.mqtt, settings: { acceptTimeoutSeconds: accept, workerTimeoutSeconds: timeout } }),
    queue: config.queue,
    shutdownTimeoutSeconds: 2,
    queues: ["async", "async_fifo", "worker_messages"],
  });
  const endpoints = () => ({ serverUrl: server.url, brokerEndpoint: server.brokerEndpoint });
  const post = async <T>(path: string, body: unknown, token?: string): Promise<{ status: number; body: T }> => {
    const res = await fetch(`${server.url}/worker${path}`, {
      method: "POST",
      headers: { "content-type": "application/json", ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: JSON.stringify(body),
    });
    return { status: res.status, body: (await res.json()) as T };
  };
  const worker = async (token: string, metadata: Record<string, string> = {}): Promise<TestWorker> => {
    const t = decodePoolToken(token);
    const res = await post<RegisterResponse>("/register", { poolId: t.poolId, secret: t.secret, metadata });
    assert.is(res.status, 200, JSON.stringify(res.body));
    const reg = res.body;
    const client = await mqtt.connectAsync(reg.broker.endpoint, { username: reg.broker.username, password: reg.broker.password, reconnectPeriod: 0, connectTimeout: 5000 });
    clients.push(client);
    const messages: ServerMessage[] = [];
    client.on("message", (_topic, payload) => messages.push(JSON.parse(payload.toString())));
    const granted = await client.subscribeAsync(readonlyTopic(reg.poolId, reg.workerId), { qos: 1 });
    assert.is(granted[0].qos, 1, "a worker may subscribe to its own readonly topic");
    await client.publishAsync(writeonlyTopic(reg.poolId, reg.workerId), JSON.stringify({ type: "heartbeat", runId: null }), { qos: 1 });
    await waitFor(async () => (await db.sql`select last_seen_at from workers where id = ${reg.workerId}`)[0].last_seen_at !== null, { what: "the first heartbeat" });
    return { ...reg, client, messages };
  };
  return {
    db,
    server,
    endpoints,
    post,
    worker,
    pool: (name) => createWorkerPool(db.sql, SYSTEM_ACTOR, { name }, endpoints()),
    stack: (name, workerPool, extra = {}) => createStack(db.sql, SYSTEM_ACTOR, { name, repository: "file:///nowhere", branch: "main", workerPool, ...extra }),
    runState: async (id) => (await getRunById(db.sql, id))?.state,
    close: async () => {
      await Promise.all(clients.map((c) => c.endAsync(true)));
      await drain.stop();
      await server.stop();
      await db.drop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** The assignments among a worker's messages. */
export const assignsOf = (w: TestWorker): Assign[] => w.messages.filter((m): m is Assign => m.type === "assign");
