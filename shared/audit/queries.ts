// The audit trail: one record per mutation (actor, action, target, time, outcome), read newest
// first with a cursor. Records never hold arguments, so no secret can reach them.
import type { Db } from "../db/connect.ts";
import { invalid } from "../errors.ts";

export const OUTCOMES = Object.freeze(["success", "failure"] as const);
export type Outcome = (typeof OUTCOMES)[number];

export type AuditEntry = Readonly<{
  id: string;
  actor: string;
  action: string;
  targetType: string;
  targetId: string | null;
  outcome: Outcome;
  error: string | null;
  createdAt: Date;
}>;

export type NewAuditEntry = Omit<AuditEntry, "id" | "createdAt">;

export async function recordAudit(db: Db, entry: NewAuditEntry): Promise<void> {
  await db`insert into audit_entries (actor, action, target_type, target_id, outcome, error)
    values (${entry.actor}, ${entry.action}, ${entry.targetType}, ${entry.targetId}, ${entry.outcome}, ${entry.error})`;
}

export const MAX_AUDIT_PAGE = 100;

/** Newest first; `after` is the id of the last entry of the previous page. */
export async function listAudit(db: Db, input: { first?: number | null; after?: string | null }): Promise<{ entries: AuditEntry[]; hasNextPage: boolean }> {
  const first = input.first ?? 50;
  if (!Number.isInteger(first) || first < 1 || first > MAX_AUDIT_PAGE) throw invalid(`first must be between 1 and ${MAX_AUDIT_PAGE}`);
  if (input.after && !/^\d{1,18}$/.test(input.after)) throw invalid("the cursor in `after` is not one this server issued");
  const rows = await db<Record<string, unknown>[]>`
    select id::text, actor, action, target_type, target_id, outcome, error, created_at from audit_entries
    ${input.after ? db`where id < ${input.after}::bigint` : db``}
    order by audit_entries.id desc limit ${first + 1}`;
  return {
    entries: rows.slice(0, first).map((r) => ({
      id: r.id as string,
      actor: r.actor as string,
      action: r.action as string,
      targetType: r.target_type as string,
      targetId: r.target_id as string | null,
      outcome: r.outcome as Outcome,
      error: r.error as string | null,
      createdAt: r.created_at as Date,
    })),
    hasNextPage: rows.length > first,
  };
}
