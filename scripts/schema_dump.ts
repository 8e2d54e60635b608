// `npm run schema:dump`: migrates a scratch database and writes shared/db/schema.sql.
import { writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { testDatabase } from "../shared/db/testing.ts";
import { dumpSchema } from "../shared/db/schema_dump.ts";
import { startScratchPostgres } from "../shared/db/embedded.ts";
import { createLogger } from "../shared/log.ts";

const target = fileURLToPath(new URL("../shared/db/schema.sql", import.meta.url));
let stop = async () => {};
if (!process.env.DATABASE_URL && !process.env.GANTRY_TEST_DATABASE_URL) {
  const pg = await startScratchPostgres("gantry-schema", createLogger({ level: "warn" }));
  process.env.GANTRY_TEST_DATABASE_URL = pg.url;
  stop = pg.stop;
}
const db = await testDatabase();
writeFileSync(target, await dumpSchema(db.sql));
await db.drop();
await stop();
console.log(`wrote ${target}`);
