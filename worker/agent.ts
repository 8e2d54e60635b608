// The worker agent: registers with the pool token, connects to the broker with the credentials it
// receives, listens on its own readonly topic, sends heartbeats, and executes one run at a time.
// The protocol is documented in shared/workers/protocol.ts. It stops when its signal aborts or the
// server asks it to exit (workerPoolCycle): it finishes its current run, leaves, disconnects.
import { connectExternal, type MqttLink } from "../shared/mqtt/link.ts";
import { readonlyTopic, writeonlyTopic } from "../shared/mqtt/topics.ts";
import type { Logger } from "../shared/log.ts";
import { parseServerMessage, type Assign, type Heartbeat, type RegisterResponse } from "../shared/workers/protocol.ts";
import { ApiError, workerApi } from "./api_client.ts";
import type { WorkerConfig } from "./config.ts";
import type { Driver } from "./drivers/driver.ts";
import { taskDriver } from "./drivers/task.ts";
import { executeRun } from "./execute.ts";

export const DRIVERS: readonly Driver[] = Object.freeze([taskDriver]);

export type Agent = Readonly<{ workerId: string; poolId: string; done: Promise<void> }>;

/** Registration, retried while the server is unreachable; a refused token ends it. */
async function register(api: ReturnType<typeof workerApi>, config: WorkerConfig, log: Logger, signal: AbortSignal): Promise<RegisterResponse> {
  for (let wait = 500; ; wait = Math.min(wait * 2, 30_000)) {
    try {
      return await api.register(config.token.poolId, config.token.secret, config.metadata);
    } catch (error) {
      if (error instanceof ApiError && error.status < 500) throw new Error(`registration refused: ${error.message}`);
      if (signal.aborted) throw error;
      log.warn("server unreachable, retrying registration", { reason: (error as Error).message, retry_in_ms: wait });
      await new Promise((r) => setTimeout(r, wait));
    }
  }
}

export async function startAgent(config: WorkerConfig, log: Logger, signal: AbortSignal): Promise<Agent> {
  const api = workerApi(config.token.serverUrl);
  const registration = await register(api, config, log, signal);
  api.setWorkerToken(registration.workerToken);
  const { workerId, poolId } = registration;
  const wlog = log.child({ worker: workerId });
  let link: MqttLink;
  try {
    link = await connectExternal({
      url: config.brokerEndpoint ?? registration.broker.endpoint,
      username: registration.broker.username,
      password: registration.broker.password,
      clientId: `gantry-worker-${workerId}`,
      log: wlog,
    });
  } catch (error) {
    await api.leave().catch(() => {});
    throw error;
  }

  let current: { runId: string; done: Promise<void> } | null = null;
  let exiting = false;
  let finish: () => void = () => {};
  const finished = new Promise<void>((resolve) => (finish = resolve));
  const runs = new AbortController();

  const heartbeat = () => {
    const message: Heartbeat = { type: "heartbeat", runId: current?.runId ?? null };
    link.publish(writeonlyTopic(poolId, workerId), JSON.stringify(message), 1).catch((error) => wlog.warn("heartbeat not sent", { reason: (error as Error).message }));
  };
  const beat = setInterval(heartbeat, registration.heartbeatSeconds * 1000);

  const take = (assign: Assign) => {
    if (current?.runId === assign.runId) return; // a duplicate delivery: already ours
    if (current || exiting) return wlog.info("assignment ignored: busy or exiting", { run: assign.runId });
    const done = (async () => {
      try {
        const { run, runToken } = await api.accept(assign.runId);
        wlog.info("run accepted", { run: run.id, type: run.type });
        heartbeat();
        await executeRun({ run, report: (r) => api.report(run.id, runToken, r), drivers: DRIVERS, workDir: config.workDir, log: wlog, signal: runs.signal });
      } catch (error) {
        wlog.warn("run not completed", { run: assign.runId, reason: (error as Error).message });
      } finally {
        current = null;
        heartbeat();
        if (exiting) finish();
      }
    })();
    current = { runId: assign.runId, done };
  };

  await link.subscribe(readonlyTopic(poolId, workerId), (_topic, payload) => {
    const message = parseServerMessage(payload);
    if (!message) return wlog.warn("message from the server not understood");
    if (message.type === "assign") take(message);
    else {
      wlog.info("asked to exit", { reason: message.reason });
      exiting = true;
      if (!current) finish();
    }
  });
  heartbeat();
  wlog.info("worker ready", { pool: poolId });

  const onAbort = () => {
    exiting = true;
    if (!current) finish();
  };
  signal.addEventListener("abort", onAbort, { once: true });
  if (signal.aborted) onAbort();

  const done = (async () => {
    await finished;
    signal.removeEventListener("abort", onAbort);
    clearInterval(beat);
    await (current as { done: Promise<void> } | null)?.done;
    await api.leave().catch((error) => wlog.warn("leaving failed", { reason: (error as Error).message }));
    await link.close();
    wlog.info("worker stopped");
  })();
  return { workerId, poolId, done };
}
