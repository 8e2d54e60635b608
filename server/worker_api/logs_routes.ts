// /worker/runs/:id/logs/*, mounted by routes.ts: pre-signed PUT URLs for a run's log chunks,
// asked for with the run token (shared/logs/log_urls.ts; docs/logs.md).
import { Hono, type Context as HonoContext } from "hono";
import type { Sql } from "../../shared/db/connect.ts";
import { invalid } from "../../shared/errors.ts";
import type { ObjectStore } from "../../shared/storage/object_store.ts";
import { issueLogUrls } from "../../shared/logs/log_urls.ts";

export type LogRoutesDeps = Readonly<{ sql: Sql; runTokenKey: Buffer; store: ObjectStore }>;

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

/** Mount at /runs/:id/logs. */
export function logRoutes(deps: LogRoutesDeps): Hono {
  const app = new Hono();
  app.post("/urls", async (c) => {
    const id = c.req.param("id") ?? "";
    if (!/^[0-9A-Z]{26}$/.test(id)) throw invalid("not a run id");
    return c.json(await issueLogUrls(deps.sql, deps.store, deps.runTokenKey, id, bearer(c), await body(c)));
  });
  return app;
}
