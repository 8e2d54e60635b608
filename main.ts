// `npm start`: server, drain and scheduler in one process on embedded defaults (embedded
// PostgreSQL, built-in MQTT broker, on-disk object storage), or on whatever the configuration
// points at. Each can also run on its own: npm run server | drain | scheduler.
import { loadConfig } from "./shared/config/config.ts";
import { createLogger } from "./shared/log.ts";
import { connectDatabase, prepareDatabase } from "./shared/db/open.ts";
import { StartupGate } from "./shared/readiness.ts";
import { aborted, runProcess } from "./shared/lifecycle.ts";
import { loadSecretKey } from "./shared/secret_key.ts";
import { startServer } from "./server/server.ts";
import { bootstrapAdminKey } from "./shared/auth/bootstrap.ts";
import { startDrain } from "./drain/drain.ts";
import { defaultRegistry } from "./drain/registry.ts";
import { runScheduler } from "./scheduler/scheduler.ts";

await runProcess("gantry", async (signal) => {
  const started = performance.now();
  const config = loadConfig();
  const log = createLogger({ level: config.logLevel, format: config.logFormat }, { process: "all-in-one" });
  const db = await connectDatabase(config, log, "gantry");
  const gate = new StartupGate();
  const server = await startServer({ config, sql: db.sql, log, secretKey: loadSecretKey(config), probes: [gate.probe] });
  await prepareDatabase(db, config, log, signal).catch(async (error) => {
    await server.stop();
    await db.close();
    throw error;
  });
  const admin = await bootstrapAdminKey(db.sql, config.dataDir, server.url);
  gate.open();
  const drain = await startDrain({ sql: db.sql, log, registry: defaultRegistry({ mqtt: server.mqtt, settings: { acceptTimeoutSeconds: config.workers.acceptTimeoutSeconds, workerTimeoutSeconds: config.workers.timeoutSeconds } }), queue: config.queue, shutdownTimeoutSeconds: config.shutdownTimeoutSeconds });
  const scheduler = new AbortController();
  const schedulerDone = runScheduler({ sql: db.sql, log }, scheduler.signal);

  const lines = [
    `Gantry is up in ${Math.round(performance.now() - started)} ms`,
    `  URL:             ${server.url}`,
    `  MQTT broker:     ${config.mqtt.type === "builtin" ? `built-in on port ${server.mqttPort}` : `external at ${config.mqtt.endpoint.replace(/\/\/[^@/]*@/, "//")}`}`,
    `  Database:        ${db.embedded ? `embedded PostgreSQL in ${db.location}` : "DATABASE_URL"}`,
    `  Object storage:  ${config.objectStorage.type === "filesystem" ? config.objectStorage.root : "S3"}`,
    `  Data directory:  ${config.dataDir}`,
  ];
  if (admin) lines.push(`  Admin API key:   ${admin.id} (secret ${admin.secret}; also in ${admin.file}, shown once)`);
  console.log(lines.join("\n"));

  await aborted(signal);
  log.info("shutting down");
  scheduler.abort();
  await schedulerDone;
  await server.stop();
  await drain.stop();
  await db.close();
});
