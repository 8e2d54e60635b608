// A plan's summary from Terraform's JSON plan (`show -json`): counts the way Terraform prints
// "Plan: X to add, Y to change, Z to destroy." (a replacement is one add and one destroy), and the
// resources that change with their actions. Reads and no-ops are not changes.
import { MAX_PLAN_RESOURCES, type PlanSummary, type ResourceChange } from "../../shared/workers/protocol.ts";

type JsonResourceChange = { address?: unknown; type?: unknown; name?: unknown; change?: { actions?: unknown } };

export function summarizeTerraformPlan(plan: unknown): PlanSummary {
  const changes = (plan as { resource_changes?: unknown })?.resource_changes;
  let add = 0;
  let change = 0;
  let destroy = 0;
  const resources: ResourceChange[] = [];
  for (const rc of Array.isArray(changes) ? (changes as JsonResourceChange[]) : []) {
    const actions = Array.isArray(rc?.change?.actions) ? (rc.change!.actions as unknown[]).filter((a): a is string => typeof a === "string") : [];
    const counted = { create: actions.includes("create"), delete: actions.includes("delete"), update: actions.includes("update") };
    if (!counted.create && !counted.delete && !counted.update) continue;
    if (counted.create) add++;
    if (counted.delete) destroy++;
    if (counted.update) change++;
    if (resources.length < MAX_PLAN_RESOURCES) {
      resources.push({ address: String(rc.address ?? ""), type: String(rc.type ?? ""), name: String(rc.name ?? ""), actions });
    }
  }
  return { add, change, destroy, resources };
}
