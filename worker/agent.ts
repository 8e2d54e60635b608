// The worker agent: registers with the pool token, connects to the broker with the credentials it
// receives, listens on its own readonly topic, sends heartbeats, and executes one run at a time.
// The protocol is documented in shared/workers/protocol.ts. It stops when its signal aborts or the
// server asks it to exit (workerPoolCycle): it finishes its current run, leaves, disconnects.
import { connectExternal, type MqttLink } from "../shared/mqtt/link.ts";
import { readonlyTopic, writeonlyTopic } from "../shared/mqtt/topics.ts";
import type { Logger } from "../shared/log.ts";
import { parseServerMessage, type Assign, type Heartbeat, type RegisterResponse, type Stop } from "../shared/workers/protocol.ts";
import { ApiError, workerApi } from "./api_client.ts";
import type { WorkerConfig } from "./config.ts";
import { runControl, type RunControl } from "./control.ts";
import { createDrivers } from "./drivers/registry.ts";
import { executeRun, type RunChannel } from "./execute.ts";
import { createRunLogs } from "./logs.ts";
import { connectHttpTransport } from "./transport_http.ts";
import { secretValues } from "./environment.ts";

export type Agent = Readonly<{ workerId: string; poolId: string; done: Promise<void> }>;

/**
 * The channel server messages come by: the broker (client id = the worker id, which an external
 * broker's ACL can match), or the HTTP long poll when the broker cannot be reached (auto) or by
 * choice (GANTRY_WORKER_TRANSPORT=http).
 */
async function connectTransport(config: WorkerConfig, registration: RegisterResponse, log: Logger): Promise<MqttLink> {
  const http = () => connectHttpTransport({ serverUrl: config.token.serverUrl, workerToken: registration.workerToken, log });
  if (config.transport === "http") return http();
  try {
    return await connectExternal({
      url: config.brokerEndpoint ?? registration.broker.endpoint,
      username: registration.broker.username,
      password: registration.broker.password,
      clientId: registration.workerId,
      log,
      connectTimeoutMs: 10_000,
    });
  } catch (error) {
    if (config.transport === "mqtt") throw error;
    log.warn("MQTT broker not reachable: using the HTTP long-poll transport", { reason: (error as Error).message });
    return http();
  }
}

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
    link = await connectTransport(config, registration, wlog);
  } catch (error) {
    await api.leave().catch(() => {});
    throw error;
  }

  const drivers = createDrivers(config.tools);
  let current: { runId: string; done: Promise<void>; control: RunControl } | null = null;
  let exiting = false;
  let finish: () => void = () => {};
  const finished = new Promise<void>((resolve) => (finish = resolve));

  const heartbeat = () => {
    const message: Heartbeat = { type: "heartbeat", runId: current?.runId ?? null };
    link.publish(writeonlyTopic(poolId, workerId), JSON.stringify(message), 1).catch((error) => wlog.warn("heartbeat not sent", { reason: (error as Error).message }));
  };
  const beat = setInterval(heartbeat, registration.heartbeatSeconds * 1000);

  const take = (assign: Assign) => {
    if (current?.runId === assign.runId) return; // a duplicate delivery: already ours
    if (current || exiting) return wlog.info("assignment ignored: busy or exiting", { run: assign.runId });
    const control = runControl();
    const done = (async () => {
      try {
        const { run, runToken } = await api.accept(assign.runId);
        wlog.info("run accepted", { run: run.id, type: run.type, phase: run.phase });
        heartbeat();
        const channel: RunChannel = {
          report: (report) => api.report(run.id, runToken, report),
          plan: (summary) => api.plan(run.id, runToken, summary),
          outputs: (outputs) => api.outputs(run.id, runToken, outputs),
        };
        const logs = createRunLogs({
          urls: async (request) => (await api.logUrls(run.id, runToken, request)).urls,
          secrets: secretValues(run),
          log: wlog.child({ run: run.id }),
        });
        const outcome = await executeRun({ run, channel, drivers, workDir: config.workDir, log: wlog, baseEnv: config.runEnvironment, logs, control });
        wlog.info("run left the worker", { run: run.id, outcome });
      } catch (error) {
        wlog.warn("run not completed", { run: assign.runId, reason: (error as Error).message });
      } finally {
        current = null;
        heartbeat();
        if (exiting) finish();
      }
    })();
    current = { runId: assign.runId, done, control };
  };

  const stop = (message: Stop) => {
    if (current?.runId !== message.runId) return wlog.info("stop ignored: not the current run", { run: message.runId });
    wlog.info("stopping the run", { run: message.runId, signal: message.signal, reason: message.reason });
    current.control.stop(message.signal, message.reason || "stopped by the server", true);
  };

  await link.subscribe(readonlyTopic(poolId, workerId), (_topic, payload) => {
    const message = parseServerMessage(payload);
    if (!message) return wlog.warn("message from the server not understood");
    if (message.type === "assign") take(message);
    else if (message.type === "stop") stop(message);
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
