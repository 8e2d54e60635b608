// Job kinds, shared by those who enqueue them (server, scheduler) and the drain that handles them.
export const JOB_KINDS = Object.freeze({
  leaseSweep: "lease_sweep",
  /** A stack's unblocked QUEUED runs become READY; READY runs go to idle workers of its pool. */
  scheduleStack: "schedule_stack",
  /** READY runs of the pool's stacks go to its idle workers. */
  schedulePool: "schedule_pool",
  /** The periodic safety net: every stack and pool scheduled, missed accept deadlines and lost leases handled. */
  scheduleSweep: "schedule_sweep",
  /** Ask every worker of a pool to exit (workerPoolCycle). */
  poolCycle: "pool_cycle",
  /** Tell the worker holding a stopped or killed run to signal its tool (runStop, runKill). */
  runStop: "run_stop",
  /** A message a worker published on its writeonly topic (heartbeats). */
  workerMessage: "worker_message",
} as const);
