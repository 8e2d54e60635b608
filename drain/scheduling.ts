// The drain's side of scheduling and of the worker protocol: QUEUED runs become READY, READY runs
// are assigned to idle workers and the assignments published (QoS 1) on the workers' readonly
// topics; worker messages from the worker_messages queue are recorded; pools are cycled. Each
// handler parses its payload and calls shared functions.
import type { Handler } from "../shared/queue/consumer.ts";
import type { MqttLink } from "../shared/mqtt/link.ts";
import { JOB_KINDS } from "../shared/queue/kinds.ts";
import { promoteQueuedRuns } from "../shared/runs/scheduling.ts";
import { assignRuns, expireAssignments, failLostRuns, failOverdueRuns, poolsWithWaitingRuns, type Assignment, type SchedulingSettings } from "../shared/workers/assignment.ts";
import { liveWorkerIds, stackPool, touchWorker } from "../shared/workers/queries.ts";
import { pruneOutbox, sendToWorker } from "../shared/workers/outbox.ts";
import { parseWorkerMessage, type Assign, type Exit, type Stop } from "../shared/workers/protocol.ts";
import type { ReceivedMessage } from "../shared/workers/operations.ts";
import type { Logger } from "../shared/log.ts";
import type { Sql } from "../shared/db/connect.ts";

export type SchedulingDeps = Readonly<{ mqtt: () => MqttLink | null; settings: SchedulingSettings }>;

/**
 * Assigns the pool's waiting runs and sends each assignment (outbox and MQTT, outbox.ts). A worker
 * that gets it neither way lets it expire at its deadline; the run then waits for the next worker.
 */
async function assignAndPublish(sql: Sql, log: Logger, deps: SchedulingDeps, poolId: string): Promise<Assignment[]> {
  const assigned = await assignRuns(sql, poolId, deps.settings);
  await Promise.all(
    assigned.map(async (a) => {
      const message: Assign = { type: "assign", runId: a.runId, stackId: a.stackId, acceptBy: a.acceptBy.toISOString() };
      try {
        const sent = await sendToWorker(sql, deps.mqtt(), a.poolId, a.workerId, message);
        log.info("run assigned", { run: a.runId, worker: a.workerId, pool: a.poolId, ...(sent.mqtt ? {} : { mqtt: `not published: ${sent.reason}` }) });
      } catch (error) {
        log.warn("assignment not sent; it expires at its deadline", { run: a.runId, worker: a.workerId, reason: (error as Error).message });
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
    const pool = await stackPool(sql, stackId);
    if (pool) await assignAndPublish(sql, log, deps, pool);
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
    for (const o of await failOverdueRuns(sql, deps.settings)) {
      log.warn("run failed: over its timeout", { run: o.runId, worker: o.workerId });
      const stop: Stop = { type: "stop", runId: o.runId, signal: "SIGKILL", reason: "the run timed out" };
      await sendToWorker(sql, deps.mqtt(), o.poolId, o.workerId, stop);
    }
    if (promoted.length) log.info("runs ready", { runs: promoted.length });
    await pruneOutbox(sql);
    for (const pool of await poolsWithWaitingRuns(sql)) await assignAndPublish(sql, log, deps, pool);
  };
  const poolCycle: Handler = async (payload, { sql, log }) => {
    const poolId = idOf(payload, "poolId");
    const message: Exit = { type: "exit", reason: "the worker pool is being cycled" };
    const workers = await liveWorkerIds(sql, poolId);
    await Promise.all(workers.map((w) => sendToWorker(sql, deps.mqtt(), poolId, w, message)));
    log.info("worker pool cycled", { pool: poolId, workers: workers.length });
  };
  const runStop: Handler = async (payload, { sql, log }) => {
    const stop = payload as Readonly<{ poolId: string; workerId: string; runId: string; signal: "SIGINT" | "SIGKILL"; reason: string }>;
    const message: Stop = { type: "stop", runId: idOf(stop, "runId"), signal: stop.signal === "SIGKILL" ? "SIGKILL" : "SIGINT", reason: String(stop.reason ?? "") };
    await sendToWorker(sql, deps.mqtt(), idOf(stop, "poolId"), idOf(stop, "workerId"), message);
    log.info("stop sent to worker", { run: message.runId, worker: stop.workerId, signal: message.signal });
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
    [JOB_KINDS.runStop, runStop],
    [JOB_KINDS.workerMessage, workerMessage],
  ];
}
