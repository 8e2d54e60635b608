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
  workDir: string;
  metadata: Readonly<Record<string, string>>;
  logLevel: "debug" | "info" | "warn" | "error";
  logFormat: "text" | "json";
}>;

export class WorkerConfigError extends Error {
  constructor(readonly variable: string, problem: string) {
    super(`configuration: ${variable} ${problem}`);
  }
}

type Env = Readonly<Record<string, string | undefined>>;

export const WORKER_VARIABLES = Object.freeze([
  ["GANTRY_WORKER_POOL_TOKEN", "The worker pool token (workerPoolCreate's config); or GANTRY_WORKER_POOL_TOKEN_FILE, a file holding it. Required."],
  ["GANTRY_WORKER_BROKER_ENDPOINT", "MQTT broker URL, when the worker must reach the broker by another address than the server gives."],
  ["GANTRY_WORKER_WORK_DIR", "Where runs get their fresh working directories. Default: <temp dir>/gantry-worker."],
  ["GANTRY_METADATA_<key>", "Reported as worker metadata <key> (e.g. GANTRY_METADATA_instance_id)."],
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
  return Object.freeze({
    token,
    brokerEndpoint: env.GANTRY_WORKER_BROKER_ENDPOINT?.trim() || null,
    workDir: resolve(env.GANTRY_WORKER_WORK_DIR?.trim() || join(tmpdir(), "gantry-worker")),
    metadata: Object.freeze(metadata),
    logLevel: level as WorkerConfig["logLevel"],
    logFormat: format as WorkerConfig["logFormat"],
  });
}
