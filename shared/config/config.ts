// The one place that reads the environment. Each process calls loadConfig() once at start and
// passes the frozen result down. Every variable is declared in VARIABLES with its default and
// documentation; docs/configuration.md is generated from that table and checked by a test.
import { readFileSync } from "node:fs";
import { ConfigError, VARIABLES, type Variable } from "./variables.ts";

export { ConfigError, VARIABLES };

export const QUEUE_NAMES = Object.freeze(["webhooks", "async", "async_fifo", "cronjobs", "worker_messages"] as const);
export type QueueName = (typeof QUEUE_NAMES)[number];

export type Config = Readonly<{
  dataDir: string;
  logLevel: "debug" | "info" | "warn" | "error";
  logFormat: "text" | "json";
  database: Readonly<{
    url: string | null; // null: start the embedded PostgreSQL
    poolSize: number;
    embeddedPort: number; // 0: pick a free port
    connectRetrySeconds: number;
  }>;
  server: Readonly<{
    host: string;
    port: number;
    domain: string;
    publicUrl: string;
    publicUrlSet: boolean; // false: derived from SERVER_DOMAIN and SERVER_PORT
    maxBodyBytes: number;
  }>;
  mqtt: Readonly<{
    type: "builtin" | "external";
    endpoint: string;
    builtinHost: string;
    builtinPort: number;
    username: string | null;
    password: string | null;
    /** Credentials handed to workers for an external broker; null: each worker's own. */
    worker: Readonly<{ username: string; password: string }> | null;
  }>;
  objectStorage: Readonly<{
    type: "filesystem" | "s3";
    root: string;
    s3: Readonly<{
      endpoint: string | null;
      region: string;
      forcePathStyle: boolean;
      accessKeyId: string | null;
      secretAccessKey: string | null;
    }>;
    buckets: Readonly<Record<string, string>>;
  }>;
  secretKey: string | null; // null: generated once and kept in the data directory
  queue: Readonly<{
    leaseSeconds: number;
    maxAttempts: number;
    pollIntervalMs: number;
    concurrency: Readonly<Record<QueueName, number>>;
  }>;
  workers: Readonly<{
    heartbeatSeconds: number;
    timeoutSeconds: number;
    acceptTimeoutSeconds: number;
  }>;
  runs: Readonly<{ timeoutSeconds: number; noOutputTimeoutSeconds: number }>;
  /** Managed Terraform state (shared/state). */
  state: Readonly<{ maxBytes: number }>;
  /** The all-in-one process runs a worker in the default pool. */
  localWorker: boolean;
  shutdownTimeoutSeconds: number;
}>;

type Env = Readonly<Record<string, string | undefined>>;

/** Reads and validates every variable; throws ConfigError naming the first bad one. */
export function loadConfig(env: Env = readEnv()): Config {
  const values = new Map<string, unknown>();
  for (const variable of VARIABLES) values.set(variable.name, resolve(variable, env));
  const get = <T>(name: string) => {
    if (!values.has(name)) throw new Error(`config: unknown variable ${name}`);
    return values.get(name) as T;
  };

  const port = get<number>("SERVER_PORT");
  const domain = get<string | null>("SERVER_DOMAIN") ?? `localhost:${port}`;
  const explicitUrl = get<string | null>("SERVER_PUBLIC_URL");
  const publicUrl = explicitUrl ?? defaultPublicUrl(domain);
  const dataDir = get<string>("GANTRY_DATA_DIR");
  const mqttType = get<"builtin" | "external">("MQTT_BROKER_TYPE");
  const builtinPort = get<number>("MQTT_BROKER_BUILTIN_PORT");
  const endpoint = get<string | null>("MQTT_BROKER_ENDPOINT");
  if (mqttType === "external" && endpoint === null) {
    throw new ConfigError("MQTT_BROKER_ENDPOINT", "is required when MQTT_BROKER_TYPE=external");
  }
  const heartbeatSeconds = get<number>("WORKER_HEARTBEAT_SECONDS");
  const workerTimeout = get<number>("WORKER_TIMEOUT_SECONDS");
  if (workerTimeout <= heartbeatSeconds) throw new ConfigError("WORKER_TIMEOUT_SECONDS", `must exceed WORKER_HEARTBEAT_SECONDS (${heartbeatSeconds})`);
  const storageType = get<"filesystem" | "s3">("OBJECT_STORAGE_TYPE");
  const buckets: Record<string, string> = {};
  for (const variable of VARIABLES) {
    const match = /^OBJECT_STORAGE_BUCKET_(.+)$/.exec(variable.name);
    if (match) buckets[match[1].toLowerCase()] = get<string>(variable.name);
  }

  const config: Config = {
    dataDir,
    logLevel: get("LOG_LEVEL"),
    logFormat: get("LOG_FORMAT"),
    database: {
      url: get("DATABASE_URL"),
      poolSize: get("DATABASE_POOL_SIZE"),
      embeddedPort: get("GANTRY_EMBEDDED_POSTGRES_PORT"),
      connectRetrySeconds: get("DATABASE_CONNECT_RETRY_SECONDS"),
    },
    server: { host: get("SERVER_HOST"), port, domain, publicUrl, publicUrlSet: explicitUrl !== null, maxBodyBytes: get("SERVER_MAX_BODY_BYTES") },
    mqtt: {
      type: mqttType,
      endpoint: endpoint ?? `mqtt://${hostOf(domain)}:${builtinPort}`,
      builtinHost: get("MQTT_BROKER_BUILTIN_HOST"),
      builtinPort,
      username: get("MQTT_BROKER_USERNAME"),
      password: get("MQTT_BROKER_PASSWORD"),
      worker: workerBrokerCredentials(get("MQTT_BROKER_WORKER_USERNAME"), get("MQTT_BROKER_WORKER_PASSWORD"), mqttType),
    },
    objectStorage: {
      type: storageType,
      root: get<string | null>("OBJECT_STORAGE_FILESYSTEM_ROOT") ?? `${dataDir}/objects`,
      s3: {
        endpoint: get("OBJECT_STORAGE_S3_ENDPOINT"),
        region: get("OBJECT_STORAGE_S3_REGION"),
        forcePathStyle: get("OBJECT_STORAGE_S3_FORCE_PATH_STYLE"),
        accessKeyId: get("OBJECT_STORAGE_S3_ACCESS_KEY_ID"),
        secretAccessKey: get("OBJECT_STORAGE_S3_SECRET_ACCESS_KEY"),
      },
      buckets,
    },
    secretKey: get("GANTRY_SECRET_KEY"),
    queue: {
      leaseSeconds: get("MESSAGE_PROCESSING_TIMEOUT_SECONDS"),
      maxAttempts: get("QUEUE_MAX_ATTEMPTS"),
      pollIntervalMs: get("QUEUE_POLL_INTERVAL_MS"),
      concurrency: {
        webhooks: get("DRAIN_CONCURRENCY_WEBHOOKS"),
        async: get("DRAIN_CONCURRENCY_ASYNC_JOBS"),
        async_fifo: get("DRAIN_CONCURRENCY_ASYNC_JOBS_FIFO"),
        cronjobs: get("DRAIN_CONCURRENCY_CRONJOBS"),
        worker_messages: get("DRAIN_CONCURRENCY_IOT"),
      },
    },
    workers: {
      heartbeatSeconds,
      timeoutSeconds: workerTimeout,
      acceptTimeoutSeconds: get("WORKER_ACCEPT_TIMEOUT_SECONDS"),
    },
    runs: { timeoutSeconds: get("RUN_TIMEOUT_SECONDS"), noOutputTimeoutSeconds: get("RUN_NO_OUTPUT_TIMEOUT_SECONDS") },
    state: { maxBytes: get("STATE_MAX_BYTES") },
    localWorker: get("GANTRY_LOCAL_WORKER"),
    shutdownTimeoutSeconds: get("GANTRY_SHUTDOWN_TIMEOUT_SECONDS"),
  };
  return deepFreeze(config);
}

function resolve(variable: Variable, env: Env): unknown {
  let raw = env[variable.name];
  const fileVar = `${variable.name}_FILE`;
  if (variable.secret && env[fileVar] !== undefined && env[fileVar] !== "") {
    if (raw !== undefined && raw !== "") throw new ConfigError(variable.name, `is set twice: both ${variable.name} and ${fileVar}`);
    try {
      raw = readFileSync(env[fileVar] as string, "utf8").replace(/\r?\n$/, "");
    } catch (error) {
      throw new ConfigError(fileVar, `cannot be read: ${(error as NodeJS.ErrnoException).code ?? "unknown error"}`);
    }
  }
  if (raw === undefined || raw === "") {
    if (typeof variable.default === "function") return variable.default(env);
    return variable.default;
  }
  return variable.parse(raw.trim(), variable.name);
}

function readEnv(): Env {
  const deno = (globalThis as { Deno?: { env: { toObject(): Record<string, string> } } }).Deno;
  return Object.freeze({ ...(deno ? deno.env.toObject() : process.env) });
}

function defaultPublicUrl(domain: string): string {
  const local = /^(localhost|127\.|\[::1\])/.test(domain);
  return `${local ? "http" : "https"}://${domain}`;
}

function hostOf(domain: string): string {
  return domain.replace(/:\d+$/, "");
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === "object") {
    for (const inner of Object.values(value)) deepFreeze(inner);
    Object.freeze(value);
  }
  return value;
}

function workerBrokerCredentials(username: string | null, password: string | null, type: "builtin" | "external"): { username: string; password: string } | null {
  if ((username === null) !== (password === null)) throw new ConfigError(username === null ? "MQTT_BROKER_WORKER_USERNAME" : "MQTT_BROKER_WORKER_PASSWORD", "must be set together with its pair");
  if (username === null || password === null) return null;
  if (type === "builtin") throw new ConfigError("MQTT_BROKER_WORKER_USERNAME", "applies to an external broker only (MQTT_BROKER_TYPE=external): the built-in broker gives each worker its own credentials");
  return { username, password };
}
