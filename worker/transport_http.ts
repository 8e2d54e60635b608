// The HTTP long-poll transport: what a worker uses when it reaches no MQTT broker. It carries the
// same messages as MQTT (shared/workers/protocol.ts) over the worker API: GET /worker/messages
// long-polls the worker's outbox, POST /worker/messages sends a heartbeat. It presents the same
// MqttLink face, so the agent does not care which transport it has.
import type { Logger } from "../shared/log.ts";
import type { MessageHandler, MqttLink } from "../shared/mqtt/link.ts";

export const POLL_WAIT_SECONDS = 25;

export function connectHttpTransport(options: Readonly<{ serverUrl: string; workerToken: string; log: Logger }>): MqttLink {
  const stop = new AbortController();
  let up = true;
  let published = 0;
  let received = 0;
  const headers = { authorization: `Bearer ${options.workerToken}`, "content-type": "application/json" };
  let loop: Promise<void> = Promise.resolve();

  const poll = async (topic: string, handler: MessageHandler) => {
    let cursor = 0;
    for (let failures = 0; !stop.signal.aborted; ) {
      try {
        const response = await fetch(`${options.serverUrl}/worker/messages?after=${cursor}&wait=${POLL_WAIT_SECONDS}`, {
          headers,
          signal: AbortSignal.any([stop.signal, AbortSignal.timeout((POLL_WAIT_SECONDS + 15) * 1000)]),
        });
        if (!response.ok) throw new Error(`GET /worker/messages: ${response.status}`);
        const body = (await response.json()) as { messages: unknown[]; cursor: number };
        cursor = body.cursor;
        if (!up) options.log.info("HTTP transport reconnected");
        up = true;
        failures = 0;
        for (const message of body.messages) {
          received++;
          handler(topic, Buffer.from(JSON.stringify(message)));
        }
      } catch (error) {
        if (stop.signal.aborted) return;
        up = false;
        failures++;
        const wait = Math.min(500 * 2 ** failures, 15_000);
        options.log.warn("HTTP transport: long poll failed, retrying", { reason: (error as Error).message, retry_in_ms: wait });
        await new Promise((r) => setTimeout(r, wait));
      }
    }
  };

  return {
    kind: "external",
    isUp: () => up,
    publish: async (_topic, payload) => {
      const response = await fetch(`${options.serverUrl}/worker/messages`, {
        method: "POST",
        headers,
        body: JSON.stringify({ message: JSON.parse(payload.toString()) }),
        signal: AbortSignal.timeout(15_000),
      });
      if (!response.ok) throw new Error(`POST /worker/messages: ${response.status}`);
      await response.body?.cancel();
      published++;
    },
    subscribe: async (filter, handler) => {
      loop = poll(filter, handler);
    },
    stats: () => ({ clients: null, published, received }),
    close: async () => {
      stop.abort();
      await loop;
    },
  };
}
