// What the dispatch benchmark's phases share: cleanup scopes, a Gantry process started as a child,
// the clock offset between PostgreSQL and this process, a mailbox for events that arrive on MQTT,
// percentiles.
import { mkdtempSync, chmodSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Sql } from "../../shared/db/connect.ts";
import { freePort } from "../../shared/db/embedded.ts";
import { testDatabase, type TestDatabase } from "../../shared/db/testing.ts";
import { startChild, tail, type Child } from "./children.ts";

/** Cleanup steps run in reverse order, once, each whatever the others did. */
export class Scope {
  private steps: (() => Promise<unknown>)[] = [];
  add(step: () => Promise<unknown>): void {
    this.steps.push(step);
  }
  async close(): Promise<void> {
    for (const step of this.steps.splice(0).reverse()) await step().catch((error) => console.error(`cleanup: ${(error as Error).message}`));
  }
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export type Broker = Readonly<{ kind: "builtin" } | { kind: "external"; url: string }>;

export type Gantry = Readonly<{ child: Child; url: string; brokerEndpoint: string; db: TestDatabase; dataDir: string; secretKey: string }>;

export const SECRET_KEY = "gantry-dispatch-benchmark-secret-key-0123456789";

/**
 * Gantry as a child process on its own fresh database: `main.ts` (server, drain and scheduler in
 * one process, what `npm start` runs) or `server/main.ts` alone. Default settings but for
 * addresses, the secret key (so the benchmark can use the server's own MQTT identity) and warn logs.
 */
export async function startGantry(scope: Scope, entry: "main.ts" | "server/main.ts", broker: Broker, nodeArgs: readonly string[] = []): Promise<Gantry> {
  const db = await testDatabase({ max: 4 });
  scope.add(() => db.drop());
  const dataDir = mkdtempSync(join(tmpdir(), "gantry-bench-dispatch-"));
  chmodSync(dataDir, 0o755);
  scope.add(async () => rmSync(dataDir, { recursive: true, force: true }));
  const port = await freePort();
  const mqttPort = await freePort();
  const child = startChild(entry === "main.ts" ? "gantry" : "gantry server", entry, {
    DATABASE_URL: db.url,
    GANTRY_DATA_DIR: dataDir,
    GANTRY_SECRET_KEY: SECRET_KEY,
    SERVER_HOST: "127.0.0.1",
    SERVER_PORT: String(port),
    SERVER_DOMAIN: `127.0.0.1:${port}`,
    LOG_LEVEL: "warn",
    ...(broker.kind === "builtin"
      ? { MQTT_BROKER_TYPE: "builtin", MQTT_BROKER_BUILTIN_HOST: "127.0.0.1", MQTT_BROKER_BUILTIN_PORT: String(mqttPort) }
      : { MQTT_BROKER_TYPE: "external", MQTT_BROKER_ENDPOINT: broker.url }),
  }, (stop) => scope.add(stop), nodeArgs);
  const url = `http://127.0.0.1:${port}`;
  await waitUntil(async () => {
    if (!child.running()) throw new Error(`${child.name} exited:\n${tail(child.output())}`);
    const res = await fetch(`${url}/readyz`).catch(() => null);
    return res?.status === 200;
  }, 90_000, `${child.name} to be ready`);
  return { child, url, brokerEndpoint: broker.kind === "builtin" ? `mqtt://127.0.0.1:${mqttPort}` : broker.url, db, dataDir, secretKey: SECRET_KEY };
}

export async function waitUntil(condition: () => boolean | Promise<boolean>, timeoutMs: number, what: string, intervalMs = 20): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!(await condition())) {
    if (performance.now() > deadline) throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what}`);
    await sleep(intervalMs);
  }
}

/** Wall-clock time in ms with sub-millisecond resolution (Date.now() has 1 ms). */
export const wallNow = () => performance.timeOrigin + performance.now();

/**
 * PostgreSQL's clock minus ours (ms), from the round trip with the smallest delay: PostgreSQL
 * timestamps (now() of a transition's transaction) become comparable with performance.now().
 * Both read the same system clock here, so the offset is ~0; its error is at most half the RTT.
 */
export async function clockOffset(sql: Sql): Promise<{ offsetMs: number; rttMs: number }> {
  let best = { offsetMs: 0, rttMs: Infinity };
  for (let i = 0; i < 40; i++) {
    const t0 = wallNow();
    const [{ t }] = await sql<{ t: number }[]>`select (extract(epoch from clock_timestamp()) * 1000)::float8 as t`;
    const t1 = wallNow();
    if (t1 - t0 < best.rttMs) best = { offsetMs: t - (t0 + t1) / 2, rttMs: t1 - t0 };
  }
  return best;
}

/** A PostgreSQL timestamp (epoch ms) on this process's performance.now() clock. */
export const toPerformanceClock = (pgEpochMs: number, offsetMs: number) => pgEpochMs - offsetMs - performance.timeOrigin;

/** Values delivered under a key, to a waiter that may come before or after. */
export class Mailbox<T> {
  private values = new Map<string, T>();
  private waiters = new Map<string, (value: T) => void>();
  put(key: string, value: T): void {
    const waiter = this.waiters.get(key);
    if (waiter) {
      this.waiters.delete(key);
      waiter(value);
    } else if (!this.values.has(key)) this.values.set(key, value);
  }
  take(key: string, timeoutMs: number, what: string): Promise<T> {
    if (this.values.has(key)) {
      const value = this.values.get(key)!;
      this.values.delete(key);
      return Promise.resolve(value);
    }
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters.delete(key);
        reject(new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what}`));
      }, timeoutMs);
      this.waiters.set(key, (value) => {
        clearTimeout(timer);
        resolve(value);
      });
    });
  }
}

export type Percentiles = Readonly<{ n: number; p50: number; p90: number; p99: number; max: number }>;

/** Nearest-rank percentiles. */
export function percentiles(values: readonly number[]): Percentiles {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))];
  return { n: sorted.length, p50: at(0.5), p90: at(0.9), p99: at(0.99), max: sorted[sorted.length - 1] };
}

export function median(values: readonly number[]): number {
  return percentiles(values).p50;
}
