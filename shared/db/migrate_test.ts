import { test } from "uvu";
import * as assert from "uvu/assert";
import { readFileSync } from "node:fs";
import postgres from "postgres";
import { adminUrl, testDatabase, withDatabase } from "./testing.ts";
import { createPool } from "./connect.ts";
import { listMigrations, migrate } from "./migrate.ts";
import { dumpSchema } from "./schema_dump.ts";

test("migrations are numbered NNNN_intent.sql, contiguous, each with a one-line why", () => {
  const all = listMigrations();
  assert.ok(all.length > 0);
  all.forEach((m, i) => {
    assert.is(m.version, i + 1, `migration ${m.name} is number ${i + 1}`);
    assert.match(m.sql, /^-- \S/, `${m.name} starts with a comment saying why`);
  });
});

test("two processes migrating an empty database together both succeed, each migration once", async () => {
  const name = `gantry_m_${process.pid}_${Date.now()}`;
  const admin = postgres(adminUrl(), { max: 1, onnotice: () => {} });
  await admin`create database ${admin(name)}`;
  const a = createPool(withDatabase(adminUrl(), name), { max: 2 });
  const b = createPool(withDatabase(adminUrl(), name), { max: 2 });
  try {
    const [first, second] = await Promise.all([migrate(a), migrate(b)]);
    assert.is(first.length + second.length, listMigrations().length, "every migration applied exactly once in all");
    assert.ok(first.length === 0 || second.length === 0, "one of them found nothing left to do");
    const rows = await a`select version from schema_migrations order by version`;
    assert.equal(rows.map((r) => r.version), listMigrations().map((m) => m.version));
    assert.equal(await migrate(a), [], "a restart applies nothing");
  } finally {
    await a.end();
    await b.end();
    await admin`drop database ${admin(name)} with (force)`;
    await admin.end();
  }
});

test("shared/db/schema.sql is the schema of a migrated database (npm run schema:dump)", async () => {
  const db = await testDatabase();
  try {
    const committed = readFileSync(new URL("./schema.sql", import.meta.url), "utf8");
    assert.fixture(committed, await dumpSchema(db.sql));
  } finally {
    await db.drop();
  }
});

test.run();
