// Opening the database for a process, in two steps so a server can answer /healthz and /readyz
// while it waits: connectDatabase() starts the embedded PostgreSQL when DATABASE_URL is unset and
// creates the pool (postgres.js connects lazily); prepareDatabase() waits with backoff until the
// database answers, then applies migrations.
import type { Config } from "../config/config.ts";
import type { Logger } from "../log.ts";
import { createPool, waitForDatabase, type Sql } from "./connect.ts";
import { startEmbeddedPostgres } from "./embedded.ts";
import { migrate } from "./migrate.ts";

export type Database = Readonly<{ sql: Sql; embedded: boolean; location: string; close(): Promise<void> }>;

export async function connectDatabase(config: Config, log: Logger, applicationName: string): Promise<Database> {
  const embedded = config.database.url === null
    ? await startEmbeddedPostgres({ dataDir: config.dataDir, port: config.database.embeddedPort, log })
    : null;
  const sql = createPool(embedded?.url ?? (config.database.url as string), { max: config.database.poolSize, applicationName });
  return {
    sql,
    embedded: embedded !== null,
    location: embedded ? embedded.dataDirectory : "DATABASE_URL",
    close: async () => {
      await sql.end({ timeout: 5 });
      await embedded?.stop();
    },
  };
}

export async function prepareDatabase(db: Database, config: Config, log: Logger, signal?: AbortSignal): Promise<void> {
  await waitForDatabase(db.sql, log, config.database.connectRetrySeconds, signal);
  await migrate(db.sql, log);
}

export async function openDatabase(config: Config, log: Logger, applicationName: string, signal?: AbortSignal): Promise<Database> {
  const db = await connectDatabase(config, log, applicationName);
  try {
    await prepareDatabase(db, config, log, signal);
  } catch (error) {
    await db.close();
    throw error;
  }
  return db;
}
