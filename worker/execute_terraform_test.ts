// executeRun with the real `terraform` binary (OpenTofu stacks fall back to it when `tofu` is
// missing) on a configuration of built-in resources only, so it runs offline. A tiny HTTP server
// stands in for the pre-signed URLs: the workspace archive, the JSON plan and the local state.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { memoryLogger } from "../shared/log.ts";
import type { RunSpec } from "../shared/workers/protocol.ts";
import { waitFor } from "../shared/testing/wait.ts";
import { ApiError } from "./api_client.ts";
import type { ToolBinaries } from "./config.ts";
import { runControl, type RunControl } from "./control.ts";
import { createDrivers } from "./drivers/registry.ts";
import { executeRun } from "./execute.ts";
import { gone, hasCommand, makeRepository, objectStore, recordingChannel, runSpec, SIGNATURE, type ObjectStore, type SpecOverrides } from "./testing.ts";

const MAIN_TF = `
variable "greeting" {
  type    = string
  default = "hello"
}
variable "spacelift_stack_id" {
  type = string
}
resource "terraform_data" "greeting" {
  input = var.greeting
}
output "greeting" {
  value = terraform_data.greeting.output
}
output "stack" {
  value = var.spacelift_stack_id
}
output "list" {
  value = [1, "two"]
}
output "password" {
  value     = "s3cr3t-output"
  sensitive = true
}
`;
const SLOW_TF = `
resource "terraform_data" "slow" {
  provisioner "local-exec" {
    command = "echo $$ > \\"$PID_FILE\\"; exec sleep 60"
  }
}
`;

const dir = mkdtempSync(join(tmpdir(), "gantry-execute-tf-"));
const ready = hasCommand("git") && hasCommand("terraform") && hasCommand("tar");
const repo = join(dir, "repo");
let store: ObjectStore;
const tools: ToolBinaries = { tofu: "tofu", terraform: "terraform", ansiblePlaybook: "ansible-playbook", explicit: { tofu: false, terraform: false, ansiblePlaybook: false } };
const baseEnv = { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: dir, TF_CLI_CONFIG_FILE: "/dev/null" };

test.before(async () => {
  store = await objectStore();
  if (ready) makeRepository(repo, [{ "tf/main.tf": MAIN_TF, "slow/main.tf": SLOW_TF }]);
});
test.after(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

const urls = {
  workspaceUpload: () => store.url("workspace.tar.gz"),
  workspaceDownload: () => store.url("workspace.tar.gz"),
  planUpload: () => store.url("plan.json"),
  localStateDownload: () => store.url("state"),
  localStateUpload: () => store.url("state"),
};
const spec = (over: SpecOverrides = {}): RunSpec =>
  runSpec(`file://${repo}`, {
    type: "TRACKED",
    command: null,
    vendor: "OPENTOFU",
    vendorConfig: { vendor: "OPENTOFU", workflowTool: "OPEN_TOFU", version: "1.8.0" },
    ...over,
    repository: { projectRoot: "tf", ...over.repository },
    urls: { ...(Object.fromEntries(Object.entries(urls).map(([k, f]) => [k, f()])) as RunSpec["urls"]), ...over.urls },
  });

async function execute(run: RunSpec, options: { control?: RunControl; channel?: ReturnType<typeof recordingChannel>; tools?: ToolBinaries } = {}) {
  const channel = options.channel ?? recordingChannel();
  const log = memoryLogger();
  const outcome = await executeRun({ run, channel, drivers: createDrivers(options.tools ?? tools), workDir: join(dir, "runs"), log, baseEnv, control: options.control });
  const states = channel.reports.map((r) => r.state);
  return { outcome, states, channel, log: log.lines.join("\n"), reports: channel.reports };
}

const outputs = (value: Record<string, unknown>) => [
  { id: "greeting", sensitive: false, value: JSON.stringify(value.greeting) },
  { id: "list", sensitive: false, value: '[1,"two"]' },
  { id: "password", sensitive: true, value: null },
  { id: "stack", sensitive: false, value: '"s"' },
];
const sorted = <T extends { id: string }>(list: T[]) => [...list].sort((a, b) => a.id.localeCompare(b.id));

test("a tracked run with changes waits UNCONFIRMED with its workspace stored; its apply phase, from that archive, applies and records outputs", async () => {
  if (!ready) return console.log("SKIP: git, terraform or tar is not installed");
  const planned = await execute(spec());
  assert.equal(planned.states, ["PREPARING", "INITIALIZING", "PLANNING", "UNCONFIRMED"], `${planned.log}\n${JSON.stringify(planned.reports)}`);
  assert.match(planned.log, /OpenTofu \(tofu\) is not installed on this worker; using Terraform \(terraform\) instead/);
  assert.match(planned.log, /No state yet/);
  assert.equal(planned.channel.plans, [{ add: 1, change: 0, destroy: 0, resources: [{ address: "terraform_data.greeting", type: "terraform_data", name: "greeting", actions: ["create"] }] }]);
  assert.ok(JSON.parse(store.objects.get("plan.json")!.toString()).resource_changes, "the JSON plan is stored");
  assert.ok(store.objects.get("workspace.tar.gz")!.length > 0, "the workspace archive is stored");
  assert.not.ok(store.objects.has("state"), "planning writes no state");
  assert.equal(planned.channel.outputSets, []);
  assert.not.match(planned.log, new RegExp(SIGNATURE), "a pre-signed URL's signature is never logged");

  const applied = await execute(spec({ phase: "apply", state: "PREPARING_APPLY" }));
  assert.equal(applied.states, ["PREPARING_APPLY", "APPLYING", "FINISHED"], `${applied.log}\n${JSON.stringify(applied.reports)}`);
  assert.equal(sorted(applied.channel.outputSets[0]), outputs({ greeting: "hello" }));
  const state = JSON.parse(store.objects.get("state")!.toString());
  assert.is(state.resources[0].type, "terraform_data", "the state is uploaded after the apply");
  assert.not.match(applied.log, /s3cr3t-output/);
  assert.equal(readdirSync(join(dir, "runs")), [], "every directory is removed");
});

test("without changes a tracked run finishes and records outputs; a proposed run plans against the stored state and changes nothing", async () => {
  if (!ready) return console.log("SKIP: git, terraform or tar is not installed");
  const same = await execute(spec());
  assert.equal(same.states, ["PREPARING", "INITIALIZING", "PLANNING", "FINISHED"], same.log);
  assert.equal(same.channel.plans, [{ add: 0, change: 0, destroy: 0, resources: [] }]);
  assert.equal(sorted(same.channel.outputSets[0]), outputs({ greeting: "hello" }));

  const stateBefore = store.objects.get("state");
  const proposed = await execute(spec({ type: "PROPOSED", environment: [{ name: "TF_VAR_greeting", value: "proposed", secret: false }] }));
  assert.equal(proposed.states, ["PREPARING", "INITIALIZING", "PLANNING", "FINISHED"], proposed.log);
  assert.equal(proposed.channel.plans[0].add + proposed.channel.plans[0].change, 1);
  assert.equal(proposed.channel.outputSets, []);
  assert.is(store.objects.get("state"), stateBefore, "a proposed run leaves the state alone");
});

test("autodeploy applies on the same worker, with hooks around each phase in order", async () => {
  if (!ready) return console.log("SKIP: git, terraform or tar is not installed");
  const trace = join(dir, "trace.log");
  const hook = (name: string) => `echo "${name} $TF_VAR_spacelift_run_state $TF_VAR_spacelift_final_run_state" >> "$TRACE"`;
  const names = ["beforeInit", "afterInit", "beforePlan", "afterPlan", "beforeApply", "afterApply", "afterRun"] as const;
  const run = spec({
    autodeploy: true,
    environment: [{ name: "TRACE", value: trace, secret: false }],
    hooks: { ...Object.fromEntries(names.map((n) => [n, [hook(n)]])), beforePlan: [hook("beforePlan"), "export TF_VAR_greeting=from-hook"] },
  });
  const result = await execute(run);
  assert.equal(result.states, ["PREPARING", "INITIALIZING", "PLANNING", "APPLYING", "FINISHED"], result.log);
  assert.equal(readFileSync(trace, "utf8").trim().split("\n"), [
    "beforeInit INITIALIZING ",
    "afterInit INITIALIZING ",
    "beforePlan PLANNING ",
    "afterPlan PLANNING ",
    "beforeApply APPLYING ",
    "afterApply APPLYING ",
    "afterRun APPLYING FINISHED",
  ]);
  assert.equal(sorted(result.channel.outputSets[0]), outputs({ greeting: "from-hook" }), "the plan saw what the before-hook exported");
  assert.match(JSON.stringify(JSON.parse(store.objects.get("state")!.toString()).resources[0].instances[0].attributes.output), /from-hook/);
});

test("tasks: after init they see the state; skipInitialization goes straight to PERFORMING", async () => {
  if (!ready) return console.log("SKIP: git, terraform or tar is not installed");
  const listed = await execute(spec({ type: "TASK", command: "terraform state list" }));
  assert.equal(listed.states, ["PREPARING", "INITIALIZING", "PERFORMING", "FINISHED"], listed.log);
  assert.match(listed.log, /terraform_data\.greeting/);
  const raw = await execute(spec({ type: "TASK", command: "test ! -d .terraform && test -f terraform.tfstate", skipInitialization: true }));
  assert.equal(raw.states, ["PREPARING", "PERFORMING", "FINISHED"], raw.log);
  const failing = await execute(spec({ type: "TASK", command: "terraform state show nothing.here" }));
  assert.equal(failing.reports.at(-1), { state: "FAILED", note: "the command exited with code 1" });
});

test("a destroy run initializes, destroys, uploads the emptied state and clears the outputs", async () => {
  if (!ready) return console.log("SKIP: git, terraform or tar is not installed");
  const result = await execute(spec({ type: "DESTROY" }));
  assert.equal(result.states, ["PREPARING", "INITIALIZING", "DESTROYING", "FINISHED"], result.log);
  assert.equal(JSON.parse(store.objects.get("state")!.toString()).resources, []);
  assert.equal(result.channel.outputSets, [[]]);
});

test("a stop while the tool runs interrupts its process group (terraform and its provisioner's sleep)", async () => {
  if (!ready) return console.log("SKIP: git, terraform or tar is not installed");
  const pidFile = join(dir, "slow.pid");
  const control = runControl();
  const channel = recordingChannel({
    onReport: (r) => {
      if (r.state !== "APPLYING") return;
      void waitFor(() => existsSync(pidFile) && readFileSync(pidFile, "utf8").trim() !== "", { timeoutMs: 30_000 }).then(() => control.stop("SIGINT", "stopped by the user", true));
    },
  });
  const started = Date.now();
  const result = await execute(spec({ autodeploy: true, repository: { projectRoot: "slow" }, environment: [{ name: "PID_FILE", value: pidFile, secret: false }], urls: { localStateDownload: null, localStateUpload: null } }), { control, channel });
  assert.is(result.outcome, "STOPPED", result.log);
  assert.equal(result.states, ["PREPARING", "INITIALIZING", "PLANNING", "APPLYING"]);
  assert.ok(Date.now() - started < 45_000);
  await waitFor(() => gone(Number(readFileSync(pidFile, "utf8"))), { timeoutMs: 15_000, what: "the provisioner's sleep to end" });
});

test("a plan summary the server refuses fails the run with the server's reason", async () => {
  if (!ready) return console.log("SKIP: git, terraform or tar is not installed");
  const channel = {
    ...recordingChannel(),
    plan: async () => {
      throw new ApiError(409, "/runs/01RUN/plan: 409 run 01RUN is STOPPED: a plan is reported while PLANNING");
    },
  };
  const result = await execute(spec({ type: "PROPOSED" }), { channel });
  assert.equal(result.reports.at(-1), { state: "FAILED", note: "the server refused the run's plan summary: /runs/01RUN/plan: 409 run 01RUN is STOPPED: a plan is reported while PLANNING" });
});

test("a binary the configuration names is used as it is: missing, the run fails saying so", async () => {
  if (!ready) return console.log("SKIP: git, terraform or tar is not installed");
  const missing = { ...tools, tofu: "/nonexistent/tofu", explicit: { ...tools.explicit, tofu: true } };
  const result = await execute(spec({ type: "PROPOSED" }), { tools: missing });
  assert.equal(result.reports.at(-1), { state: "FAILED", note: "tofu is not installed on this worker (/nonexistent/tofu)" });
  const terraform = await execute(spec({ type: "PROPOSED", vendor: "TERRAFORM", vendorConfig: { vendor: "TERRAFORM", workflowTool: "TERRAFORM_FOSS" } }), { tools: missing });
  assert.is(terraform.outcome, "FINISHED", terraform.log);
  assert.not.match(terraform.log, /not installed/);
});

test.run();
