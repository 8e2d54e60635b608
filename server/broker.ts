// The built-in MQTT broker (aedes) on :1984. Every client authenticates; the server's own
// processes use credentials derived from the secret key, workers use the credentials they receive
// at registration (resolved by `resolveWorker`). Publish and subscribe are checked per topic
// against shared/mqtt/acl.ts.
import { Aedes, type Client } from "aedes";
import type { Server } from "node:net";
import { timingSafeEqual } from "node:crypto";
import { mayPublish, maySubscribe, type Principal } from "../shared/mqtt/acl.ts";
import { matches, type MessageHandler, type MqttLink } from "../shared/mqtt/link.ts";
import { boundPort, listenTcp } from "../shared/net/listen.ts";
import type { Logger } from "../shared/log.ts";

export type WorkerResolver = (username: string, password: string) => Promise<Principal | null>;

export type BuiltinBroker = MqttLink & { port: number };

export async function startBuiltinBroker(options: {
  host: string;
  port: number;
  server: { username: string; password: string };
  resolveWorker?: WorkerResolver;
  log: Logger;
}): Promise<BuiltinBroker> {
  const { log } = options;
  const principals = new WeakMap<Client, Principal>();
  // concurrency 0: aedes's message emitter (mqemitter) never queues. With its default (100), a
  // message past 100 in flight waits in a queue, and each queued message that completes
  // synchronously (no subscriber left, e.g. a worker whose socket just died, or our own
  // synchronous subscription below) starts the next queued one on the same stack: a flood of
  // QoS 0 messages overflowed the stack and killed the server (server/broker_flood_test.ts).
  // Backpressure stays per client: aedes reads a client's next packets only once the previous
  // ones are delivered, and a subscriber that does not drain its socket within drainTimeout
  // (aedes default, 60 s) is disconnected.
  const broker = await Aedes.createBroker({ id: "gantry", concurrency: 0 });
  let published = 0;
  let received = 0;

  broker.authenticate = (client, username, password, done) => {
    const fail = () => done(Object.assign(new Error("bad username or password"), { returnCode: 4 as const }), false);
    if (!username || !password) return fail();
    if (username === options.server.username && safeEqual(password.toString(), options.server.password)) {
      principals.set(client, { kind: "server" });
      return done(null, true);
    }
    if (!options.resolveWorker) return fail();
    options.resolveWorker(username, password.toString()).then(
      (principal) => {
        if (!principal) return fail();
        principals.set(client, principal);
        done(null, true);
      },
      (error) => {
        log.warn("MQTT authentication failed", { reason: (error as Error).message });
        done(Object.assign(new Error("server unavailable"), { returnCode: 3 as const }), false);
      },
    );
  };
  broker.authorizePublish = (client, packet, done) => {
    if (!client) return done(null); // the broker itself
    const principal = principals.get(client);
    if (principal && mayPublish(principal, packet.topic)) return done(null);
    log.warn("MQTT publish refused", { client: client.id, topic: packet.topic });
    done(new Error("publish not allowed"));
  };
  broker.authorizeSubscribe = (client, subscription, done) => {
    const principal = principals.get(client);
    if (principal && maySubscribe(principal, subscription.topic)) return done(null, subscription);
    log.warn("MQTT subscription refused", { client: client.id, topic: subscription.topic });
    done(null, null); // SUBACK failure; the connection stays up
  };
  broker.on("publish", (_packet, client) => {
    if (client) received++;
  });

  let tcp: Server;
  try {
    tcp = await listenTcp(broker.handle as never, options.host, options.port, "MQTT_BROKER_BUILTIN_PORT");
  } catch (error) {
    await new Promise<void>((r) => broker.close(() => r()));
    throw error;
  }
  const port = boundPort(tcp);
  log.info("built-in MQTT broker listening", { port });
  return {
    kind: "builtin",
    port,
    isUp: () => tcp.listening && !broker.closed,
    publish: (topic, payload, qos = 1) =>
      new Promise((resolve, reject) =>
        broker.publish({ cmd: "publish", topic, payload: typeof payload === "string" ? Buffer.from(payload) : payload, qos, retain: false, dup: false }, (error) => {
          if (error) return reject(error);
          published++;
          resolve();
        }),
      ),
    subscribe: (filter, handler: MessageHandler) =>
      new Promise((resolve) =>
        broker.subscribe(
          filter,
          (packet, cb) => {
            if (matches(filter, packet.topic)) handler(packet.topic, Buffer.from(packet.payload as Buffer));
            cb();
          },
          () => resolve(),
        ),
      ),
    stats: () => ({ clients: broker.connectedClients, published, received }),
    close: async () => {
      await new Promise<void>((r) => broker.close(() => r()));
      await new Promise<void>((r) => tcp.close(() => r()));
    },
  };
}

function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}
