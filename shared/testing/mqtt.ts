// The broker a test should use: the real external one when the suite runs with
// MQTT_BROKER_TYPE=external (CI's second pass, Mosquitto), else none (tests start the built-in).
import { createConnection } from "node:net";

export function externalBroker(): { url: string; username?: string; password?: string } | null {
  if (process.env.MQTT_BROKER_TYPE !== "external") return null;
  const url = process.env.MQTT_BROKER_ENDPOINT;
  if (!url) throw new Error("MQTT_BROKER_TYPE=external needs MQTT_BROKER_ENDPOINT");
  return { url, username: process.env.MQTT_BROKER_USERNAME, password: process.env.MQTT_BROKER_PASSWORD };
}

/** Whether something listens at host:port (to skip, with a reason, when a broker is absent). */
export function reachable(host: string, port: number, timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host, port });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once("connect", () => done(true));
    socket.once("error", () => done(false));
  });
}
