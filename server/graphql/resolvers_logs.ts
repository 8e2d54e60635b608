// Run.logs: one page of a state version's logs, read from object storage (shared/logs/read_model.ts;
// docs/logs.md). The caller must be able to read the run's stack, however the run was reached.
import { GantryError } from "../../shared/errors.ts";
import type { Run } from "../../shared/runs/queries.ts";
import { readRunLogs } from "../../shared/logs/read_model.ts";
import { requireActor, type Context } from "./context.ts";

type Args = Readonly<{ state: string; token?: string | null; stateVersion?: number | null }>;

export const logResolvers = {
  Run: {
    logs: async (r: Run, { state, token, stateVersion }: Args, ctx: Context) => {
      const actor = requireActor(ctx);
      if (!ctx.store) throw new GantryError("Unavailable", "run logs need object storage, which this server was started without");
      return readRunLogs(ctx.sql, ctx.store, actor, r.id, { state, token: token ?? null, stateVersion: stateVersion ?? null }, { tree: await ctx.tree() });
    },
  },
};
