// Lightweight workers: registered through POST /worker/register with a real pool token, connected
// to the broker with the credentials received, subscribed to their own readonly topic and sending
// heartbeats, exactly as worker/agent.ts does, but without executing anything. A worker asked to
// `serve` answers an assignment the way a real one does over HTTPS (accept, then PERFORMING and
// FINISHED), so its run ends and it is idle again for the next one.
import mqtt, { type MqttClient } from "mqtt";
import { readonlyTopic, writeonlyTopic } from "../../shared/mqtt/topics.ts";
import { decodePoolToken } from "../../shared/workers/pool_token.ts";
import type { Heartbeat, RegisterResponse } from "../../shared/workers/protocol.ts";
import { workerApi } from "../../worker/api_client.ts";

export type Received = Readonly<{ worker: string; message: Record<string, unknown>; at: number }>;

export type FakeWorker = Readonly<{ registration: RegisterResponse; client: MqttClient; close(): Promise<void> }>;

export async function registerWorkers(serverUrl: string, poolToken: string, count: number, parallel = 4): Promise<RegisterResponse[]> {
  const { poolId, secret } = decodePoolToken(poolToken);
  const out: RegisterResponse[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: parallel }, async () => {
      while (next < count) {
        next++;
        out.push(await workerApi(serverUrl).register(poolId, secret, { bench: "dispatch" }));
      }
    }),
  );
  return out;
}

/**
 * Connects one registered worker. `onMessage` sees every message on its readonly topic with the
 * time it arrived (performance.now(), taken first thing in the handler).
 */
export async function connectWorker(
  registration: RegisterResponse,
  options: { endpoint?: string; onMessage?: (received: Received) => void; serve?: { serverUrl: string; done: (runId: string, error: Error | null) => void } },
): Promise<FakeWorker> {
  const { workerId, poolId } = registration;
  const client = await mqtt.connectAsync(options.endpoint ?? registration.broker.endpoint, {
    clientId: `gantry-bench-${workerId}`,
    username: registration.broker.username,
    password: registration.broker.password,
    reconnectPeriod: 0,
    connectTimeout: 10_000,
  });
  client.on("error", () => {});
  const api = workerApi(options.serve?.serverUrl ?? "http://unused.invalid");
  api.setWorkerToken(registration.workerToken);
  client.on("message", (_topic, payload) => {
    const at = performance.now();
    let message: Record<string, unknown>;
    try {
      message = JSON.parse(payload.toString());
    } catch {
      return;
    }
    options.onMessage?.({ worker: workerId, message, at });
    const serve = options.serve;
    if (serve && message.type === "assign" && typeof message.runId === "string") {
      const runId = message.runId;
      (async () => {
        const { runToken } = await api.accept(runId);
        await api.report(runId, runToken, { state: "PERFORMING" });
        await api.report(runId, runToken, { state: "FINISHED" });
      })().then(
        () => serve.done(runId, null),
        (error: Error) => serve.done(runId, error),
      );
    }
  });
  await client.subscribeAsync(readonlyTopic(poolId, workerId), { qos: 1 });
  const heartbeat = () => {
    const message: Heartbeat = { type: "heartbeat", runId: null };
    client.publish(writeonlyTopic(poolId, workerId), JSON.stringify(message), { qos: 1 }, () => {});
  };
  heartbeat();
  const beat = setInterval(heartbeat, registration.heartbeatSeconds * 1000);
  return {
    registration,
    client,
    close: async () => {
      clearInterval(beat);
      await client.endAsync(true).catch(() => {});
    },
  };
}

/** Connects many, a few at a time (each connection costs the server a scrypt verification). */
export async function connectWorkers(registrations: readonly RegisterResponse[], options: Parameters<typeof connectWorker>[1], parallel = 8): Promise<FakeWorker[]> {
  const out: FakeWorker[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: parallel }, async () => {
      while (next < registrations.length) out.push(await connectWorker(registrations[next++], options));
    }),
  );
  return out;
}
