// A process's connection to the MQTT side: publish, subscribe, and whether it is up. The built-in
// broker (server/broker.ts) implements it in-process; connectExternal() implements it as a client
// of an external broker such as Mosquitto (or of the built-in one, from another process).
import mqtt from "mqtt";
import type { Logger } from "../log.ts";

export type MessageHandler = (topic: string, payload: Buffer) => void;

export interface MqttLink {
  readonly kind: "builtin" | "external";
  isUp(): boolean;
  publish(topic: string, payload: string | Buffer, qos?: 0 | 1): Promise<void>;
  subscribe(filter: string, handler: MessageHandler): Promise<void>;
  stats(): { clients: number | null; published: number; received: number };
  close(): Promise<void>;
}

export async function connectExternal(
  options: { url: string; username?: string | null; password?: string | null; clientId: string; log: Logger; connectTimeoutMs?: number },
): Promise<MqttLink> {
  const client = mqtt.connect(options.url, {
    clientId: options.clientId,
    username: options.username ?? undefined,
    password: options.password ?? undefined,
    clean: true,
    reconnectPeriod: 1000,
    connectTimeout: options.connectTimeoutMs ?? 10_000,
    protocolVersion: 4,
  });
  const handlers: Array<{ filter: string; handler: MessageHandler }> = [];
  let published = 0;
  let received = 0;
  client.on("message", (topic, payload) => {
    received++;
    for (const h of handlers) if (matches(h.filter, topic)) h.handler(topic, payload);
  });
  let wasUp = false;
  client.on("connect", () => {
    if (wasUp) options.log.info("MQTT reconnected", { broker: redact(options.url) });
    wasUp = true;
  });
  client.on("offline", () => options.log.warn("MQTT connection lost, reconnecting", { broker: redact(options.url) }));
  client.on("error", (error) => options.log.warn("MQTT error", { broker: redact(options.url), reason: error.message }));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      client.end(true);
      reject(new Error(`MQTT broker ${redact(options.url)} not reachable within ${(options.connectTimeoutMs ?? 10_000) / 1000} s`));
    }, options.connectTimeoutMs ?? 10_000);
    client.once("connect", () => {
      clearTimeout(timer);
      resolve();
    });
    client.once("error", (error) => {
      if ((error as { code?: number }).code === 4 || (error as { code?: number }).code === 5) {
        clearTimeout(timer);
        client.end(true);
        reject(new Error(`MQTT broker ${redact(options.url)} refused the credentials`));
      }
    });
  });
  return {
    kind: "external",
    isUp: () => client.connected,
    publish: async (topic, payload, qos = 1) => {
      await client.publishAsync(topic, payload, { qos });
      published++;
    },
    subscribe: async (filter, handler) => {
      handlers.push({ filter, handler });
      await client.subscribeAsync(filter, { qos: 1 });
    },
    stats: () => ({ clients: null, published, received }),
    close: () => client.endAsync(),
  };
}

/** MQTT topic filter matching with + and #. */
export function matches(filter: string, topic: string): boolean {
  const f = filter.split("/");
  const t = topic.split("/");
  for (let i = 0; i < f.length; i++) {
    if (f[i] === "#") return true;
    if (i >= t.length) return false;
    if (f[i] !== "+" && f[i] !== t[i]) return false;
  }
  return f.length === t.length;
}

function redact(url: string): string {
  try {
    const u = new URL(url);
    u.username = "";
    u.password = "";
    return u.toString();
  } catch {
    return "(invalid url)";
  }
}
