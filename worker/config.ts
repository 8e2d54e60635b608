// The worker's configuration, read once from its environment. The worker knows nothing of the
// database: the pool token tells it where the server and the broker are.
import { readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { decodePoolToken, type PoolToken } from "../shared/workers/pool_token.ts";

export type WorkerConfig = Readonly<{
  token: PoolToken;
  /** Overrides the broker endpoint of the registration answer (a worker behind another network path). */
  brokerEndpoint: string | null;
  /** mqtt, http (long poll), or auto: MQTT when the broker can be reached, else HTTP. */
  transport: "auto" | "mqtt" | "http";
  workDir: string;
  metadata: Readonly<Record<string, string>>;
  logLevel: "debug" | "info" | "warn" | "error";
  logFormat: "text" | "json";
  /** The tools' binaries (names looked up in PATH, or paths); `explicit` when set by configuration. */
  tools: ToolBinaries;
  /** The worker's own variables that runs see (PATH, HOME, proxies, …); nothing else of its environment reaches a run. */
  runEnvironment: Readonly<Record<string, string>>;
}>;

export type ToolBinaries = Readonly<{
  tofu: string;
  terraform: string;
  ansiblePlaybook: string;
  /** Which of them the configuration names (an explicit binary gets no fallback). */
  explicit: Readonly<{ tofu: boolean; terraform: boolean; ansiblePlaybook: boolean }>;
}>;

/** Passed from the worker's environment to every run, with GANTRY_WORKER_PASS_ENV's names. */
export const PASSED_VARIABLES = Object.freeze([
  "PATH", "HOME", "USER", "LANG", "LC_ALL", "TZ", "TMPDIR",
  "HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY", "http_proxy", "https_proxy", "no_proxy",
  "SSL_CERT_FILE", "SSL_CERT_DIR", "TF_PLUGIN_CACHE_DIR", "TF_CLI_CONFIG_FILE",
]);

export class WorkerConfigError extends Error {
  constructor(readonly variable: string, problem: string) {
    super(`configuration: ${variable} ${problem}`);
  }
}

type Env = Readonly<Record<string, string | undefined>>;

export const WORKER_VARIABLES = Object.freeze([
  ["GANTRY_WORKER_POOL_TOKEN", "The worker pool token (workerPoolCreate's config); or GANTRY_WORKER_POOL_TOKEN_FILE, a file holding it. Required."],
  ["GANTRY_WORKER_BROKER_ENDPOINT", "MQTT broker URL, when the worker must reach the broker by another address than the server gives."],
  ["GANTRY_WORKER_TRANSPORT", "How server messages reach the worker: auto (default: MQTT when the broker can be reached within 10 s, else the HTTP long poll), mqtt or http."],
  ["GANTRY_WORKER_WORK_DIR", "Where runs get their fresh working directories. Default: <temp dir>/gantry-worker."],
  ["GANTRY_METADATA_<key>", "Reported as worker metadata <key> (e.g. GANTRY_METADATA_instance_id)."],
  ["GANTRY_WORKER_TOFU_BINARY", "The OpenTofu binary (a name in PATH or a path). Default: tofu, or terraform when tofu is missing."],
  ["GANTRY_WORKER_TERRAFORM_BINARY", "The Terraform binary. Default: terraform."],
  ["GANTRY_WORKER_ANSIBLE_PLAYBOOK_BINARY", "The ansible-playbook binary. Default: ansible-playbook."],
  ["GANTRY_WORKER_PASS_ENV", "Comma-separated names of the worker's variables that runs see, besides PATH, HOME, USER, LANG, LC_ALL, TZ, TMPDIR, the proxy variables, SSL_CERT_FILE, SSL_CERT_DIR, TF_PLUGIN_CACHE_DIR and TF_CLI_CONFIG_FILE."],
  ["LOG_LEVEL", "debug, info (default), warn or error."],
  ["LOG_FORMAT", "text (default) or json."],
] as const);

export function loadWorkerConfig(env: Env): WorkerConfig {
  const inline = env.GANTRY_WORKER_POOL_TOKEN?.trim();
  const file = env.GANTRY_WORKER_POOL_TOKEN_FILE?.trim();
  if (inline && file) throw new WorkerConfigError("GANTRY_WORKER_POOL_TOKEN", "is set twice: both GANTRY_WORKER_POOL_TOKEN and GANTRY_WORKER_POOL_TOKEN_FILE");
  let raw = inline;
  if (file) {
    try {
      raw = readFileSync(file, "utf8").trim();
    } catch (error) {
      throw new WorkerConfigError("GANTRY_WORKER_POOL_TOKEN_FILE", `cannot be read: ${(error as NodeJS.ErrnoException).code ?? "unknown error"}`);
    }
  }
  if (!raw) throw new WorkerConfigError("GANTRY_WORKER_POOL_TOKEN", "is required (or GANTRY_WORKER_POOL_TOKEN_FILE)");
  let token: PoolToken;
  try {
    token = decodePoolToken(raw);
  } catch (error) {
    throw new WorkerConfigError(file ? "GANTRY_WORKER_POOL_TOKEN_FILE" : "GANTRY_WORKER_POOL_TOKEN", `is not valid: ${(error as Error).message}`);
  }
  const metadata: Record<string, string> = {};
  for (const [name, value] of Object.entries(env)) {
    const key = /^GANTRY_METADATA_(.+)$/.exec(name)?.[1];
    if (key && value !== undefined) metadata[key] = value;
  }
  const level = (env.LOG_LEVEL ?? "info").toLowerCase();
  if (!["debug", "info", "warn", "error"].includes(level)) throw new WorkerConfigError("LOG_LEVEL", `must be one of debug | info | warn | error, got "${env.LOG_LEVEL}"`);
  const format = (env.LOG_FORMAT ?? "text").toLowerCase();
  if (!["text", "json"].includes(format)) throw new WorkerConfigError("LOG_FORMAT", `must be text or json, got "${env.LOG_FORMAT}"`);
  const binary = (name: string, fallback: string) => env[name]?.trim() || fallback;
  const tools: ToolBinaries = Object.freeze({
    tofu: binary("GANTRY_WORKER_TOFU_BINARY", "tofu"),
    terraform: binary("GANTRY_WORKER_TERRAFORM_BINARY", "terraform"),
    ansiblePlaybook: binary("GANTRY_WORKER_ANSIBLE_PLAYBOOK_BINARY", "ansible-playbook"),
    explicit: Object.freeze({
      tofu: Boolean(env.GANTRY_WORKER_TOFU_BINARY?.trim()),
      terraform: Boolean(env.GANTRY_WORKER_TERRAFORM_BINARY?.trim()),
      ansiblePlaybook: Boolean(env.GANTRY_WORKER_ANSIBLE_PLAYBOOK_BINARY?.trim()),
    }),
  });
  const passed = [...PASSED_VARIABLES];
  for (const name of (env.GANTRY_WORKER_PASS_ENV ?? "").split(",").map((n) => n.trim()).filter(Boolean)) {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) throw new WorkerConfigError("GANTRY_WORKER_PASS_ENV", `holds "${name}", which is not a variable name`);
    passed.push(name);
  }
  const runEnvironment: Record<string, string> = {};
  for (const name of passed) if (env[name] !== undefined) runEnvironment[name] = env[name] as string;
  return Object.freeze({
    token,
    tools,
    runEnvironment: Object.freeze(runEnvironment),
    brokerEndpoint: env.GANTRY_WORKER_BROKER_ENDPOINT?.trim() || null,
    transport: transportOf(env.GANTRY_WORKER_TRANSPORT),
    workDir: resolve(env.GANTRY_WORKER_WORK_DIR?.trim() || join(tmpdir(), "gantry-worker")),
    metadata: Object.freeze(metadata),
    logLevel: level as WorkerConfig["logLevel"],
    logFormat: format as WorkerConfig["logFormat"],
  });
}

function transportOf(raw: string | undefined): WorkerConfig["transport"] {
  const value = (raw ?? "auto").trim().toLowerCase();
  if (value !== "auto" && value !== "mqtt" && value !== "http") throw new WorkerConfigError("GANTRY_WORKER_TRANSPORT", `must be one of auto | mqtt | http, got "${raw}"`);
  return value;
}
