// MQTT topics between the server side and workers. A worker reads only its own readonly topic and
// writes only its own writeonly topic; the built-in broker enforces this (see acl.ts), and an
// external broker must be configured with the same rules.
//
//   gantry/readonly/<pool>/<worker>   server → worker (assignments, cancel, exit)
//   gantry/writeonly/<pool>/<worker>  worker → server (acknowledgements, heartbeats)
export const TOPIC_ROOT = "gantry";
const ID = /^[A-Za-z0-9_-]{1,64}$/;

export const readonlyTopic = (pool: string, worker: string) => `${TOPIC_ROOT}/readonly/${checkId(pool)}/${checkId(worker)}`;
export const writeonlyTopic = (pool: string, worker: string) => `${TOPIC_ROOT}/writeonly/${checkId(pool)}/${checkId(worker)}`;
/** What the server side subscribes to: every worker's writeonly topic. */
export const ALL_WORKER_MESSAGES = `${TOPIC_ROOT}/writeonly/+/+`;

export function parseWriteonlyTopic(topic: string): { pool: string; worker: string } | null {
  const parts = topic.split("/");
  if (parts.length !== 4 || parts[0] !== TOPIC_ROOT || parts[1] !== "writeonly" || !ID.test(parts[2]) || !ID.test(parts[3])) return null;
  return { pool: parts[2], worker: parts[3] };
}

function checkId(id: string): string {
  if (!ID.test(id)) throw new Error(`invalid id for an MQTT topic: ${JSON.stringify(id)}`);
  return id;
}
