// Job kinds, shared by those who enqueue them (server, scheduler) and the drain that handles them.
export const JOB_KINDS = Object.freeze({
  leaseSweep: "lease_sweep",
} as const);
