// The server process's parts: the MQTT side (built-in broker or a client of an external one),
// object storage, and the HTTP app on :1983.
import type { Config } from "../shared/config/config.ts";
import type { Sql } from "../shared/db/connect.ts";
import type { Logger } from "../shared/log.ts";
import { connectExternal, type MqttLink } from "../shared/mqtt/link.ts";
import { deriveKey, serverMqttCredentials } from "../shared/secret_key.ts";
import { listenHttp } from "../shared/net/http.ts";
import { createObjectStore } from "../shared/storage/create.ts";
import { FilesystemObjectStore } from "../shared/storage/filesystem.ts";
import type { ObjectStore, Bucket } from "../shared/storage/object_store.ts";
import type { Hono } from "hono";
import { createApp } from "./app.ts";
import { startBuiltinBroker } from "./broker.ts";
import { blobRoutes } from "./blobs.ts";
import { graphqlRoutes } from "./graphql/routes.ts";
import type { Probe } from "./observability.ts";
import { workerApiRoutes } from "./worker_api/routes.ts";
import { webhookRoutes } from "./webhooks/routes.ts";
import { vcsKey } from "../shared/vcs/integration.ts";
import { stateBackendRoutes } from "./state_backend/routes.ts";
import { OutboxWaiters } from "./worker_api/long_poll.ts";
import { forwardWorkerMessages } from "./worker_messages.ts";
import { authenticateWorker } from "../shared/workers/operations.ts";

export type RunningServer = Readonly<{ url: string; port: number; mqttPort: number | null; brokerEndpoint: string; store: ObjectStore; mqtt: () => MqttLink | null; stop(): Promise<void> }>;

export async function startServer(options: { config: Config; sql: Sql; log: Logger; secretKey: string; probes?: readonly Probe[] }): Promise<RunningServer> {
  const { config, sql, log, secretKey } = options;
  let link: MqttLink | null = null;
  let stopping = false;
  let external: Promise<void> | null = null;
  if (config.mqtt.type === "builtin") {
    link = await startBuiltinBroker({
      host: config.mqtt.builtinHost,
      port: config.mqtt.builtinPort,
      server: serverMqttCredentials(secretKey),
      resolveWorker: (username, password) => authenticateWorker(sql, username, password),
      log,
    });
    await forwardWorkerMessages(link, sql, log);
  } else {
    // Not reachable yet is not fatal: /readyz says so, and we keep trying.
    external = (async () => {
      for (let wait = 1000; !stopping; wait = Math.min(wait * 2, 30_000)) {
        try {
          const candidate = await connectExternal({
            url: config.mqtt.endpoint,
            username: config.mqtt.username,
            password: config.mqtt.password,
            clientId: `gantry-server-${process.pid}-${Date.now().toString(36)}`,
            log,
          });
          await forwardWorkerMessages(candidate, sql, log).catch(async (error) => {
            await candidate.close();
            throw error;
          });
          link = candidate;
          log.info("connected to the external MQTT broker");
          return;
        } catch (error) {
          log.warn("external MQTT broker unreachable, retrying", { reason: (error as Error).message, retry_in_ms: wait });
          await new Promise((r) => setTimeout(r, wait));
        }
      }
    })();
  }

  // Listen first: with SERVER_PORT=0 the public URL (which signed object URLs carry) is known only then.
  let app: Hono | null = null;
  let http;
  try {
    http = await listenHttp((request) => app!.fetch(request), config.server.host, config.server.port, "SERVER_PORT");
  } catch (error) {
    stopping = true;
    await (link as MqttLink | null)?.close();
    throw error;
  }
  const url = config.server.port === 0 && !config.server.publicUrlSet ? config.server.publicUrl.replace(/:\d+$/, `:${http.port}`) : config.server.publicUrl;
  const store = objectStore(config, secretKey, url);
  const mounts: Array<readonly [string, Hono]> = [];
  if (store instanceof FilesystemObjectStore) mounts.push(["/blobs", blobRoutes(store)]);
  const builtinPort = link && "port" in (link as object) ? (link as unknown as { port: number }).port : null;
  // With MQTT_BROKER_BUILTIN_PORT=0 the endpoint workers need is known only once the broker listens.
  const brokerEndpoint = builtinPort !== null && config.mqtt.builtinPort === 0 ? config.mqtt.endpoint.replace(/:0$/, `:${builtinPort}`) : config.mqtt.endpoint;
  const endpoints = { serverUrl: url, brokerEndpoint };
  const configKey = deriveKey(secretKey, "config-elements");
  const waiters = new OutboxWaiters();
  // Not awaited: the database may not be ready yet (HTTP comes up first); long polls re-read meanwhile.
  void waiters.start(sql, log);
  const stateBackend = { key: deriveKey(secretKey, "state-backend"), publicUrl: url };
  const workerKeys = { workerToken: deriveKey(secretKey, "worker-token"), runToken: deriveKey(secretKey, "run-token"), config: configKey };
  mounts.push(["/graphql", graphqlRoutes({ sql, log, jwtKey: deriveKey(secretKey, "jwt"), configKey, store, publicUrl: url, endpoints })]);
  mounts.push(["/webhooks", webhookRoutes({ sql, log, key: vcsKey(configKey), maxBodyBytes: config.server.maxBodyBytes })]);
  mounts.push([
    "/worker",
    workerApiRoutes({ sql, keys: workerKeys, brokerEndpoint: () => brokerEndpoint, heartbeatSeconds: config.workers.heartbeatSeconds,
      leaseSeconds: config.workers.timeoutSeconds,
      brokerCredentials: config.mqtt.type === "external" ? config.mqtt.worker : null,
      store,
      timeouts: { runSeconds: config.runs.timeoutSeconds, noOutputSeconds: config.runs.noOutputTimeoutSeconds },
      waiters,
      stateBackend,
    }),
  ]);
  mounts.push(["/state", stateBackendRoutes({ sql, store, key: stateBackend.key, maxBytes: config.state.maxBytes })]);
  app = createApp({
    sql,
    log,
    mqtt: () => link,
    maxBodyBytes: config.server.maxBodyBytes,
    mounts,
    probes: [{ name: "object_storage", check: () => store.check() }, ...(options.probes ?? [])],
  });
  log.info("HTTP server listening", { port: http.port, url });
  return {
    url,
    port: http.port,
    mqttPort: builtinPort,
    brokerEndpoint,
    store,
    mqtt: () => link,
    stop: async () => {
      stopping = true;
      await waiters.stop();
      await http.close();
      await external;
      await (link as MqttLink | null)?.close();
      await store.close();
    },
  };
}

function objectStore(config: Config, secretKey: string, publicUrl: string): ObjectStore {
  const storage = config.objectStorage;
  if (storage.type === "filesystem") {
    return createObjectStore({ type: "filesystem", root: storage.root, publicUrl, signingKey: deriveKey(secretKey, "object-urls") });
  }
  return createObjectStore({
    type: "s3",
    endpoint: storage.s3.endpoint ?? undefined,
    region: storage.s3.region,
    forcePathStyle: storage.s3.forcePathStyle,
    accessKeyId: storage.s3.accessKeyId ?? undefined,
    secretAccessKey: storage.s3.secretAccessKey ?? undefined,
    buckets: storage.buckets as Record<Bucket, string>,
  });
}
