// Opening the database for a process: the embedded PostgreSQL when DATABASE_URL is unset, a pool,
// a wait with backoff until it answers, then migrations.
import type { Config } from "../config/config.ts";
import type { Logger } from "../log.ts";
import { createPool, waitForDatabase, type Sql } from "./connect.ts";
import { startEmbeddedPostgres } from "./embedded.ts";
import { migrate } from "./migrate.ts";

export type Database = Readonly<{ sql: Sql; embedded: boolean; location: string; close(): Promise<void> }>;

export async function openDatabase(config: Config, log: Logger, applicationName: string, signal?: AbortSignal): Promise<Database> {
  const embedded = config.database.url === null
    ? await startEmbeddedPostgres({ dataDir: config.dataDir, port: config.database.embeddedPort, log })
    : null;
  const sql = createPool(embedded?.url ?? (config.database.url as string), { max: config.database.poolSize, applicationName });
  try {
    await waitForDatabase(sql, log, config.database.connectRetrySeconds, signal);
    await migrate(sql, log);
  } catch (error) {
    await sql.end({ timeout: 1 });
    await embedded?.stop();
    throw error;
  }
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
