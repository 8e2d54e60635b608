// Benchmark: Rego evaluation of typical Spacelift PLAN and PUSH policies
// (parsed and compiled once, evaluated many times) against hand-written
// TypeScript computing the same decisions on the same inputs.
//   npx tsx bench/policy/main.ts
// The last line is the summary: `policy: plan median ..µs (..x hand-written), push ...`.

import { compile, evaluateRaw, parseModule } from "../../shared/policy/rego/engine.ts";
import { toJSON } from "../../shared/policy/rego/value.ts";

const PLAN = `
package spacelift

import rego.v1

protected := {"aws_db_instance", "aws_rds_cluster", "aws_s3_bucket", "aws_dynamodb_table"}

deny contains sprintf("deleting %s (%s) is not allowed", [rc.address, rc.type]) if {
	some rc in input.terraform.resource_changes
	"delete" in rc.change.actions
	rc.type in protected
}

deny contains sprintf("%s: instance type %s is too large", [rc.address, rc.change.after.instance_type]) if {
	some rc in input.terraform.resource_changes
	rc.type == "aws_instance"
	endswith(rc.change.after.instance_type, ".24xlarge")
}

changed := [rc | some rc in input.terraform.resource_changes; rc.change.actions != ["no-op"]]

warn contains sprintf("this run changes %d resources", [count(changed)]) if count(changed) > 25

warn contains sprintf("%s will be replaced", [rc.address]) if {
	some rc in input.terraform.resource_changes
	rc.change.actions == ["delete", "create"]
}
`;

const PUSH = `
package spacelift

import rego.v1

affected if {
	some file in input.push.affected_files
	startswith(file, input.stack.project_root)
}

affected if {
	some file in input.push.affected_files
	glob.match("modules/**/*.tf", ["/"], file)
}

track if {
	input.push.branch == input.stack.branch
	affected
}

propose if {
	input.push.branch != input.stack.branch
	affected
}

ignore if not affected

ignore if input.push.tag != ""
`;

// ---- hand-written equivalents ----

type RC = { address: string; type: string; change: { actions: string[]; after: Record<string, unknown> | null } };

const PROTECTED = new Set(["aws_db_instance", "aws_rds_cluster", "aws_s3_bucket", "aws_dynamodb_table"]);

function planByHand(input: { terraform: { resource_changes: RC[] } }) {
  const deny = new Set<string>();
  const warn = new Set<string>();
  const rcs = input.terraform.resource_changes;
  let changed = 0;
  for (const rc of rcs) {
    if (rc.change.actions.includes("delete") && PROTECTED.has(rc.type)) {
      deny.add(`deleting ${rc.address} (${rc.type}) is not allowed`);
    }
    const it = rc.change.after?.instance_type;
    if (rc.type === "aws_instance" && typeof it === "string" && it.endsWith(".24xlarge")) {
      deny.add(`${rc.address}: instance type ${it} is too large`);
    }
    if (!(rc.change.actions.length === 1 && rc.change.actions[0] === "no-op")) changed++;
    if (rc.change.actions.length === 2 && rc.change.actions[0] === "delete" && rc.change.actions[1] === "create") {
      warn.add(`${rc.address} will be replaced`);
    }
  }
  if (changed > 25) warn.add(`this run changes ${changed} resources`);
  return { deny: [...deny].sort(), warn: [...warn].sort() };
}

const MODULE_GLOB = /^modules\/.*\/[^/]*\.tf$/;

function pushByHand(input: { push: { branch: string; tag: string; affected_files: string[] }; stack: { branch: string; project_root: string } }) {
  const affected = input.push.affected_files.some((f) => f.startsWith(input.stack.project_root) || MODULE_GLOB.test(f));
  const sameBranch = input.push.branch === input.stack.branch;
  return {
    track: sameBranch && affected,
    propose: !sameBranch && affected,
    ignore: !affected || input.push.tag !== "",
  };
}

// ---- inputs ----

function planInput(n: number) {
  const types = ["aws_instance", "aws_s3_bucket", "aws_iam_role", "aws_db_instance", "aws_security_group"];
  const actions = [["create"], ["update"], ["no-op"], ["delete"], ["delete", "create"]];
  const resource_changes: RC[] = [];
  for (let i = 0; i < n; i++) {
    const type = types[i % types.length];
    resource_changes.push({
      address: `${type}.r${i}`,
      type,
      change: {
        actions: actions[(i * 7) % actions.length],
        after: type === "aws_instance" ? { instance_type: i % 11 === 0 ? "m5.24xlarge" : "t3.micro", tags: { team: "core" } } : { name: `r${i}` },
      },
    });
  }
  return { spacelift: { run: { type: "PROPOSED" } }, terraform: { resource_changes } };
}

function pushInput(files: number) {
  const affected_files: string[] = [];
  for (let i = 0; i < files; i++) affected_files.push(i % 3 === 0 ? `docs/page${i}.md` : `services/api/file${i}.go`);
  affected_files.push("modules/network/vpc/main.tf");
  return {
    push: { branch: "main", tag: "", affected_files, author: "dev", hash: "abc123", message: "change" },
    stack: { branch: "main", project_root: "stacks/prod/", id: "prod" },
  };
}

// ---- measurement ----

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

/** median µs per call, measured in batches to stay above timer resolution */
function measure(f: () => unknown, batches = 300, batch = 20): number {
  for (let i = 0; i < 200; i++) f(); // warm-up
  const samples: number[] = [];
  for (let b = 0; b < batches; b++) {
    const t0 = performance.now();
    for (let i = 0; i < batch; i++) f();
    samples.push(((performance.now() - t0) * 1000) / batch);
  }
  return median(samples);
}

function assertSame(what: string, a: unknown, b: unknown): void {
  const x = JSON.stringify(a);
  const y = JSON.stringify(b);
  if (x !== y) throw new Error(`${what}: Rego and hand-written decisions differ\n rego: ${x}\n hand: ${y}`);
}

const plan = compile([parseModule(PLAN, { version: "v1", filename: "plan.rego" })]);
const push = compile([parseModule(PUSH, { version: "v1", filename: "push.rego" })]);
const pInput = planInput(50);
const uInput = pushInput(30);

const planRego = () => {
  const deny = evaluateRaw(plan, "data.spacelift.deny", { input: pInput, trustedInput: true }).results[0].expressions[0];
  const warn = evaluateRaw(plan, "data.spacelift.warn", { input: pInput, trustedInput: true }).results[0].expressions[0];
  return { deny: toJSON(deny), warn: toJSON(warn) };
};
const pushRego = () => {
  const r = evaluateRaw(push, "data.spacelift", { input: uInput, trustedInput: true }).results[0].expressions[0] as Record<string, unknown>;
  return { track: r.track === true, propose: r.propose === true, ignore: r.ignore === true };
};

assertSame("plan", planRego(), planByHand(pInput));
assertSame("push", pushRego(), pushByHand(uInput));
const planDecision = planByHand(pInput);
if (planDecision.deny.length === 0 || planDecision.warn.length === 0) throw new Error("plan input should trigger deny and warn");

const planMed = measure(planRego);
const planHand = measure(() => planByHand(pInput));
const pushMed = measure(pushRego);
const pushHand = measure(() => pushByHand(uInput));

console.log(`plan: rego ${planMed.toFixed(1)}µs, hand-written ${planHand.toFixed(2)}µs (50 resource changes, deny ${planDecision.deny.length}, warn ${planDecision.warn.length})`);
console.log(`push: rego ${pushMed.toFixed(1)}µs, hand-written ${pushHand.toFixed(2)}µs (31 affected files)`);
console.log(
  `policy: plan median ${planMed.toFixed(0)}µs (${(planMed / planHand).toFixed(1)}x hand-written), push median ${pushMed.toFixed(0)}µs (${(pushMed / pushHand).toFixed(1)}x hand-written)`,
);
