// What callers do to stacks, each checking the caller's role in the stack's space. Resolvers call
// these and shape the result.
import type { Sql } from "../db/connect.ts";
import { notFound } from "../errors.ts";
import { atLeast, requireRole, roleIn, type Actor } from "../auth/roles.ts";
import { spaceTree } from "../spaces/queries.ts";
import { checkDeletable, lock, stackFields, stackSlug, unlock, type StackSettings } from "./stack.ts";
import { deleteStackRow, getStack, insertStack, lockStackRow, setStackDisabled, setStackLock, updateStackRow, type StackView } from "./queries.ts";

async function mustGet(sql: Sql, id: string): Promise<StackView> {
  const stack = await getStack(sql, id);
  if (!stack) throw notFound(`stack ${id}`);
  return stack;
}

/** A stack the actor may read, or null when there is none (or the actor cannot see it). */
export async function readStack(sql: Sql, actor: Actor, id: string): Promise<StackView | null> {
  const stack = await getStack(sql, id);
  if (!stack) return null;
  return roleIn(actor, await spaceTree(sql), stack.spaceId) ? stack : null;
}

export async function createStack(sql: Sql, actor: Actor, input: StackSettings, options: { manageState?: boolean; slug?: string | null } = {}): Promise<StackView> {
  const fields = stackFields(input);
  const id = stackSlug(fields.name, options.slug);
  const tree = await spaceTree(sql);
  if (!tree.has(fields.spaceId)) throw notFound(`space ${fields.spaceId}`);
  requireRole(actor, tree, fields.spaceId, "admin", "creating a stack");
  await insertStack(sql, id, fields, options.manageState ?? true);
  return mustGet(sql, id);
}

export async function updateStack(sql: Sql, actor: Actor, id: string, input: StackSettings): Promise<StackView> {
  const fields = stackFields(input);
  await sql.begin(async (tx) => {
    const stack = await lockStackRow(tx, id);
    const tree = await spaceTree(tx);
    requireRole(actor, tree, stack.spaceId, "admin", "updating a stack");
    if (fields.spaceId !== stack.spaceId) {
      if (!tree.has(fields.spaceId)) throw notFound(`space ${fields.spaceId}`);
      requireRole(actor, tree, fields.spaceId, "admin", "moving a stack into a space");
    }
    await updateStackRow(tx, id, fields);
  });
  return mustGet(sql, id);
}

/** Deletes the stack and its runs; refused while protectFromDeletion is on. */
export async function deleteStack(sql: Sql, actor: Actor, id: string): Promise<StackView> {
  const before = await mustGet(sql, id);
  await sql.begin(async (tx) => {
    const stack = await lockStackRow(tx, id);
    requireRole(actor, await spaceTree(tx), stack.spaceId, "admin", "deleting a stack");
    checkDeletable(stack);
    await deleteStackRow(tx, id);
  });
  return before;
}

export async function lockStack(sql: Sql, actor: Actor, id: string, note: string | null): Promise<StackView> {
  await sql.begin(async (tx) => {
    const stack = await lockStackRow(tx, id);
    requireRole(actor, await spaceTree(tx), stack.spaceId, "write", "locking a stack");
    const next = lock(stack, actor);
    await setStackLock(tx, id, next.lockedBy, note);
  });
  return mustGet(sql, id);
}

export async function unlockStack(sql: Sql, actor: Actor, id: string): Promise<StackView> {
  await sql.begin(async (tx) => {
    const stack = await lockStackRow(tx, id);
    const role = requireRole(actor, await spaceTree(tx), stack.spaceId, "write", "unlocking a stack");
    unlock(stack, actor, atLeast(role, "admin"));
    await setStackLock(tx, id, null, null);
  });
  return mustGet(sql, id);
}

export async function setDisabled(sql: Sql, actor: Actor, id: string, disabled: boolean): Promise<StackView> {
  await sql.begin(async (tx) => {
    const stack = await lockStackRow(tx, id);
    requireRole(actor, await spaceTree(tx), stack.spaceId, "admin", disabled ? "disabling a stack" : "enabling a stack");
    await setStackDisabled(tx, id, disabled);
  });
  return mustGet(sql, id);
}
