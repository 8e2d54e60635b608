// The worker process: `npm run worker`, given GANTRY_WORKER_POOL_TOKEN (or _FILE). It registers,
// takes runs of its pool one at a time, and on SIGTERM finishes the current run, then leaves.
import { createLogger } from "../shared/log.ts";
import { aborted, runProcess } from "../shared/lifecycle.ts";
import { loadWorkerConfig, WorkerConfigError } from "./config.ts";
import { startAgent } from "./agent.ts";

await runProcess("worker", async (signal) => {
  let config;
  try {
    const deno = (globalThis as { Deno?: { env: { toObject(): Record<string, string> } } }).Deno;
    config = loadWorkerConfig(deno ? deno.env.toObject() : process.env);
  } catch (error) {
    if (!(error instanceof WorkerConfigError)) throw error;
    console.error(error.message);
    process.exit(2);
  }
  const log = createLogger({ level: config.logLevel, format: config.logFormat }, { process: "worker" });
  const agent = await startAgent(config, log, signal);
  await Promise.race([agent.done, aborted(signal)]);
  await agent.done;
});
