// One postgres.js pool per process. At start, wait for the database with backoff and a clear log
// line; afterwards postgres.js reconnects by itself on the next query after a restart.
import postgres from "postgres";
import type { Logger } from "../log.ts";

export type Sql = postgres.Sql<Record<string, never>>;
export type Tx = postgres.TransactionSql<Record<string, never>>;
/** Anything queries can run on: the pool, a reserved connection or a transaction. */
export type Db = Sql | Tx | postgres.ReservedSql<Record<string, never>>;

export function createPool(url: string, options: { max?: number; applicationName?: string } = {}): Sql {
  return postgres(url, {
    max: options.max ?? 10,
    idle_timeout: 60,
    connect_timeout: 10,
    // Reconnect quickly after a database restart: the default backoff grows as 3^n across the
    // whole pool and leaves connections waiting up to 20 s after the database is back.
    backoff: (retries: number) => Math.min(0.1 * 2 ** retries, 2) * (0.5 + Math.random() / 2),
    onnotice: () => {},
    connection: { application_name: options.applicationName ?? "gantry" },
    transform: { undefined: null },
  }) as Sql;
}

/** Resolves once `select 1` succeeds; retries with exponential backoff up to retrySeconds. */
export async function waitForDatabase(sql: Sql, log: Logger, retrySeconds: number, signal?: AbortSignal): Promise<void> {
  const started = Date.now();
  for (let attempt = 1, wait = 250; ; attempt++, wait = Math.min(wait * 2, 10_000)) {
    try {
      await sql`select 1`;
      if (attempt > 1) log.info("database reachable", { attempts: attempt });
      return;
    } catch (error) {
      const elapsed = (Date.now() - started) / 1000;
      if (elapsed >= retrySeconds || signal?.aborted) {
        throw new Error(`database unreachable after ${Math.round(elapsed)} s: ${describe(error)}`);
      }
      log.warn("database unreachable, retrying", { attempt, retry_in_ms: wait, reason: describe(error) });
      await new Promise((resolve) => setTimeout(resolve, wait));
    }
  }
}

/** A short reason without connection details or parameters. */
export function describe(error: unknown): string {
  const e = error as { code?: string; message?: string };
  return e?.code ? `${e.code}${e.message && !e.message.includes("://") ? `: ${e.message}` : ""}` : String(e?.message ?? error);
}
