// Phase 1: READY → assignment received, with N lightweight workers connected and heartbeating.
//
// One run at a time: a TASK is created with the shared operation (createTask: the run and its
// schedule_stack job in one transaction, NOTIFY wakes the drain of the Gantry process); the drain
// promotes it to READY, assigns it to an idle worker and publishes the assignment; the worker that
// receives it notes the time, then accepts and finishes the run over HTTPS as a real worker does,
// so it is idle again. The READY instant is the `created_at` of the run's READY transition
// (PostgreSQL's now(), i.e. the start of that transition's transaction, slightly before its
// commit), moved onto this process's clock with the measured offset. Stacks are rotated so that a
// run never waits behind the previous run's follow-up jobs on its stack's FIFO queue.
//
// Baseline, interleaved with the samples: a raw MQTT publish (QoS 1, as assignments are sent) from
// a client in this process to one of the same workers' readonly topic on the same broker, timed
// from the publish call to the worker's message handler.
import type { MqttClient } from "mqtt";
import { SYSTEM_ACTOR } from "../../shared/auth/roles.ts";
import { readonlyTopic } from "../../shared/mqtt/topics.ts";
import { createTask } from "../../shared/runs/operations.ts";
import { createStack } from "../../shared/stacks/operations.ts";
import { createWorkerPool } from "../../shared/workers/operations.ts";
import { connectWorkers, registerWorkers } from "./fake_workers.ts";
import { clockOffset, Mailbox, percentiles, sleep, toPerformanceClock, waitUntil, type Gantry, type Percentiles, type Scope } from "./support.ts";

export type DispatchResult = Readonly<{
  readyToReceived: Percentiles;
  triggerToReceived: Percentiles;
  baseline: Percentiles;
  clock: { offsetMs: number; rttMs: number };
}>;

const STACKS = 10;
const WARMUP = 20;

export async function measureDispatch(
  scope: Scope,
  gantry: Gantry,
  options: { workers: number; samples: number; publisher: MqttClient; progress: (line: string) => void },
): Promise<DispatchResult> {
  const { sql } = gantry.db;
  const { pool, token } = await createWorkerPool(sql, SYSTEM_ACTOR, { name: "dispatch" }, { serverUrl: gantry.url, brokerEndpoint: gantry.brokerEndpoint });
  const stacks: string[] = [];
  for (let s = 0; s < STACKS; s++) {
    stacks.push((await createStack(sql, SYSTEM_ACTOR, { name: `dispatch-${s}`, repository: "file:///nowhere", branch: "main", workerPool: pool.id })).id);
  }

  const events = new Mailbox<number>();
  const served = new Mailbox<Error | null>();
  const registrations = await registerWorkers(gantry.url, token, options.workers);
  const workers = await connectWorkers(registrations, {
    onMessage: ({ message, at }) => {
      if (message.type === "assign") events.put(`assign:${String(message.runId)}`, at);
      else if (message.type === "bench") events.put(`baseline:${String(message.seq)}`, at);
    },
    serve: { serverUrl: gantry.url, done: (runId, error) => served.put(runId, error) },
  });
  scope.add(() => Promise.all(workers.map((w) => w.close())));
  // Every worker's first heartbeat has gone through the worker_messages queue: all may get runs.
  await waitUntil(
    async () => (await sql<{ n: number }[]>`select count(*)::int as n from workers where pool_id = ${pool.id} and last_seen_at is not null`)[0].n === options.workers,
    30_000,
    `${options.workers} workers to be seen by the drain`,
  );
  options.progress(`${options.workers} workers registered, connected and seen`);

  const clock = await clockOffset(sql);
  const readyToReceived: number[] = [];
  const triggerToReceived: number[] = [];
  const baseline: number[] = [];
  for (let i = -WARMUP; i < options.samples; i++) {
    // A dispatch.
    const triggered = performance.now();
    const run = await createTask(sql, SYSTEM_ACTOR, stacks[(i + WARMUP) % STACKS], "true", false);
    const received = await events.take(`assign:${run.id}`, 15_000, `the assignment of run ${run.id}`);
    const error = await served.take(run.id, 15_000, `run ${run.id} to be finished by its worker`);
    if (error) throw new Error(`a worker could not finish run ${run.id}: ${error.message}`);
    const [ready] = await sql<{ t: number }[]>`
      select (extract(epoch from created_at) * 1000)::float8 as t from run_transitions where run_id = ${run.id} and state = 'READY'`;
    if (i >= 0) {
      readyToReceived.push(received - toPerformanceClock(ready.t, clock.offsetMs));
      triggerToReceived.push(received - triggered);
    }

    // A raw publish on the same broker, to one of the same workers.
    const to = workers[(i + WARMUP) % workers.length].registration;
    const seq = i + WARMUP;
    const published = performance.now();
    options.publisher.publish(readonlyTopic(to.poolId, to.workerId), JSON.stringify({ type: "bench", seq }), { qos: 1 });
    const arrived = await events.take(`baseline:${seq}`, 15_000, "a raw MQTT message");
    if (i >= 0) baseline.push(arrived - published);

    await sleep(10 + Math.random() * 20); // idle between samples; lets the follow-up jobs run
    if (i >= 0 && (i + 1) % 50 === 0) options.progress(`${i + 1}/${options.samples} dispatches`);
  }
  return { readyToReceived: percentiles(readyToReceived), triggerToReceived: percentiles(triggerToReceived), baseline: percentiles(baseline), clock };
}
