// The scheduler process: `npm run scheduler`.
import { loadConfig } from "../shared/config/config.ts";
import { createLogger } from "../shared/log.ts";
import { openDatabase } from "../shared/db/open.ts";
import { runProcess } from "../shared/lifecycle.ts";
import { runScheduler } from "./scheduler.ts";

await runProcess("scheduler", async (signal) => {
  const config = loadConfig();
  const log = createLogger({ level: config.logLevel, format: config.logFormat }, { process: "scheduler" });
  const db = await openDatabase(config, log, "gantry-scheduler", signal);
  await runScheduler({ sql: db.sql, log }, signal);
  await db.close();
});
