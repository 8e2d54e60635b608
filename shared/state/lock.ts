// Terraform's workspace lock on a stack's managed state: taken with LOCK (the lock info JSON
// Terraform sends), released with UNLOCK carrying the same ID, forced open by an admin, and
// released by Gantry itself when the run holding it stops working on it (transitionRunIn), so a
// lock is never left for a person to find. One statement decides who wins a race.
import type { Db } from "../db/connect.ts";
import { conflict, GantryError, invalid } from "../errors.ts";
import { recordAudit } from "../audit/queries.ts";

export const MAX_LOCK_INFO_BYTES = 64 * 1024;

/** Terraform's statemgr.LockInfo, as it marshals it. */
export type LockInfo = Readonly<{ ID: string; Operation?: string; Info?: string; Who?: string; Version?: string; Created?: string; Path?: string }> & Readonly<Record<string, unknown>>;

export type StateLock = Readonly<{ stackId: string; id: string; info: LockInfo; runId: string | null; lockedAt: Date }>;

/** Thrown when the state is locked by someone else: the HTTP backend answers 423 with the holder's lock info. */
export class StateLockedError extends GantryError {
  constructor(readonly holder: StateLock) {
    super("Conflict", `the state of stack ${holder.stackId} is locked (lock ${holder.id}${holder.runId ? `, run ${holder.runId}` : ""})`);
  }
}

/** The lock info of a LOCK or UNLOCK body. */
export function parseLockInfo(bytes: Uint8Array): LockInfo {
  if (bytes.length > MAX_LOCK_INFO_BYTES) throw invalid(`lock info larger than ${MAX_LOCK_INFO_BYTES} bytes`);
  let value: unknown;
  try {
    value = JSON.parse(new TextDecoder().decode(bytes));
  } catch {
    throw invalid("the lock info must be JSON");
  }
  const info = value as Record<string, unknown> | null;
  if (!info || typeof info !== "object" || Array.isArray(info)) throw invalid("the lock info must be a JSON object");
  if (typeof info.ID !== "string" || info.ID === "" || info.ID.length > 256) throw invalid("the lock info must carry an ID");
  return info as LockInfo;
}

type Row = { stack_id: string; lock_id: string; lock_info: LockInfo; lock_run_id: string | null; locked_at: Date };
const toLock = (r: Row): StateLock => ({ stackId: r.stack_id, id: r.lock_id, info: r.lock_info, runId: r.lock_run_id, lockedAt: r.locked_at });

/** The row every stack with managed state gets on first use. */
export async function ensureStateRow(db: Db, stackId: string): Promise<void> {
  await db`insert into stack_states (stack_id) values (${stackId}) on conflict (stack_id) do nothing`;
}

export async function getStateLock(db: Db, stackId: string): Promise<StateLock | null> {
  const [row] = await db<Row[]>`select stack_id, lock_id, lock_info, lock_run_id, locked_at from stack_states where stack_id = ${stackId} and lock_id is not null`;
  return row ? toLock(row) : null;
}

/**
 * Takes the lock for `runId`; of two concurrent attempts exactly one update matches. Taking it
 * again with the same ID succeeds; any other holder throws StateLockedError.
 */
export async function acquireStateLock(db: Db, stackId: string, info: LockInfo, runId: string | null): Promise<StateLock> {
  await ensureStateRow(db, stackId);
  const [row] = await db<Row[]>`
    update stack_states set lock_id = ${info.ID}, lock_info = ${db.json(info as never)}, lock_run_id = ${runId}, locked_at = now()
    where stack_id = ${stackId} and lock_id is null
    returning stack_id, lock_id, lock_info, lock_run_id, locked_at`;
  if (row) return toLock(row);
  const holder = await getStateLock(db, stackId);
  if (!holder) return acquireStateLock(db, stackId, info, runId); // released meanwhile
  if (holder.id === info.ID && holder.runId === runId) return holder;
  throw new StateLockedError(holder);
}

/**
 * UNLOCK: releases the lock when `id` is its ID. `mayUnlockOthers` (a run allowed to write)
 * may release another run's lock whose ID it knows, as `terraform force-unlock` does. Unlocked
 * already: nothing to do.
 */
export async function releaseStateLock(db: Db, stackId: string, id: string, runId: string | null, mayUnlockOthers: boolean): Promise<void> {
  const holder = await getStateLock(db, stackId);
  if (!holder) return;
  if (holder.id !== id) throw conflict(`the state of stack ${stackId} is locked with another lock ID (${holder.id}), not ${id}`);
  if (holder.runId !== runId && !mayUnlockOthers) throw conflict(`the lock of stack ${stackId} belongs to run ${holder.runId}`);
  await db`update stack_states set lock_id = null, lock_info = null, lock_run_id = null, locked_at = null where stack_id = ${stackId} and lock_id = ${id}`;
}

/** An admin's force-unlock: whatever holds the lock loses it. Returns the lock that was released, if any. */
export async function forceReleaseStateLock(db: Db, stackId: string): Promise<StateLock | null> {
  const [row] = await db<Row[]>`
    update stack_states s set lock_id = null, lock_info = null, lock_run_id = null, locked_at = null
    from (select stack_id, lock_id, lock_info, lock_run_id, locked_at from stack_states where stack_id = ${stackId} and lock_id is not null for update) old
    where s.stack_id = old.stack_id
    returning old.stack_id, old.lock_id, old.lock_info, old.lock_run_id, old.locked_at`;
  return row ? toLock(row) : null;
}

/**
 * Called by transitionRunIn when a run's worker is done with it (terminal, or handed back to a
 * person): a state lock the run still holds is released, and the audit trail says so.
 */
export async function releaseLocksOfRun(db: Db, stackId: string, runId: string): Promise<void> {
  const released = await db<{ lock_id: string }[]>`
    update stack_states s set lock_id = null, lock_info = null, lock_run_id = null, locked_at = null
    from (select stack_id, lock_id from stack_states where stack_id = ${stackId} and lock_run_id = ${runId} for update) old
    where s.stack_id = old.stack_id returning old.lock_id`;
  if (released.length > 0) {
    await recordAudit(db, { actor: "system", action: "stack.state.release_lock_of_ended_run", targetType: "stack", targetId: stackId, outcome: "success", error: null });
  }
}
