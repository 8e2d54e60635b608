// The jobs that move runs towards workers, enqueued in the transaction of the change that calls
// for them. Per stack: its unblocked QUEUED runs become READY and READY runs go to idle workers of
// its pool. Per pool: READY runs go to its idle workers (a worker registered, was freed or
// undrained). Both run on the async_fifo queue, one at a time per stack or pool.
import type { NewJob } from "../queue/jobs.ts";
import { JOB_KINDS } from "../queue/kinds.ts";

export const scheduleStackJob = (stackId: string): NewJob => ({ queue: "async_fifo", kind: JOB_KINDS.scheduleStack, payload: { stackId }, fifoKey: `stack:${stackId}` });

export const schedulePoolJob = (poolId: string): NewJob => ({ queue: "async_fifo", kind: JOB_KINDS.schedulePool, payload: { poolId }, fifoKey: `pool:${poolId}` });

/** Tell a worker to signal the tool of a run it held (runStop: SIGINT, runKill: SIGKILL). */
export const runStopJob = (stop: Readonly<{ poolId: string; workerId: string; runId: string; signal: "SIGINT" | "SIGKILL"; reason: string }>): NewJob => ({
  queue: "async",
  kind: JOB_KINDS.runStop,
  payload: stop,
});
