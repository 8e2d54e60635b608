// What callers do to policies, each checking the caller's role: policies are managed by admins of
// their space (login policies, which apply to every login, by admins of root); attaching needs
// admin of the stack's space, and the policy must live in the stack's space or one above it.
import type { Sql } from "../db/connect.ts";
import { conflict, invalid, notFound } from "../errors.ts";
import { requireRole, roleIn, type Actor } from "../auth/roles.ts";
import { spaceTree } from "../spaces/queries.ts";
import { getStack, type StackView } from "../stacks/queries.ts";
import { ROOT_SPACE } from "../spaces/space.ts";
import { parsePolicyType, policyFields, policySlug, type Policy, type PolicySettings, type PolicyType } from "./policy.ts";
import { attachedPolicies, deleteAttachment, deletePolicyRow, getAttachment, getPolicy, insertAttachment, insertPolicy, listPolicies, lockPolicyRow, updatePolicyRow, within, type Attachment, type AttachedPolicy } from "./queries.ts";

/** Types that are not attached to stacks: login policies apply to every login, notification policies to their space. */
export const UNATTACHED_TYPES: readonly PolicyType[] = Object.freeze(["LOGIN", "NOTIFICATION"]);

const managingSpace = (type: PolicyType, spaceId: string) => (type === "LOGIN" ? ROOT_SPACE : spaceId);

export async function createPolicy(sql: Sql, actor: Actor, input: PolicySettings & { slug?: string | null }): Promise<Policy> {
  if (!input.type) throw invalid("a policy needs a type");
  const fields = policyFields(input, parsePolicyType(input.type));
  const tree = await spaceTree(sql);
  if (!tree.has(fields.spaceId)) throw notFound(`space ${fields.spaceId}`);
  requireRole(actor, tree, managingSpace(fields.type, fields.spaceId), "admin", "creating a policy");
  return insertPolicy(sql, policySlug(fields.name, input.slug), fields);
}

export async function updatePolicy(sql: Sql, actor: Actor, id: string, input: PolicySettings): Promise<Policy> {
  return sql.begin(async (tx) => {
    const current = await lockPolicyRow(tx, id);
    if (!current) throw notFound(`policy ${id}`);
    const tree = await spaceTree(tx);
    requireRole(actor, tree, managingSpace(current.type, current.spaceId), "admin", "updating a policy");
    if (input.type && parsePolicyType(input.type) !== current.type) throw invalid("a policy's type cannot change");
    const fields = policyFields({ ...input, space: input.space ?? current.spaceId, engineType: input.engineType ?? current.engineType }, current.type);
    if (fields.spaceId !== current.spaceId) {
      if (!tree.has(fields.spaceId)) throw notFound(`space ${fields.spaceId}`);
      requireRole(actor, tree, managingSpace(current.type, fields.spaceId), "admin", "moving a policy into a space");
    }
    return updatePolicyRow(tx, id, fields);
  });
}

export async function deletePolicy(sql: Sql, actor: Actor, id: string): Promise<Policy> {
  const policy = await getPolicy(sql, id);
  if (!policy) throw notFound(`policy ${id}`);
  requireRole(actor, await spaceTree(sql), managingSpace(policy.type, policy.spaceId), "admin", "deleting a policy");
  await deletePolicyRow(sql, id);
  return policy;
}

/** A policy the actor may read (any role in its space), else null. */
export async function readPolicy(sql: Sql, actor: Actor, id: string): Promise<Policy | null> {
  const policy = await getPolicy(sql, id);
  if (!policy) return null;
  return roleIn(actor, await spaceTree(sql), policy.spaceId) ? policy : null;
}

export async function readablePolicies(sql: Sql, actor: Actor): Promise<Policy[]> {
  const tree = await spaceTree(sql);
  return (await listPolicies(sql, null)).filter((p) => roleIn(actor, tree, p.spaceId) !== null);
}

export async function attachPolicy(sql: Sql, actor: Actor, policyId: string, stackId: string): Promise<Attachment> {
  const [policy, stack] = await Promise.all([getPolicy(sql, policyId), getStack(sql, stackId)]);
  if (!policy) throw notFound(`policy ${policyId}`);
  if (!stack) throw notFound(`stack ${stackId}`);
  const tree = await spaceTree(sql);
  requireRole(actor, tree, stack.spaceId, "admin", "attaching a policy");
  if (UNATTACHED_TYPES.includes(policy.type)) throw invalid(`${policy.type} policies are not attached to stacks`);
  if (!within(tree, stack.spaceId, policy.spaceId)) throw invalid(`policy ${policyId} is in space ${policy.spaceId}, which is neither the stack's space nor above it`);
  try {
    return await insertAttachment(sql, policyId, stackId);
  } catch (error) {
    if ((error as { code?: string }).code === "23505") throw conflict(`policy ${policyId} is already attached to stack ${stackId}`);
    throw error;
  }
}

export async function detachPolicy(sql: Sql, actor: Actor, attachmentId: string): Promise<Attachment> {
  const attachment = await getAttachment(sql, attachmentId);
  if (!attachment) throw notFound(`policy attachment ${attachmentId}`);
  const stack = await getStack(sql, attachment.stackId);
  requireRole(actor, await spaceTree(sql), stack?.spaceId ?? ROOT_SPACE, "admin", "detaching a policy");
  await deleteAttachment(sql, attachmentId);
  return attachment;
}

/** Stack.attachedPolicies: direct and automatic attachments. */
export async function stackPolicies(sql: Sql, stack: StackView): Promise<AttachedPolicy[]> {
  return attachedPolicies(sql, await spaceTree(sql), stack);
}
