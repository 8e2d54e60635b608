// A real server on a test database for the state backend's tests, with helpers that act as a
// worker does: register with a pool token, take a run (the run spec carries the state backend's
// credentials), report its states. No drain: tests put runs in READY and assign them themselves.
import * as assert from "uvu/assert";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { testDatabase, type TestDatabase } from "../../shared/db/testing.ts";
import { loadConfig } from "../../shared/config/config.ts";
import { memoryLogger } from "../../shared/log.ts";
import { SYSTEM_ACTOR } from "../../shared/auth/roles.ts";
import { insertApiKey, type NewApiKey } from "../../shared/auth/queries.ts";
import { createStack } from "../../shared/stacks/operations.ts";
import { advanceRun, createTask, triggerRun } from "../../shared/runs/operations.ts";
import type { RunType } from "../../shared/runs/run.ts";
import { createWorkerPool } from "../../shared/workers/operations.ts";
import { decodePoolToken } from "../../shared/workers/pool_token.ts";
import type { AcceptResponse, RegisterResponse, RunSpec, StateBackend } from "../../shared/workers/protocol.ts";
import { startServer, type RunningServer } from "../server.ts";

export type HeldRun = Readonly<{ id: string; spec: RunSpec; backend: StateBackend; runToken: string; report(state: string): Promise<number> }>;

export type StateHarness = Readonly<{
  db: TestDatabase;
  server: RunningServer;
  /** A stack that manages its state, on a pool with `workers` registered workers. */
  stack(name: string, settings?: Record<string, unknown>, workers?: number): Promise<void>;
  /** A new run of the stack, taken by one of its idle workers: its credentials are live. */
  take(stackId: string, type?: RunType): Promise<HeldRun>;
  /** A request to /state/:stackId with basic auth. */
  state(stackId: string, method: string, auth: { username: string; password: string } | null, body?: Uint8Array | string, query?: string, headers?: Record<string, string>): Promise<Response>;
  /** An API key and a GraphQL session for it. */
  session(key: NewApiKey): Promise<{ id: string; secret: string; gql(query: string, variables?: Record<string, unknown>): Promise<{ data?: any; errors?: Array<{ message: string }> }> }>; // eslint-disable-line @typescript-eslint/no-explicit-any
  close(): Promise<void>;
}>;

export const basic = (a: { username: string; password: string }) => `Basic ${Buffer.from(`${a.username}:${a.password}`).toString("base64")}`;

export async function startStateHarness(env: Record<string, string> = {}): Promise<StateHarness> {
  const db = await testDatabase({ max: 20 });
  const dataDir = mkdtempSync(join(tmpdir(), "gantry-state-"));
  const config = loadConfig({
    GANTRY_DATA_DIR: dataDir,
    SERVER_HOST: "127.0.0.1",
    SERVER_PORT: "0",
    SERVER_DOMAIN: "127.0.0.1:0",
    MQTT_BROKER_BUILTIN_HOST: "127.0.0.1",
    MQTT_BROKER_BUILTIN_PORT: "0",
    ...env,
  });
  const server = await startServer({ config, sql: db.sql, log: memoryLogger(), secretKey: "a-secret-key-for-the-state-tests-0123456789" });
  const workers = new Map<string, RegisterResponse[]>();
  const post = async <T>(path: string, body: unknown, token?: string): Promise<{ status: number; body: T }> => {
    const res = await fetch(`${server.url}/worker${path}`, {
      method: "POST",
      headers: { "content-type": "application/json", ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: JSON.stringify(body),
    });
    return { status: res.status, body: (await res.json()) as T };
  };
  return {
    db,
    server,
    async stack(name, settings = {}, count = 2) {
      const { pool, token } = await createWorkerPool(db.sql, SYSTEM_ACTOR, { name: `${name}-pool` }, { serverUrl: server.url, brokerEndpoint: server.brokerEndpoint });
      const { manageState, ...rest } = settings;
      await createStack(db.sql, SYSTEM_ACTOR, { name, repository: "file:///nowhere", branch: "main", workerPool: pool.id, vendorConfig: { terraform: {} }, ...rest }, { manageState: manageState !== false });
      const t = decodePoolToken(token);
      const registered: RegisterResponse[] = [];
      for (let i = 0; i < count; i++) {
        const res = await post<RegisterResponse>("/register", { poolId: t.poolId, secret: t.secret, metadata: {} });
        assert.is(res.status, 200, JSON.stringify(res.body));
        registered.push(res.body);
      }
      workers.set(name, registered);
    },
    async take(stackId, type = "TRACKED") {
      const run = type === "TASK" ? await createTask(db.sql, SYSTEM_ACTOR, stackId, "terraform state list", false) : await triggerRun(db.sql, SYSTEM_ACTOR, stackId, { type });
      await advanceRun(db.sql, stackId, run.id, "READY");
      const [idle] = await db.sql<{ id: string }[]>`select id from workers where id = any(${(workers.get(stackId) ?? []).map((w) => w.workerId)}::text[]) and run_id is null order by id limit 1`;
      assert.ok(idle, `an idle worker for ${stackId}`);
      await db.sql`update workers set run_id = ${run.id}, run_lease_until = now() + interval '5 minutes', run_accepted = false where id = ${idle.id}`;
      const worker = workers.get(stackId)!.find((w) => w.workerId === idle.id)!;
      const res = await post<AcceptResponse>(`/runs/${run.id}/accept`, {}, worker.workerToken);
      assert.is(res.status, 200, JSON.stringify(res.body));
      const { run: spec, runToken } = res.body;

      return {
        id: run.id,
        spec,
        backend: spec.stateBackend!,
        runToken,
        report: async (state) => (await post(`/runs/${run.id}/state`, { state }, runToken)).status,
      };
    },
    state: (stackId, method, auth, body, query = "", headers = {}) =>
      fetch(`${server.url}/state/${stackId}${query}`, { method, headers: { ...(auth ? { authorization: basic(auth) } : {}), ...headers }, body: body as BodyInit | undefined }),
    async session(key) {
      const { key: created, secret } = await insertApiKey(db.sql, "test", key);
      const call = async (query: string, variables: Record<string, unknown> = {}, token?: string) => {
        const res = await fetch(`${server.url}/graphql`, {
          method: "POST",
          headers: { "content-type": "application/json", accept: "application/json", ...(token ? { authorization: `Bearer ${token}` } : {}) },
          body: JSON.stringify({ query, variables }),
        });
        return (await res.json()) as { data?: any; errors?: Array<{ message: string }> }; // eslint-disable-line @typescript-eslint/no-explicit-any
      };
      const jwt = (await call("mutation ($id: ID!, $s: String!) { apiKeyUser(id: $id, secret: $s) { jwt } }", { id: created.id, s: secret })).data.apiKeyUser.jwt;
      return { id: created.id, secret, gql: (query: string, variables?: Record<string, unknown>) => call(query, variables, jwt) };
    },
    async close() {
      await server.stop();
      await db.drop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** A minimal valid state (format 4). */
export function stateDoc(serial: number, lineage = "9c1a3c52-1111-4222-8333-444455556666", extra: Record<string, unknown> = {}): string {
  return JSON.stringify({
    version: 4,
    terraform_version: "1.11.4",
    serial,
    lineage,
    outputs: { n: { value: serial, type: "number" } },
    resources: [{ mode: "managed", type: "terraform_data", name: "a", provider: 'provider["terraform.io/builtin/terraform"]', instances: [{ schema_version: 0, attributes: { id: "i", input: `v${serial}` }, sensitive_attributes: [] }] }],
    check_results: null,
    ...extra,
  });
}
