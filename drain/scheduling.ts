// The drain's side of scheduling and of the worker protocol: QUEUED runs become READY, READY runs
// are assigned to idle workers and the assignments published (QoS 1) on the workers' readonly
// topics; worker messages from the worker_messages queue are recorded; pools are cycled. Each
// handler parses its payload and calls shared functions.
import type { Handler } from "../shared/queue/consumer.ts";
import type { MqttLink } from "../shared/mqtt/link.ts";
import { readonlyTopic } from "../shared/mqtt/topics.ts";
import { unavailable } from "../shared/errors.ts";
import { JOB_KINDS } from "../shared/queue/kinds.ts";
import { promoteQueuedRuns } from "../shared/runs/scheduling.ts";
import { getStack } from "../shared/stacks/queries.ts";
import { assignRuns, expireAssignments, failLostRuns, poolsWithWaitingRuns, type Assignment, type SchedulingSettings } from "../shared/workers/assignment.ts";
import { liveWorkerIds, touchWorker } from "../shared/workers/queries.ts";
import { parseWorkerMessage, type Assign, type Exit } from "../shared/workers/protocol.ts";
import type { ReceivedMessage } from "../shared/workers/operations.ts";
import type { Logger } from "../shared/log.ts";
import type { Sql } from "../shared/db/connect.ts";

export type SchedulingDeps = Readonly<{ mqtt: () => MqttLink | null; settings: SchedulingSettings }>;

function link(deps: SchedulingDeps): MqttLink {
  const mqtt = deps.mqtt();
  if (!mqtt || !mqtt.isUp()) throw unavailable("the MQTT broker is not reachable: cannot publish to workers");
  return mqtt;
}

/**
 * Assigns the pool's waiting runs and publishes each assignment. A publish that fails leaves the
 * assignment to expire at its deadline; the run then waits for the next worker.
 */
async function assignAndPublish(sql: Sql, log: Logger, deps: SchedulingDeps, poolId: string): Promise<Assignment[]> {
  const mqtt = link(deps);
  const assigned = await assignRuns(sql, poolId, deps.settings);
  await Promise.all(
    assigned.map(async (a) => {
      const message: Assign = { type: "assign", runId: a.runId, stackId: a.stackId, acceptBy: a.acceptBy.toISOString() };
      try {
        await mqtt.publish(readonlyTopic(a.poolId, a.workerId), JSON.stringify(message), 1);
        log.info("run assigned", { run: a.runId, worker: a.workerId, pool: a.poolId });
      } catch (error) {
        log.warn("assignment not published; it expires at its deadline", { run: a.runId, worker: a.workerId, reason: (error as Error).message });
      }
    }),
  );
  return assigned;
}

const idOf = (payload: unknown, key: string): string => {
  const value = (payload as Record<string, unknown> | null)?.[key];
  if (typeof value !== "string") throw new Error(`payload without ${key}`);
  return value;
};

export function schedulingHandlers(deps: SchedulingDeps): Array<[string, Handler]> {
  const scheduleStack: Handler = async (payload, { sql, log }) => {
    const stackId = idOf(payload, "stackId");
    await promoteQueuedRuns(sql, stackId);
    const stack = await getStack(sql, stackId);
    if (stack?.workerPoolId) await assignAndPublish(sql, log, deps, stack.workerPoolId);
  };
  const schedulePool: Handler = async (payload, { sql, log }) => {
    await assignAndPublish(sql, log, deps, idOf(payload, "poolId"));
  };
  const scheduleSweep: Handler = async (_payload, { sql, log }) => {
    const promoted = await promoteQueuedRuns(sql, null);
    const expired = await expireAssignments(sql);
    if (expired.runs.length) log.info("assignments not accepted in time", { runs: expired.runs.join(",") });
    const failed = await failLostRuns(sql);
    if (failed.length) log.warn("runs failed: their workers stopped sending heartbeats", { runs: failed.join(",") });
    if (promoted.length) log.info("runs ready", { runs: promoted.length });
    for (const pool of await poolsWithWaitingRuns(sql)) await assignAndPublish(sql, log, deps, pool);
  };
  const poolCycle: Handler = async (payload, { sql, log }) => {
    const poolId = idOf(payload, "poolId");
    const mqtt = link(deps);
    const message: Exit = { type: "exit", reason: "the worker pool is being cycled" };
    const workers = await liveWorkerIds(sql, poolId);
    await Promise.all(workers.map((w) => mqtt.publish(readonlyTopic(poolId, w), JSON.stringify(message), 1)));
    log.info("worker pool cycled", { pool: poolId, workers: workers.length });
  };
  const workerMessage: Handler = async (payload, { sql, log }) => {
    const received = payload as ReceivedMessage;
    const message = parseWorkerMessage(JSON.stringify(received.message ?? null));
    if (!message) {
      log.warn("worker message not understood", { worker: String(received.worker) });
      return;
    }
    const seen = await touchWorker(sql, received.pool, received.worker, message.runId, deps.settings.workerTimeoutSeconds);
    if (seen === "first") await assignAndPublish(sql, log, deps, received.pool);
  };
  return [
    [JOB_KINDS.scheduleStack, scheduleStack],
    [JOB_KINDS.schedulePool, schedulePool],
    [JOB_KINDS.scheduleSweep, scheduleSweep],
    [JOB_KINDS.poolCycle, poolCycle],
    [JOB_KINDS.workerMessage, workerMessage],
  ];
}
