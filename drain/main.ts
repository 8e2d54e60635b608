// The drain process: `npm run drain`. It connects to the broker itself to publish assignments.
import { loadConfig } from "../shared/config/config.ts";
import { createLogger } from "../shared/log.ts";
import { openDatabase } from "../shared/db/open.ts";
import { aborted, runProcess } from "../shared/lifecycle.ts";
import { loadSecretKey } from "../shared/secret_key.ts";
import { keepLinked } from "../shared/mqtt/server_link.ts";
import { startDrain } from "./drain.ts";
import { defaultRegistry } from "./registry.ts";
import { schedulingSettings } from "../shared/workers/assignment.ts";
import { vcsDrainDeps } from "../shared/vcs/process.ts";

await runProcess("drain", async (signal) => {
  const config = loadConfig();
  const log = createLogger({ level: config.logLevel, format: config.logFormat }, { process: "drain" });
  const db = await openDatabase(config, log, "gantry-drain", signal);
  const secretKey = loadSecretKey(config);
  const mqtt = keepLinked(config, secretKey, log, "drain");
  const registry = defaultRegistry({ mqtt: mqtt.current, settings: schedulingSettings(config), vcs: vcsDrainDeps(secretKey, config.server.publicUrl) });
  const drain = await startDrain({ sql: db.sql, log, registry, queue: config.queue, shutdownTimeoutSeconds: config.shutdownTimeoutSeconds });
  await aborted(signal);
  await drain.stop();
  await mqtt.close();
  await db.close();
});
