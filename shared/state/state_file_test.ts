// State files without a database: what is refused, outputs (sensitive values dropped), instance
// addresses, sanitisation, the serial rules, and the backend override file.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { moduleAddresses, parentModule, parseStateFile, sanitisedValues, stateInstances, stateOutputs } from "./state_file.ts";
import { serialRefusal } from "./versions.ts";
import { backendOverride } from "./override.ts";

const enc = (v: unknown) => new TextEncoder().encode(typeof v === "string" ? v : JSON.stringify(v));
const doc = {
  version: 4, terraform_version: "1.11.4", serial: 3, lineage: "L",
  outputs: { b: { value: { x: 1 } }, a: { value: "pw", sensitive: true } },
  resources: [
    { mode: "data", type: "t", name: "d", provider: "p", instances: [{ attributes: { id: "1" } }] },
    { module: "module.m[\"k\"].module.n", mode: "managed", type: "t", name: "r", provider: "p", instances: [
      { index_key: "a b", status: "tainted", attributes: { id: "2", secret: "s", nested: { list: ["x", 5] } }, sensitive_attributes: [[{ type: "get_attr", value: "secret" }]] },
      { index_key: 0, deposed: "00abc", attributes: { id: "old" } },
    ] },
  ],
};

test("refuses what is not a whole format-4 state", () => {
  for (const [bad, message] of [["", /empty/], ['{"version":4', /truncated or corrupted/], [new Uint8Array([0xc3, 0x28]), /UTF-8/], [{ version: 3, serial: 1, lineage: "x" }, /format version/], [{ version: 4, serial: -1, lineage: "x" }, /serial/], [{ version: 4, serial: 1, lineage: "" }, /lineage/], [{ version: 4, serial: 1, lineage: "x", resources: {} }, /resources/]] as const) {
    assert.throws(() => parseStateFile(bad instanceof Uint8Array ? bad : enc(bad)), message as RegExp);
  }
});

test("outputs, instances, modules and sanitisation", () => {
  const state = parseStateFile(enc(doc));
  assert.equal([state.serial, state.lineage, state.terraformVersion], [3, "L", "1.11.4"]);
  assert.equal(stateOutputs(state), [{ id: "a", sensitive: true, value: null }, { id: "b", sensitive: false, value: '{"x":1}' }]);
  const instances = stateInstances(state);
  assert.equal(instances.map((i) => [i.address, i.tainted]), [["data.t.d", false], ['module.m["k"].module.n.t.r["a b"]', true]]);
  const smart = sanitisedValues(instances[1], { smartSanitization: true }) as Record<string, unknown>;
  assert.equal([smart.id, (smart.secret as string).length, smart.nested], ["2", 7, { list: ["x", 5] }]);
  const all = sanitisedValues(instances[1], { smartSanitization: false }) as { nested: { list: unknown[] } };
  assert.is((all.nested.list[0] as string).length, 7);
  assert.is(all.nested.list[1], 5);
  assert.equal(moduleAddresses([instances[1].module]), ['module.m["k"]', 'module.m["k"].module.n']);
  assert.is(parentModule('module.m["k"].module.n'), 'module.m["k"]');
});

test("Terraform's serial rules", () => {
  const current = { serial: 5, lineage: "L", checksum: "c" };
  assert.is(serialRefusal(current, { serial: 6, lineage: "L", checksum: "d" }), null);
  assert.is(serialRefusal(current, { serial: 5, lineage: "L", checksum: "c" }), null);
  assert.match(serialRefusal(current, { serial: 5, lineage: "L", checksum: "d" }) ?? "", /already taken/);
  assert.match(serialRefusal(current, { serial: 4, lineage: "L", checksum: "d" }) ?? "", /lower/);
  assert.match(serialRefusal(current, { serial: 9, lineage: "M", checksum: "d" }) ?? "", /lineage/);
});

test("the backend override file escapes HCL templates", () => {
  const file = backendOverride({ address: "http://x/state/s", lockAddress: "http://x/state/s", unlockAddress: "http://x/state/s", username: "R", password: 'p"${x}%{y}' });
  assert.match(file, /backend "http" \{/);
  assert.ok(file.includes('password       = "p\\"$${x}%%{y}"'));
});

test.run();
