// What every resolver receives: the database, the caller (null without a valid session), and
// per-request caches. Also the guards resolvers use and the audit wrapper for mutations.
import type { Sql } from "../../shared/db/connect.ts";
import { GantryError } from "../../shared/errors.ts";
import { roleIn, type Actor, type Role, type SpaceTree } from "../../shared/auth/roles.ts";
import { listSpaces, spaceTree } from "../../shared/spaces/queries.ts";
import type { Space } from "../../shared/spaces/space.ts";
import { recordAudit } from "../../shared/audit/queries.ts";
import type { Logger } from "../../shared/log.ts";
import type { Endpoints } from "../../shared/workers/operations.ts";
import type { ObjectStore } from "../../shared/storage/object_store.ts";

export type Context = {
  sql: Sql;
  log: Logger;
  actor: Actor | null;
  jwtKey: Buffer;
  /** Seals stack configuration values at rest. */
  configKey: Buffer;
  /** Run logs and other artifacts; null where a test has none. */
  store: ObjectStore | null;
  audience: string;
  /** Where workers reach Gantry, for worker pool tokens. */
  endpoints: Endpoints;
  tree(): Promise<SpaceTree>;
  spaces(): Promise<ReadonlyMap<string, Space>>;
};

export function createContext(base: Omit<Context, "tree" | "spaces">): Context {
  let tree: Promise<SpaceTree> | null = null;
  let spaces: Promise<ReadonlyMap<string, Space>> | null = null;
  return {
    ...base,
    tree: () => (tree ??= spaceTree(base.sql)),
    spaces: () => (spaces ??= listSpaces(base.sql).then((all) => new Map(all.map((s) => [s.id, s])))),
  };
}

/** The caller, or an error clients read as "log in again". */
export function requireActor(ctx: Context): Actor {
  if (!ctx.actor) throw new GantryError("Unauthorized", "unauthorized: a valid Authorization: Bearer token is required (exchange an API key with apiKeyUser)");
  return ctx.actor;
}

export async function roleOf(ctx: Context, spaceId: string): Promise<Role | null> {
  if (!ctx.actor) return null;
  return roleIn(ctx.actor, await ctx.tree(), spaceId);
}

export const seconds = (date: Date): number => Math.floor(date.getTime() / 1000);

/**
 * Runs a mutation and records it in the audit trail: who, which action, on what, and whether it
 * succeeded. Arguments are never recorded, so secrets cannot leak into the trail.
 */
export async function audited<T>(ctx: Context, action: string, targetType: string, targetId: string | null, run: () => Promise<T>, resultId?: (result: T) => string | null): Promise<T> {
  const actor = ctx.actor?.login ?? "anonymous";
  try {
    const result = await run();
    await recordAudit(ctx.sql, { actor, action, targetType, targetId: resultId ? resultId(result) : targetId, outcome: "success", error: null });
    return result;
  } catch (error) {
    const reason = error instanceof GantryError ? `${error.code}: ${error.message}` : "internal error";
    await recordAudit(ctx.sql, { actor, action, targetType, targetId, outcome: "failure", error: reason }).catch((e) =>
      ctx.log.error("audit record failed", { action, reason: (e as Error).message }),
    );
    throw error;
  }
}
