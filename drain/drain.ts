// The drain: one consumer per queue, sharing one LISTEN connection. stop() stops claiming, lets
// running jobs finish until the shutdown deadline, then returns the leases of the rest.
import type { Config } from "../shared/config/config.ts";
import { QUEUE_NAMES, type QueueName } from "../shared/queue/jobs.ts";
import { Consumer, listenForJobs, type Registry } from "../shared/queue/consumer.ts";
import type { Sql } from "../shared/db/connect.ts";
import type { Logger } from "../shared/log.ts";

export type DrainOptions = Readonly<{
  sql: Sql;
  log: Logger;
  registry: Registry;
  queue: Config["queue"];
  shutdownTimeoutSeconds: number;
  queues?: readonly QueueName[];
  backoffBaseMs?: number;
}>;

export type Drain = Readonly<{ consumers: readonly Consumer[]; stop(): Promise<{ finished: number; returned: number }> }>;

export async function startDrain(options: DrainOptions): Promise<Drain> {
  const queues = options.queues ?? QUEUE_NAMES;
  const consumers = queues.map(
    (queue) =>
      new Consumer({
        sql: options.sql,
        queue,
        registry: options.registry,
        log: options.log.child({ queue }),
        concurrency: options.queue.concurrency[queue],
        leaseSeconds: options.queue.leaseSeconds,
        pollIntervalMs: options.queue.pollIntervalMs,
        backoffBaseMs: options.backoffBaseMs,
      }),
  );
  const listener = await listenForJobs(options.sql, consumers, queues);
  const controller = new AbortController();
  const loops = consumers.map((c) => c.start(controller.signal));
  options.log.info("drain started", { queues: queues.join(",") });
  let stopped: Promise<{ finished: number; returned: number }> | null = null;
  return {
    consumers,
    stop: () =>
      (stopped ??= (async () => {
        controller.abort();
        await Promise.all(loops);
        await listener.unlisten().catch(() => {});
        const results = await Promise.all(consumers.map((c) => c.drain(options.shutdownTimeoutSeconds * 1000)));
        const total = results.reduce((a, r) => ({ finished: a.finished + r.finished, returned: a.returned + r.returned }), { finished: 0, returned: 0 });
        options.log.info("drain stopped", total);
        return total;
      })()),
  };
}
