// What executing a run leaves behind besides its states: the plan summary (Run.delta,
// Run.changesV3) and the stack's outputs after an apply (Stack.outputs), plus the stack's
// needs-attention mark. SQL only; the worker API checks who may write (shared/workers/run_channel.ts).
import type { Db } from "../db/connect.ts";
import type { Output, PlanSummary, ResourceChange } from "../workers/protocol.ts";

export type StoredPlan = PlanSummary & Readonly<{ runId: string }>;

export async function savePlan(db: Db, runId: string, plan: PlanSummary): Promise<void> {
  await db`
    insert into run_plans (run_id, add_count, change_count, destroy_count, resources)
    values (${runId}, ${plan.add}, ${plan.change}, ${plan.destroy}, ${db.json(plan.resources as never)})
    on conflict (run_id) do update set add_count = excluded.add_count, change_count = excluded.change_count,
      destroy_count = excluded.destroy_count, resources = excluded.resources, created_at = now()`;
}

export async function getPlan(db: Db, runId: string): Promise<StoredPlan | null> {
  const [row] = await db<Record<string, unknown>[]>`select * from run_plans where run_id = ${runId}`;
  if (!row) return null;
  return { runId, add: row.add_count as number, change: row.change_count as number, destroy: row.destroy_count as number, resources: row.resources as ResourceChange[] };
}

/** Replaces the stack's outputs with those of the run's apply (null: of an imported or rolled-back state); a sensitive value is never stored. */
export async function replaceOutputs(db: Db, stackId: string, runId: string | null, outputs: readonly Output[]): Promise<void> {
  await db`delete from stack_outputs where stack_id = ${stackId}`;
  if (outputs.length === 0) return;
  await db`
    insert into stack_outputs (stack_id, id, sensitive, value, run_id)
    select ${stackId}, t.id, t.sensitive, case when t.sensitive then null else t.value end, ${runId}
    from jsonb_to_recordset(${db.json(outputs as never)}) as t(id text, sensitive boolean, value text)`;
}

export type StackOutput = Readonly<{ id: string; sensitive: boolean; value: string | null }>;

export async function listOutputs(db: Db, stackId: string): Promise<StackOutput[]> {
  const rows = await db<{ id: string; sensitive: boolean; value: string | null }[]>`select id, sensitive, value from stack_outputs where stack_id = ${stackId} order by id`;
  return rows.map((r) => ({ id: r.id, sensitive: r.sensitive, value: r.value }));
}

export async function setNeedsAttention(db: Db, stackId: string, reason: string | null): Promise<void> {
  await db`update stacks set needs_attention = ${reason} where id = ${stackId}`;
}
