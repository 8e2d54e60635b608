import { test } from "uvu";
import * as assert from "uvu/assert";
import { summarizeTerraformPlan } from "./plan_summary.ts";

const rc = (address: string, actions: string[]) => ({ address, type: address.split(".")[0], name: address.split(".")[1], change: { actions } });

test("counts as Terraform prints them: a replacement is one add and one destroy; reads and no-ops are no changes", () => {
  const summary = summarizeTerraformPlan({
    resource_changes: [
      rc("a.create", ["create"]),
      rc("b.update", ["update"]),
      rc("c.delete", ["delete"]),
      rc("d.replace", ["delete", "create"]),
      rc("e.replace", ["create", "delete"]),
      rc("f.same", ["no-op"]),
      rc("g.read", ["read"]),
    ],
  });
  assert.equal([summary.add, summary.change, summary.destroy], [3, 1, 3]);
  assert.equal(summary.resources.map((r) => r.address), ["a.create", "b.update", "c.delete", "d.replace", "e.replace"]);
  assert.equal(summary.resources[3], { address: "d.replace", type: "d", name: "replace", actions: ["delete", "create"] });
});

test("a plan without resource_changes, or not a plan at all, changes nothing", () => {
  for (const plan of [{}, null, { resource_changes: "x" }, { resource_changes: [{ change: null }] }]) {
    assert.equal(summarizeTerraformPlan(plan), { add: 0, change: 0, destroy: 0, resources: [] });
  }
});

test.run();
