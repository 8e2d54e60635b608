// Who may publish and subscribe to what on the built-in broker. Pure functions, tested directly.
import { readonlyTopic, TOPIC_ROOT, writeonlyTopic } from "./topics.ts";

export type Principal = Readonly<{ kind: "server" }> | Readonly<{ kind: "worker"; pool: string; worker: string }>;

export function mayPublish(principal: Principal, topic: string): boolean {
  if (principal.kind === "server") return topic.startsWith(`${TOPIC_ROOT}/`) && !/[+#]/.test(topic);
  return topic === writeonlyTopic(principal.pool, principal.worker);
}

export function maySubscribe(principal: Principal, filter: string): boolean {
  if (principal.kind === "server") return filter.startsWith(`${TOPIC_ROOT}/`);
  // Exact topic only: a wildcard could reach another worker's messages.
  return filter === readonlyTopic(principal.pool, principal.worker);
}
