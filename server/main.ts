// The server process: `npm run server`.
import { loadConfig } from "../shared/config/config.ts";
import { createLogger } from "../shared/log.ts";
import { openDatabase } from "../shared/db/open.ts";
import { aborted, runProcess } from "../shared/lifecycle.ts";
import { loadSecretKey } from "../shared/secret_key.ts";
import { startServer } from "./server.ts";

await runProcess("server", async (signal) => {
  const config = loadConfig();
  const log = createLogger({ level: config.logLevel, format: config.logFormat }, { process: "server" });
  const db = await openDatabase(config, log, "gantry-server", signal);
  const server = await startServer({ config, sql: db.sql, log, secretKey: loadSecretKey(config) });
  await aborted(signal);
  await server.stop();
  await db.close();
});
