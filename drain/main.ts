// The drain process: `npm run drain`.
import { loadConfig } from "../shared/config/config.ts";
import { createLogger } from "../shared/log.ts";
import { openDatabase } from "../shared/db/open.ts";
import { aborted, runProcess } from "../shared/lifecycle.ts";
import { startDrain } from "./drain.ts";
import { defaultRegistry } from "./registry.ts";

await runProcess("drain", async (signal) => {
  const config = loadConfig();
  const log = createLogger({ level: config.logLevel, format: config.logFormat }, { process: "drain" });
  const db = await openDatabase(config, log, "gantry-drain", signal);
  const drain = await startDrain({ sql: db.sql, log, registry: defaultRegistry(), queue: config.queue, shutdownTimeoutSeconds: config.shutdownTimeoutSeconds });
  await aborted(signal);
  await drain.stop();
  await db.close();
});
