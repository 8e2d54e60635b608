// `npm run schema:dump`: migrates a scratch database and writes shared/db/schema.sql.
import { writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { testDatabase } from "../shared/db/testing.ts";
import { dumpSchema } from "../shared/db/schema_dump.ts";
import { startEmbeddedPostgres } from "../shared/db/embedded.ts";
import { chmodSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createLogger } from "../shared/log.ts";

const target = fileURLToPath(new URL("../shared/db/schema.sql", import.meta.url));
let stop = async () => {};
if (!process.env.DATABASE_URL && !process.env.GANTRY_TEST_DATABASE_URL) {
  const dir = mkdtempSync(join(tmpdir(), "gantry-schema-"));
  chmodSync(dir, 0o755);
  const pg = await startEmbeddedPostgres({ dataDir: dir, port: 0, log: createLogger({ level: "warn" }) });
  process.env.GANTRY_TEST_DATABASE_URL = pg.url;
  stop = async () => {
    await pg.stop();
    rmSync(dir, { recursive: true, force: true });
  };
}
const db = await testDatabase();
writeFileSync(target, await dumpSchema(db.sql));
await db.drop();
await stop();
console.log(`wrote ${target}`);
