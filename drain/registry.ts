// Job kinds the drain knows, and their handlers. Each handler parses its payload and calls one
// shared function.
import type { Handler, Registry } from "../shared/queue/consumer.ts";
import { sweepExpiredLeases } from "../shared/queue/sweeper.ts";
import { JOB_KINDS } from "../shared/queue/kinds.ts";
import { schedulingHandlers, type SchedulingDeps } from "./scheduling.ts";
import { webhookHandlers, type VcsDeps } from "./webhooks.ts";
import { policyHandlers } from "./policies.ts";

const leaseSweep: Handler = async (_payload, { sql, log }) => {
  const { returned, buried } = await sweepExpiredLeases(sql);
  if (returned || buried) log.info("expired leases swept", { returned, buried });
};

/** vcs: the VCS handlers' key and public URL (drain/webhooks.ts); without them the VCS handlers only say so. */
export function defaultRegistry(deps: SchedulingDeps & { vcs?: VcsDeps }): Registry {
  return new Map<string, Handler>([[JOB_KINDS.leaseSweep, leaseSweep], ...schedulingHandlers(deps), ...webhookHandlers(deps.vcs ?? null), ...policyHandlers({ publicUrl: deps.vcs?.publicUrl ?? null })]);
}
