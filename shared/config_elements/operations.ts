// What callers do to a stack's configuration: adding or replacing an element needs admin on the
// stack's space (Spacelift: stack environment is admin-managed), reading needs read. Write-only
// values are never returned.
import type { Sql } from "../db/connect.ts";
import { notFound } from "../errors.ts";
import { requireRole, roleIn, type Actor } from "../auth/roles.ts";
import { spaceTree } from "../spaces/queries.ts";
import { getStack } from "../stacks/queries.ts";
import { checkConfigInput, type ConfigElement, type ConfigInput } from "./element.ts";
import { deleteConfigElement, listConfigElements, putConfigElement } from "./queries.ts";

async function stackSpace(sql: Sql, actor: Actor, stackId: string, doing: string | null): Promise<string> {
  const stack = await getStack(sql, stackId);
  const tree = await spaceTree(sql);
  if (!stack || !roleIn(actor, tree, stack.spaceId)) throw notFound(`stack ${stackId}`);
  if (doing) requireRole(actor, tree, stack.spaceId, "admin", doing);
  return stack.spaceId;
}

/** stackConfigAdd: adds the element, or replaces the one with the same id. */
export async function addStackConfig(sql: Sql, key: Buffer, actor: Actor, stackId: string, input: ConfigInput): Promise<ConfigElement> {
  const checked = checkConfigInput(input);
  await stackSpace(sql, actor, stackId, "changing a stack's environment");
  return putConfigElement(sql, key, { stackId, id: checked.id, type: checked.type, value: checked.value, writeOnly: checked.writeOnly, description: checked.description ?? null });
}

/** stackConfigDelete: the removed element, or null when there was none (spacectl says "doesn't exist"). */
export async function deleteStackConfig(sql: Sql, key: Buffer, actor: Actor, stackId: string, id: string): Promise<ConfigElement | null> {
  await stackSpace(sql, actor, stackId, "changing a stack's environment");
  return deleteConfigElement(sql, key, stackId, id);
}

export async function readStackConfig(sql: Sql, key: Buffer, actor: Actor, stackId: string): Promise<ConfigElement[]> {
  await stackSpace(sql, actor, stackId, null);
  return listConfigElements(sql, key, stackId);
}
