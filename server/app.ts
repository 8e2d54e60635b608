// The HTTP application: one Hono app, one error translation point, per-purpose sub-apps mounted
// below. Handlers are tested with app.request(), no port needed.
import { Hono } from "hono";
import { bodyLimit } from "hono/body-limit";
import { GantryError, HTTP_STATUS } from "../shared/errors.ts";
import type { Sql } from "../shared/db/connect.ts";
import type { Logger } from "../shared/log.ts";
import type { MqttLink } from "../shared/mqtt/link.ts";
import { Registry } from "../shared/metrics.ts";
import { httpMetrics, observabilityRoutes, type Probe } from "./observability.ts";

export type AppDeps = Readonly<{
  sql: Sql;
  log: Logger;
  mqtt: () => MqttLink | null;
  maxBodyBytes: number;
  probes?: readonly Probe[];
  /** Extra sub-apps by mount path, e.g. signed object URLs at /blobs. */
  mounts?: ReadonlyArray<readonly [string, Hono]>;
}>;

export function createApp(deps: AppDeps): Hono {
  const registry = new Registry();
  const app = new Hono();
  app.use(httpMetrics(registry));
  app.route("/", observabilityRoutes({ sql: deps.sql, mqtt: deps.mqtt, registry, probes: deps.probes }));
  const limit = bodyLimit({
    maxSize: deps.maxBodyBytes,
    onError: (c) => c.json({ error: { code: "Invalid", message: `request body larger than ${deps.maxBodyBytes} bytes` } }, 413),
  });
  // Object uploads (/blobs) and Terraform states (/state, STATE_MAX_BYTES) carry their own limits.
  app.use("*", (c, next) => (c.req.path.startsWith("/blobs/") || c.req.path.startsWith("/state/") ? next() : limit(c, next)));
  for (const [path, sub] of deps.mounts ?? []) app.route(path, sub);
  app.notFound((c) => c.json({ error: { code: "NotFound", message: `no route for ${c.req.method} ${new URL(c.req.url).pathname}` } }, 404));
  app.onError((error, c) => {
    if (error instanceof GantryError) {
      return c.json({ error: { code: error.code, message: error.message } }, HTTP_STATUS[error.code] as 400);
    }
    deps.log.error("unhandled error", { route: new URL(c.req.url).pathname, reason: error.message });
    return c.json({ error: { code: "Internal", message: "internal error" } }, 500);
  });
  return app;
}
