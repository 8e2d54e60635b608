// Numbered plain-SQL migrations (migrations/NNNN_<intent>.sql), applied in order at start under one
// advisory lock and recorded in schema_migrations, so processes starting together all come up and
// each migration runs exactly once.
import { readdirSync, readFileSync } from "node:fs";
import type { Sql } from "./connect.ts";
import type { Logger } from "../log.ts";

const MIGRATIONS_DIR = new URL("./migrations/", import.meta.url);
export const MIGRATION_LOCK = 0x67616e7472790001n; // "gantry" + 1

export type Migration = Readonly<{ version: number; name: string; sql: string }>;

export function listMigrations(): Migration[] {
  const files = readdirSync(MIGRATIONS_DIR).filter((f) => f.endsWith(".sql")).sort();
  return files.map((file) => {
    const match = /^(\d{4})_([a-z0-9_]+)\.sql$/.exec(file);
    if (!match) throw new Error(`migration file name must be NNNN_intent.sql: ${file}`);
    return { version: Number(match[1]), name: match[2], sql: readFileSync(new URL(file, MIGRATIONS_DIR), "utf8") };
  });
}

export async function migrate(sql: Sql, log?: Logger): Promise<number[]> {
  const migrations = listMigrations();
  const applied: number[] = [];
  await sql.begin(async (tx) => {
    await tx`select pg_advisory_xact_lock(${MIGRATION_LOCK.toString()}::bigint)`;
    await tx`create table if not exists schema_migrations (version int primary key, name text not null, applied_at timestamptz not null default now())`;
    const done = new Set((await tx<{ version: number }[]>`select version from schema_migrations`).map((r) => r.version));
    for (const migration of migrations) {
      if (done.has(migration.version)) continue;
      await tx.unsafe(migration.sql);
      await tx`insert into schema_migrations (version, name) values (${migration.version}, ${migration.name})`;
      applied.push(migration.version);
      log?.info("migration applied", { version: migration.version, name: migration.name });
    }
  });
  return applied;
}
