// /healthz (the process is alive), /readyz (it can reach the database and the broker) and
// /metrics (Prometheus: HTTP, queues, broker).
import { Hono, type MiddlewareHandler } from "hono";
import { routePath } from "hono/route";
import type { Sql } from "../shared/db/connect.ts";
import { Counter, Gauge, Histogram, Registry } from "../shared/metrics.ts";
import { queueMetrics, type QueueMetrics } from "../shared/queue/metrics.ts";
import type { MqttLink } from "../shared/mqtt/link.ts";
import { withTimeout } from "../shared/timeout.ts";

export type Probe = Readonly<{ name: string; check: () => Promise<void> }>;

export function httpMetrics(registry: Registry): MiddlewareHandler {
  const requests = registry.add(new Counter("gantry_http_requests_total", "HTTP requests by method, route and status."));
  const duration = registry.add(new Histogram("gantry_http_request_duration_seconds", "HTTP request duration by method and route."));
  return async (c, next) => {
    const started = performance.now();
    await next();
    // After next(), the last matched path may be a middleware's "/*"; a 404 there matched no route.
    const matched = routePath(c);
    const route = !matched || (c.res.status === 404 && matched.endsWith("*")) ? "unmatched" : matched;
    const labels = { method: c.req.method, route };
    requests.inc({ ...labels, status: String(c.res.status) });
    duration.observe(labels, (performance.now() - started) / 1000);
  };
}

export function observabilityRoutes(options: { sql: Sql; mqtt: () => MqttLink | null; registry: Registry; probes?: readonly Probe[] }): Hono {
  const { sql, registry } = options;
  let latest: QueueMetrics[] = [];
  registry.add(new Gauge("gantry_queue_depth", "Jobs waiting in each queue.", () => latest.map((m) => ({ labels: { queue: m.queue }, value: m.depth }))));
  registry.add(new Gauge("gantry_queue_due", "Jobs waiting and due now.", () => latest.map((m) => ({ labels: { queue: m.queue }, value: m.due }))));
  registry.add(new Gauge("gantry_queue_leased", "Jobs currently leased by a consumer.", () => latest.map((m) => ({ labels: { queue: m.queue }, value: m.leased }))));
  registry.add(new Gauge("gantry_queue_oldest_job_age_seconds", "Age of the oldest due job.", () => latest.map((m) => ({ labels: { queue: m.queue }, value: m.oldestAgeSeconds }))));
  registry.add(new Gauge("gantry_queue_processed_total", "Jobs processed.", () => latest.map((m) => ({ labels: { queue: m.queue }, value: m.processed })), "counter"));
  registry.add(new Gauge("gantry_queue_failed_total", "Failed job attempts.", () => latest.map((m) => ({ labels: { queue: m.queue }, value: m.failed })), "counter"));
  registry.add(new Gauge("gantry_queue_dead_letters_total", "Jobs moved to the dead-letter table.", () => latest.map((m) => ({ labels: { queue: m.queue }, value: m.dead })), "counter"));
  const mqttStat = (pick: (s: ReturnType<MqttLink["stats"]>) => number | null) => () => {
    const link = options.mqtt();
    const value = link ? pick(link.stats()) : null;
    return value === null ? [] : [{ labels: { broker: link!.kind }, value }];
  };
  registry.add(new Gauge("gantry_mqtt_up", "1 when the broker is reachable.", () => [{ value: options.mqtt()?.isUp() ? 1 : 0 }]));
  registry.add(new Gauge("gantry_mqtt_clients_connected", "Clients connected to the built-in broker.", mqttStat((s) => s.clients)));
  registry.add(new Gauge("gantry_mqtt_messages_published_total", "Messages this process published.", mqttStat((s) => s.published), "counter"));
  registry.add(new Gauge("gantry_mqtt_messages_received_total", "Messages received from clients.", mqttStat((s) => s.received), "counter"));

  const probes: Probe[] = [
    { name: "database", check: async () => void (await sql`select 1`) },
    {
      name: "broker",
      check: async () => {
        if (!options.mqtt()?.isUp()) throw new Error("not connected");
      },
    },
    ...(options.probes ?? []),
  ];

  const app = new Hono();
  app.get("/healthz", (c) => c.json({ status: "ok" }));
  app.get("/readyz", async (c) => {
    const results = await Promise.all(
      probes.map(async (p) => {
        try {
          await withTimeout(p.check(), 2000, p.name);
          return [p.name, "ok"] as const;
        } catch (error) {
          return [p.name, `unavailable: ${(error as Error).message.split("\n")[0].slice(0, 200)}`] as const;
        }
      }),
    );
    const ready = results.every(([, s]) => s === "ok");
    return c.json({ status: ready ? "ready" : "not ready", checks: Object.fromEntries(results) }, ready ? 200 : 503);
  });
  app.get("/metrics", async (c) => {
    try {
      latest = await withTimeout(queueMetrics(sql), 2000, "queue metrics");
    } catch {
      // Keep the last reading; gantry_up-style probes tell the database is down.
    }
    return c.text(registry.text(), 200, { "content-type": "text/plain; version=0.0.4; charset=utf-8" });
  });
  return app;
}
