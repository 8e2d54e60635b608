// The worker API, mounted at /worker: registration, accepting runs, state reports, leaving. The
// protocol (who sends what, when) is documented in shared/workers/protocol.ts. Handlers parse,
// call one shared operation and answer JSON; errors go through the app's onError.
import { Hono, type Context as HonoContext } from "hono";
import type { Sql } from "../../shared/db/connect.ts";
import { invalid } from "../../shared/errors.ts";
import { acceptRun, leave, registerWorker, reportRunState, workerFromToken, type WorkerKeys } from "../../shared/workers/operations.ts";

export type WorkerApiDeps = Readonly<{
  sql: Sql;
  keys: WorkerKeys;
  /** The broker endpoint workers connect to (known once the built-in broker listens). */
  brokerEndpoint: () => string;
  heartbeatSeconds: number;
  /** The lease of an accepted run, extended by each heartbeat. */
  leaseSeconds: number;
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
  app.post("/register", async (c) =>
    c.json(await registerWorker(deps.sql, deps.keys, await body(c), { brokerEndpoint: deps.brokerEndpoint(), heartbeatSeconds: deps.heartbeatSeconds })),
  );
  app.post("/runs/:id/accept", async (c) => {
    const worker = await workerFromToken(deps.sql, deps.keys, bearer(c));
    return c.json(await acceptRun(deps.sql, deps.keys, worker, runId(c), deps.leaseSeconds));
  });
  app.post("/runs/:id/state", async (c) => {
    const id = runId(c);
    const state = await reportRunState(deps.sql, deps.keys, id, bearer(c), await body(c));
    return c.json({ state });
  });
  app.post("/leave", async (c) => {
    await leave(deps.sql, await workerFromToken(deps.sql, deps.keys, bearer(c)));
    return c.json({ left: true });
  });
  return app;
}
