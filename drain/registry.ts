// Job kinds the drain knows, and their handlers. Each handler parses its payload and calls one
// shared function.
import type { Handler, Registry } from "../shared/queue/consumer.ts";
import { sweepExpiredLeases } from "../shared/queue/sweeper.ts";
import { JOB_KINDS } from "../shared/queue/kinds.ts";
import { schedulingHandlers, type SchedulingDeps } from "./scheduling.ts";

const leaseSweep: Handler = async (_payload, { sql, log }) => {
  const { returned, buried } = await sweepExpiredLeases(sql);
  if (returned || buried) log.info("expired leases swept", { returned, buried });
};

export function defaultRegistry(deps: SchedulingDeps): Registry {
  return new Map<string, Handler>([[JOB_KINDS.leaseSweep, leaseSweep], ...schedulingHandlers(deps)]);
}
