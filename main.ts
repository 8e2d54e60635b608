// `npm start`: server, drain and scheduler in one process on embedded defaults (embedded
// PostgreSQL, built-in MQTT broker, on-disk object storage), or on whatever the configuration
// points at, plus one local worker in the default pool (GANTRY_LOCAL_WORKER), so stacks that
// name no pool run at once. Each can also run on its own: npm run server | drain | scheduler | worker.
import { loadConfig } from "./shared/config/config.ts";
import { createLogger } from "./shared/log.ts";
import { connectDatabase, prepareDatabase } from "./shared/db/open.ts";
import { StartupGate } from "./shared/readiness.ts";
import { aborted, runProcess } from "./shared/lifecycle.ts";
import { loadSecretKey } from "./shared/secret_key.ts";
import { startServer } from "./server/server.ts";
import { bootstrapAdminKey } from "./shared/auth/bootstrap.ts";
import { startDrain } from "./drain/drain.ts";
import { schedulingSettings } from "./shared/workers/assignment.ts";
import { defaultRegistry } from "./drain/registry.ts";
import { vcsDrainDeps } from "./shared/vcs/process.ts";
import { runScheduler } from "./scheduler/scheduler.ts";
import { ensureDefaultPool } from "./shared/workers/default_pool.ts";
import { startAgent, type Agent } from "./worker/agent.ts";
import { loadWorkerConfig } from "./worker/config.ts";
import { join } from "node:path";

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
  const drain = await startDrain({ sql: db.sql, log, registry: defaultRegistry({ mqtt: server.mqtt, settings: schedulingSettings(config), vcs: vcsDrainDeps(loadSecretKey(config), server.url) }), queue: config.queue, shutdownTimeoutSeconds: config.shutdownTimeoutSeconds });
  const scheduler = new AbortController();
  const schedulerDone = runScheduler({ sql: db.sql, log }, scheduler.signal);
  const workerStop = new AbortController();
  let worker: Agent | null = null;
  if (config.localWorker) {
    const pool = await ensureDefaultPool(db.sql, config.dataDir, { serverUrl: server.url, brokerEndpoint: server.brokerEndpoint });
    const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith("GANTRY_WORKER_POOL_TOKEN")));
    const workerConfig = loadWorkerConfig({ ...env, GANTRY_WORKER_POOL_TOKEN: pool.token, GANTRY_WORKER_WORK_DIR: env.GANTRY_WORKER_WORK_DIR ?? join(config.dataDir, "worker"), GANTRY_METADATA_local: "true" });
    // A worker that cannot start (an external broker refusing it, say) does not take the rest down.
    worker = await startAgent(workerConfig, log.child({ process: "local-worker" }), workerStop.signal).catch((error) => {
      log.error("the local worker did not start; stacks without a worker pool wait for a worker of the default pool", { reason: (error as Error).message });
      return null;
    });
  }

  const lines = [
    `Gantry is up in ${Math.round(performance.now() - started)} ms`,
    `  URL:             ${server.url}`,
    `  MQTT broker:     ${config.mqtt.type === "builtin" ? `built-in on port ${server.mqttPort}` : `external at ${config.mqtt.endpoint.replace(/\/\/[^@/]*@/, "//")}`}`,
    `  Database:        ${db.embedded ? `embedded PostgreSQL in ${db.location}` : "DATABASE_URL"}`,
    `  Object storage:  ${config.objectStorage.type === "filesystem" ? config.objectStorage.root : "S3"}`,
    `  Data directory:  ${config.dataDir}`,
    `  Local worker:    ${worker ? `${worker.workerId} in the default pool (stacks without a worker pool run here)` : "off (GANTRY_LOCAL_WORKER=false)"}`,
  ];
  if (admin) lines.push(`  Admin API key:   ${admin.id} (secret ${admin.secret}; also in ${admin.file}, shown once)`);
  console.log(lines.join("\n"));

  await aborted(signal);
  log.info("shutting down");
  if (worker) {
    // The local worker finishes its current run first, as a worker does on SIGTERM, within the shutdown timeout.
    workerStop.abort();
    const late = await Promise.race([worker.done.then(() => false), new Promise<boolean>((r) => setTimeout(() => r(true), config.shutdownTimeoutSeconds * 1000))]);
    if (late) log.warn("the local worker's run did not finish within GANTRY_SHUTDOWN_TIMEOUT_SECONDS; it will be failed as lost");
  }
  scheduler.abort();
  await schedulerDone;
  await server.stop();
  await drain.stop();
  await db.close();
});
