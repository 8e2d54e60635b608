// The worker API, mounted at /worker: registration, accepting runs, reports on them (states, plan
// summaries, outputs), leaving. The
// protocol (who sends what, when) is documented in shared/workers/protocol.ts. Handlers parse,
// call one shared operation and answer JSON; errors go through the app's onError.
import { Hono, type Context as HonoContext } from "hono";
import type { Sql } from "../../shared/db/connect.ts";
import { invalid } from "../../shared/errors.ts";
import { leave, registerWorker, workerFromToken, type WorkerKeys } from "../../shared/workers/operations.ts";
import { acceptRun, reportOutputs, reportPlan, reportRunState } from "../../shared/workers/run_channel.ts";
import type { ObjectStore } from "../../shared/storage/object_store.ts";
import { longPollRoutes, type OutboxWaiters } from "./long_poll.ts";
import { logRoutes } from "./logs_routes.ts";
import type { StateBackendKeys } from "../../shared/state/credentials.ts";

export type WorkerApiDeps = Readonly<{
  sql: Sql;
  keys: WorkerKeys;
  /** The broker endpoint workers connect to (known once the built-in broker listens). */
  brokerEndpoint: () => string;
  heartbeatSeconds: number;
  /** Shared worker credentials for an external broker (MQTT_BROKER_WORKER_*); null: each worker's own. */
  brokerCredentials: Readonly<{ username: string; password: string }> | null;
  /** The lease of an accepted run, extended by each heartbeat. */
  leaseSeconds: number;
  /** Where run artifacts go; workers get pre-signed URLs to it. */
  store: ObjectStore;
  timeouts: Readonly<{ runSeconds: number; noOutputSeconds: number }>;
  /** Long polls of workers on the HTTP transport. */
  waiters: OutboxWaiters;
  /** Managed state: how runs' state backend credentials are made (RunSpec.stateBackend). */
  stateBackend?: StateBackendKeys;
}>;

const bearer = (c: HonoContext): string | null => /^Bearer\s+(\S+)$/i.exec(c.req.header("authorization") ?? "")?.[1] ?? null;

async function body(c: HonoContext): Promise<Record<string, unknown>> {
  try {
    const value = await c.req.json();
    if (value && typeof value === "object" && !Array.isArray(value)) return value;
  } catch {
    // answered below
  }
  throw invalid("the request body must be a JSON object");
}

const RUN_ID = /^[0-9A-Z]{26}$/;
const runId = (c: HonoContext): string => {
  const id = c.req.param("id") ?? "";
  if (!RUN_ID.test(id)) throw invalid("not a run id");
  return id;
};

export function workerApiRoutes(deps: WorkerApiDeps): Hono {
  const app = new Hono();
  const channel = { sql: deps.sql, keys: deps.keys, store: deps.store, leaseSeconds: deps.leaseSeconds, timeouts: deps.timeouts, stateBackend: deps.stateBackend };
  app.post("/register", async (c) =>
    c.json(await registerWorker(deps.sql, deps.keys, await body(c), { brokerEndpoint: deps.brokerEndpoint(), heartbeatSeconds: deps.heartbeatSeconds, brokerCredentials: deps.brokerCredentials })),
  );
  app.post("/runs/:id/accept", async (c) => {
    const worker = await workerFromToken(deps.sql, deps.keys, bearer(c));
    return c.json(await acceptRun(channel, worker, runId(c)));
  });
  app.post("/runs/:id/state", async (c) => {
    const id = runId(c);
    return c.json(await reportRunState(channel, id, bearer(c), await body(c)));
  });
  app.post("/runs/:id/plan", async (c) => {
    const id = runId(c);
    return c.json({ recorded: true, ...(await reportPlan(channel, id, bearer(c), await body(c))) });
  });
  app.post("/runs/:id/outputs", async (c) => {
    const id = runId(c);
    await reportOutputs(channel, id, bearer(c), await body(c));
    return c.json({ recorded: true });
  });
  app.route("/runs/:id/logs", logRoutes({ sql: deps.sql, runTokenKey: deps.keys.runToken, store: deps.store }));
  app.route("/", longPollRoutes({ sql: deps.sql, keys: deps.keys, waiters: deps.waiters }));
  app.post("/leave", async (c) => {
    await leave(deps.sql, await workerFromToken(deps.sql, deps.keys, bearer(c)));
    return c.json({ left: true });
  });
  return app;
}
