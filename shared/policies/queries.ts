// Policies' SQL: the policies, their attachments to stacks (direct rows, and computed from
// autoattach:<label> labels within the policy's space and its subspaces), and evaluation records.
import type { Db } from "../db/connect.ts";
import type { SpaceTree } from "../auth/roles.ts";
import { ulid } from "../runs/ulid.ts";
import { autoattaches, type EngineType, type Policy, type PolicyType } from "./policy.ts";

type Row = Record<string, unknown>;
export const toPolicy = (r: Row): Policy => ({
  id: r.id as string,
  spaceId: r.space_id as string,
  name: r.name as string,
  description: r.description as string,
  body: r.body as string,
  type: r.type as PolicyType,
  engineType: r.engine_type as EngineType,
  labels: r.labels as string[],
  createdAt: r.created_at as Date,
  updatedAt: r.updated_at as Date,
});

export type PolicyFields = Readonly<{ name: string; description: string; body: string; type: PolicyType; engineType: EngineType; labels: readonly string[]; spaceId: string }>;

export async function insertPolicy(db: Db, id: string, f: PolicyFields): Promise<Policy> {
  const [row] = await db<Row[]>`
    insert into policies (id, space_id, name, description, body, type, engine_type, labels)
    values (${id}, ${f.spaceId}, ${f.name}, ${f.description}, ${f.body}, ${f.type}, ${f.engineType}, ${[...f.labels]}::text[])
    returning *`;
  return toPolicy(row);
}

export async function updatePolicyRow(db: Db, id: string, f: Omit<PolicyFields, "type">): Promise<Policy> {
  const [row] = await db<Row[]>`
    update policies set space_id = ${f.spaceId}, name = ${f.name}, description = ${f.description}, body = ${f.body},
      engine_type = ${f.engineType}, labels = ${[...f.labels]}::text[], updated_at = clock_timestamp()
    where id = ${id} returning *`;
  return toPolicy(row);
}

export async function getPolicy(db: Db, id: string): Promise<Policy | null> {
  const [row] = await db<Row[]>`select * from policies where id = ${id}`;
  return row ? toPolicy(row) : null;
}

export async function lockPolicyRow(db: Db, id: string): Promise<Policy | null> {
  const [row] = await db<Row[]>`select * from policies where id = ${id} for update`;
  return row ? toPolicy(row) : null;
}

/** Policies in the given spaces (null: all), by name. */
export async function listPolicies(db: Db, spaces: readonly string[] | null, type: PolicyType | null = null): Promise<Policy[]> {
  const rows = await db<Row[]>`
    select * from policies where true
      ${spaces === null ? db`` : db`and space_id = any(${[...spaces]}::text[])`}
      ${type === null ? db`` : db`and type = ${type}`}
    order by name, id`;
  return rows.map(toPolicy);
}

export async function deletePolicyRow(db: Db, id: string): Promise<void> {
  await db`delete from policies where id = ${id}`;
}

export type Attachment = Readonly<{ id: string; policyId: string; stackId: string; autoattached: boolean; createdAt: Date }>;

export async function insertAttachment(db: Db, policyId: string, stackId: string): Promise<Attachment> {
  const [row] = await db<Row[]>`insert into policy_attachments (id, policy_id, stack_id) values (${ulid()}, ${policyId}, ${stackId}) returning *`;
  return toAttachment(row);
}

const toAttachment = (r: Row): Attachment => ({ id: r.id as string, policyId: r.policy_id as string, stackId: r.stack_id as string, autoattached: false, createdAt: r.created_at as Date });

export async function getAttachment(db: Db, id: string): Promise<Attachment | null> {
  const [row] = await db<Row[]>`select * from policy_attachments where id = ${id}`;
  return row ? toAttachment(row) : null;
}

export async function deleteAttachment(db: Db, id: string): Promise<void> {
  await db`delete from policy_attachments where id = ${id}`;
}

export async function directAttachments(db: Db, policyId: string): Promise<Attachment[]> {
  return (await db<Row[]>`select * from policy_attachments where policy_id = ${policyId} order by stack_id`).map(toAttachment);
}

/** Whether `space` is `ancestor` or below it. */
export function within(tree: SpaceTree, space: string, ancestor: string): boolean {
  const seen = new Set<string>();
  for (let at: string | null | undefined = space; at != null && !seen.has(at); at = tree.get(at)) {
    if (at === ancestor) return true;
    seen.add(at);
  }
  return false;
}

export type AttachedPolicy = Readonly<{ policy: Policy; attachmentId: string | null; autoattached: boolean }>;

/**
 * The policies of a type (null: all) attached to a stack: directly, or by an autoattach label
 * matching the stack's labels, from the stack's space or one above it.
 */
export async function attachedPolicies(db: Db, tree: SpaceTree, stack: Readonly<{ id: string; spaceId: string; labels: readonly string[] }>, type: PolicyType | null = null): Promise<AttachedPolicy[]> {
  const rows = await db<Row[]>`
    select p.*, a.id as attachment_id from policies p left join policy_attachments a on a.policy_id = p.id and a.stack_id = ${stack.id}
    where (a.id is not null or exists (select 1 from unnest(p.labels) l where l like 'autoattach:%'))
      ${type === null ? db`` : db`and p.type = ${type}`}
    order by p.id`;
  const out: AttachedPolicy[] = [];
  for (const r of rows) {
    const policy = toPolicy(r);
    if (r.attachment_id) out.push({ policy, attachmentId: r.attachment_id as string, autoattached: false });
    else if (within(tree, stack.spaceId, policy.spaceId) && autoattaches(policy.labels, stack.labels)) out.push({ policy, attachmentId: null, autoattached: true });
  }
  return out;
}

/** Policies of a type that apply in a space: those of the space and the spaces above it (login: all). */
export async function policiesInScope(db: Db, tree: SpaceTree, spaceId: string | null, type: PolicyType): Promise<Policy[]> {
  const all = await listPolicies(db, null, type);
  return spaceId === null ? all : all.filter((p) => within(tree, spaceId, p.spaceId));
}

export async function anyPolicyOfType(db: Db, type: PolicyType): Promise<boolean> {
  const [row] = await db`select 1 from policies where type = ${type} limit 1`;
  return Boolean(row);
}

export type EvaluationRecord = Readonly<{
  id: string;
  policyId: string;
  kind: string;
  stackId: string | null;
  runId: string | null;
  outcome: string;
  input: unknown;
  decision: unknown;
  messages: readonly string[];
  body: string;
  error: string | null;
  durationMs: number;
  createdAt: Date;
}>;

export type NewEvaluation = Omit<EvaluationRecord, "id" | "createdAt">;

/** Inputs larger than this are recorded as a note of their size. */
export const MAX_RECORDED_INPUT = 4 * 1024 * 1024;

export async function insertEvaluations(db: Db, records: readonly NewEvaluation[]): Promise<string[]> {
  if (records.length === 0) return [];
  const ids = records.map(() => ulid());
  const rows = records.map((r, i) => {
    let input = JSON.stringify(r.input ?? null);
    if (input.length > MAX_RECORDED_INPUT) input = JSON.stringify({ _gantry: `input of ${input.length} characters not recorded` });
    return { id: ids[i], policy_id: r.policyId, kind: r.kind, stack_id: r.stackId, run_id: r.runId, outcome: r.outcome, input, decision: JSON.stringify(r.decision ?? {}), messages: r.messages, body: r.body, error: r.error, duration_ms: r.durationMs };
  });
  await db`
    insert into policy_evaluations (id, policy_id, kind, stack_id, run_id, outcome, input, decision, messages, body, error, duration_ms)
    select id, policy_id, kind, stack_id, run_id, outcome, input::jsonb, decision::jsonb, array(select jsonb_array_elements_text(messages)), body, error, duration_ms
    from jsonb_to_recordset(${db.json(rows as never)}) as t(id text, policy_id text, kind text, stack_id text, run_id text, outcome text, input text, decision text, messages jsonb, body text, error text, duration_ms float8)`;
  return ids;
}

const toRecord = (r: Row): EvaluationRecord => ({
  id: r.id as string,
  policyId: r.policy_id as string,
  kind: r.kind as string,
  stackId: r.stack_id as string | null,
  runId: r.run_id as string | null,
  outcome: r.outcome as string,
  input: r.input,
  decision: r.decision,
  messages: r.messages as string[],
  body: r.body as string,
  error: r.error as string | null,
  durationMs: r.duration_ms as number,
  createdAt: r.created_at as Date,
});

/** Newest first; after: a record id from the previous page. Inputs are not loaded. */
export async function listEvaluations(db: Db, policyId: string, first = 100, after: string | null = null): Promise<EvaluationRecord[]> {
  const rows = await db<Row[]>`
    select id, policy_id, kind, stack_id, run_id, outcome, 'null'::jsonb as input, decision, messages, '' as body, error, duration_ms, created_at
    from policy_evaluations where policy_id = ${policyId} ${after ? db`and id < ${after}` : db``}
    order by id desc limit ${first}`;
  return rows.map(toRecord);
}

export async function getEvaluation(db: Db, policyId: string, id: string): Promise<EvaluationRecord | null> {
  const [row] = await db<Row[]>`select * from policy_evaluations where policy_id = ${policyId} and id = ${id}`;
  return row ? toRecord(row) : null;
}

export async function runEvaluations(db: Db, runId: string): Promise<EvaluationRecord[]> {
  return (await db<Row[]>`select * from policy_evaluations where run_id = ${runId} order by id`).map(toRecord);
}
