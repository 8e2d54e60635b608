// Test databases: each test gets its own database, cloned in milliseconds from a template that
// was migrated once per schema version. The admin URL comes from the test runner
// (GANTRY_TEST_DATABASE_URL, which points at an embedded PostgreSQL or at DATABASE_URL).
import { createHash, randomBytes } from "node:crypto";
import postgres from "postgres";
import { createPool, type Sql } from "./connect.ts";
import { listMigrations, migrate } from "./migrate.ts";

export type TestDatabase = Readonly<{ sql: Sql; url: string; name: string; drop(): Promise<void> }>;

export function adminUrl(): string {
  const url = process.env.GANTRY_TEST_DATABASE_URL ?? process.env.DATABASE_URL;
  if (!url) throw new Error("no test database: run the suite with `npm test`, or set DATABASE_URL to a PostgreSQL you may create databases on");
  return url;
}

export function templateName(): string {
  const hash = createHash("sha256");
  for (const m of listMigrations()) hash.update(m.sql);
  return `gantry_tpl_${hash.digest("hex").slice(0, 12)}`;
}

export function withDatabase(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${database}`;
  return parsed.toString();
}

/** Creates the migrated template if it does not exist yet. Safe to call concurrently. */
export async function ensureTemplate(admin = adminUrl()): Promise<string> {
  const name = templateName();
  const sql = postgres(admin, { max: 1, onnotice: () => {} });
  try {
    await sql`select pg_advisory_lock(7412)`;
    const [exists] = await sql`select 1 from pg_database where datname = ${name}`;
    if (!exists) {
      const building = `${name}_building`;
      await sql`drop database if exists ${sql(building)}`;
      await sql`create database ${sql(building)}`;
      const target = createPool(withDatabase(admin, building), { max: 2 });
      try {
        await migrate(target);
      } finally {
        await target.end();
      }
      await sql`alter database ${sql(building)} rename to ${sql(name)}`;
    }
    await sql`select pg_advisory_unlock(7412)`;
  } finally {
    await sql.end();
  }
  return name;
}

/** A fresh, migrated database of its own. Call drop() at the end of the test. */
export async function testDatabase(options: { max?: number } = {}): Promise<TestDatabase> {
  const admin = adminUrl();
  const template = await ensureTemplate(admin);
  const name = `gantry_t_${process.pid}_${randomBytes(4).toString("hex")}`;
  const sql0 = postgres(admin, { max: 1, onnotice: () => {} });
  try {
    for (let attempt = 0; ; attempt++) {
      try {
        await sql0`create database ${sql0(name)} template ${sql0(template)}`;
        break;
      } catch (error) {
        // Two clones of one template at the same instant: "source database is being accessed".
        if ((error as { code?: string }).code !== "55006" || attempt > 50) throw error;
        await new Promise((r) => setTimeout(r, 20 + Math.random() * 50));
      }
    }
  } finally {
    await sql0.end();
  }
  const url = withDatabase(admin, name);
  const sql = createPool(url, { max: options.max ?? 10 });
  return {
    sql,
    url,
    name,
    drop: async () => {
      await sql.end({ timeout: 5 });
      const s = postgres(admin, { max: 1, onnotice: () => {} });
      try {
        await s`drop database if exists ${s(name)} with (force)`;
      } finally {
        await s.end();
      }
    },
  };
}
