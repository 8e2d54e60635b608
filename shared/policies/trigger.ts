// TRIGGER policies: when a tracked run ends, each trigger policy attached to its stack names stacks
// (`trigger` set of stack ids) that get a new tracked run. Candidates are the stacks of the
// policy's space and its subspaces that the run's author (an API key) can read; a run created so
// belongs to the same chain (the input's `workflow`), and is triggered by `policy::<id>` with
// write access in the policy's space, so locks and disabled stacks are respected.
import type { Sql } from "../db/connect.ts";
import type { Logger } from "../log.ts";
import { roleIn, type Actor } from "../auth/roles.ts";
import { actorForKey } from "../auth/queries.ts";
import { spaceTree } from "../spaces/queries.ts";
import { getStack, listStacks } from "../stacks/queries.ts";
import { getRun } from "../runs/queries.ts";
import { triggerRun } from "../runs/operations.ts";
import { isTerminal } from "../runs/run.ts";
import { evaluatePolicies, strings } from "./evaluation.ts";
import { requestInput, runInput, stackInput } from "./inputs.ts";
import { attachedPolicies, within } from "./queries.ts";

export type TriggerResult = Readonly<{ created: string[]; skipped: string[] }>;

export async function runTriggerPolicies(sql: Sql, log: Logger, stackId: string, runId: string): Promise<TriggerResult> {
  const run = await getRun(sql, stackId, runId);
  const stack = await getStack(sql, stackId);
  if (!run || !stack || run.type !== "TRACKED" || !isTerminal(run.state)) return { created: [], skipped: [] };
  const tree = await spaceTree(sql);
  const policies = (await attachedPolicies(sql, tree, stack, "TRIGGER")).map((a) => a.policy);
  if (policies.length === 0) return { created: [], skipped: [] };

  const author: Actor | null = run.triggeredBy.startsWith("api::") ? await actorForKey(sql, run.triggeredBy.slice(5)) : null;
  const [chainRow] = await sql<{ chain_id: string }[]>`select chain_id from run_trigger_chains where run_id = ${runId}`;
  const chain = chainRow?.chain_id ?? runId;
  const workflow = await sql<{ id: string; stack_id: string; state: string; type: string }[]>`
    select r.id, r.stack_id, r.state, r.type from runs r
    where r.id = ${chain} or r.id in (select run_id from run_trigger_chains where chain_id = ${chain}) order by r.id`;
  const all = await listStacks(sql, null);
  const queued = await sql<{ stack_id: string; id: string; state: string; type: string }[]>`select stack_id, id, state, type from runs where not terminal`;
  const created: string[] = [];
  const skipped: string[] = [];
  for (const policy of policies) {
    const visible = all.filter((s) => within(tree, s.spaceId, policy.spaceId) && (!author || roleIn(author, tree, s.spaceId) !== null));
    const stacks = await Promise.all(visible.map(async (s) => ({ ...(await stackInput(sql, s)), queued_runs: queued.filter((q) => q.stack_id === s.id).map((q) => ({ id: q.id, state: q.state, type: q.type })) })));
    const input = { run: await runInput(sql, run), stack: await stackInput(sql, stack), stacks, workflow: workflow.map((w) => ({ id: w.id, stack_id: w.stack_id, state: w.state, type: w.type })), request: requestInput() };
    const [evaluation] = await evaluatePolicies(sql, [policy], input, (doc) => {
      const trigger = strings(doc.trigger);
      return { outcome: trigger.length ? "trigger" : "none", messages: trigger, decision: { trigger } };
    }, { stackId, runId, kind: "TRIGGER" });
    if (!evaluation.verdict) {
      log.warn("trigger policy failed closed: no runs triggered", { policy: policy.id, run: runId, reason: evaluation.error });
      continue;
    }
    const actor: Actor = { id: `policy:${policy.id}`, login: `policy::${policy.id}`, name: policy.name, admin: false, roles: { [policy.spaceId]: "write" } };
    for (const target of evaluation.verdict.decision.trigger) {
      if (!visible.some((s) => s.id === target)) {
        skipped.push(`${target}: not visible to the trigger policy or the run's author`);
        continue;
      }
      try {
        const next = await triggerRun(sql, actor, target, { type: "TRACKED", commitSha: null, note: `triggered by policy ${policy.id} after run ${runId} on ${stackId}` });
        await sql`insert into run_trigger_chains (run_id, chain_id, policy_id) values (${next.id}, ${chain}, ${policy.id})`;
        created.push(next.id);
      } catch (error) {
        skipped.push(`${target}: ${(error as Error).message}`);
      }
    }
  }
  if (skipped.length) log.info("trigger policy skipped stacks", { run: runId, skipped: skipped.join("; ") });
  return { created, skipped };
}
