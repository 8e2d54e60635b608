// The server process: `npm run server`. HTTP comes up first, so /healthz answers and /readyz
// reports "not ready" while the database is still out of reach.
import { loadConfig } from "../shared/config/config.ts";
import { createLogger } from "../shared/log.ts";
import { connectDatabase, prepareDatabase } from "../shared/db/open.ts";
import { aborted, runProcess } from "../shared/lifecycle.ts";
import { loadSecretKey } from "../shared/secret_key.ts";
import { StartupGate } from "../shared/readiness.ts";
import { startServer } from "./server.ts";
import { bootstrapAdminKey } from "../shared/auth/bootstrap.ts";

await runProcess("server", async (signal) => {
  const config = loadConfig();
  const log = createLogger({ level: config.logLevel, format: config.logFormat }, { process: "server" });
  const db = await connectDatabase(config, log, "gantry-server");
  const gate = new StartupGate();
  const server = await startServer({ config, sql: db.sql, log, secretKey: loadSecretKey(config), probes: [gate.probe] });
  try {
    await prepareDatabase(db, config, log, signal);
    const admin = await bootstrapAdminKey(db.sql, config.dataDir, server.url);
    // Printed once, not logged: the secret is also in the 0600 file.
    if (admin) console.log(`Admin API key: ${admin.id} (secret ${admin.secret}; also in ${admin.file}, shown once)`);
    gate.open();
    await aborted(signal);
  } finally {
    await server.stop();
    await db.close();
  }
});
