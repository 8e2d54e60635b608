// A Gantry process's own connection to the broker, from outside the server (the drain publishes
// assignments): the built-in broker at MQTT_BROKER_ENDPOINT with the credentials derived from the
// secret key, or the external broker with MQTT_BROKER_USERNAME/PASSWORD. Not reachable yet is not
// fatal: it keeps trying with backoff, and current() is null meanwhile.
import type { Config } from "../config/config.ts";
import type { Logger } from "../log.ts";
import { serverMqttCredentials } from "../secret_key.ts";
import { connectExternal, type MqttLink } from "./link.ts";

export type KeptLink = Readonly<{ current(): MqttLink | null; close(): Promise<void> }>;

export function keepLinked(config: Config, secretKey: string, log: Logger, name: string): KeptLink {
  const credentials = config.mqtt.type === "builtin" ? serverMqttCredentials(secretKey) : { username: config.mqtt.username, password: config.mqtt.password };
  let link: MqttLink | null = null;
  let stopping = false;
  let wake: (() => void) | null = null;
  const loop = (async () => {
    for (let wait = 500; !stopping; wait = Math.min(wait * 2, 30_000)) {
      try {
        link = await connectExternal({
          url: config.mqtt.endpoint,
          username: credentials.username,
          password: credentials.password,
          clientId: `gantry-${name}-${process.pid}-${Date.now().toString(36)}`,
          log,
        });
        log.info("connected to the MQTT broker", { process: name });
        return;
      } catch (error) {
        log.warn("MQTT broker unreachable, retrying", { reason: (error as Error).message, retry_in_ms: wait });
        await new Promise<void>((resolve) => {
          wake = resolve;
          setTimeout(resolve, wait);
        });
      }
    }
  })();
  return {
    current: () => link,
    close: async () => {
      stopping = true;
      wake?.();
      await loop;
      await (link as MqttLink | null)?.close();
    },
  };
}
