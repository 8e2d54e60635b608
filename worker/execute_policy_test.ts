// The worker's side of plan policies, with the real `terraform` binary on built-in resources: the
// JSON plan is uploaded before the summary is posted, and the answer (the plan policies' decision)
// fails the run (deny), keeps an autodeploy run from applying (warn), or ends a proposed run
// PENDING_REVIEW.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { memoryLogger } from "../shared/log.ts";
import type { PlanDecision, RunSpec } from "../shared/workers/protocol.ts";
import type { ToolBinaries } from "./config.ts";
import { createDrivers } from "./drivers/registry.ts";
import { executeRun } from "./execute.ts";
import { hasCommand, makeRepository, objectStore, recordingChannel, runSpec, type ObjectStore, type SpecOverrides } from "./testing.ts";

const dir = mkdtempSync(join(tmpdir(), "gantry-execute-policy-"));
const ready = hasCommand("git") && hasCommand("terraform") && hasCommand("tar");
const repo = join(dir, "repo");
let store: ObjectStore;
const tools: ToolBinaries = { tofu: "tofu", terraform: "terraform", ansiblePlaybook: "ansible-playbook", explicit: { tofu: false, terraform: false, ansiblePlaybook: false } };
const baseEnv = { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: dir, TF_CLI_CONFIG_FILE: "/dev/null" };

test.before(async () => {
  store = await objectStore();
  if (ready) makeRepository(repo, [{ "tf/main.tf": 'resource "terraform_data" "x" {\n  input = "hello"\n}\n' }]);
});
test.after(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

let n = 0;
const spec = (over: SpecOverrides = {}): RunSpec => {
  n += 1;
  return runSpec(`file://${repo}`, {
    type: "TRACKED",
    command: null,
    vendor: "TERRAFORM",
    vendorConfig: { vendor: "TERRAFORM", workflowTool: "TERRAFORM_FOSS" },
    ...over,
    repository: { projectRoot: "tf" },
    urls: { planUpload: store.url(`plan-${n}.json`), workspaceUpload: store.url(`ws-${n}.tar.gz`), localStateDownload: store.url(`state-${n}`), localStateUpload: store.url(`state-${n}`), ...over.urls },
  });
};

async function execute(run: RunSpec, decision: PlanDecision) {
  const base = recordingChannel();
  let uploadedFirst = false;
  const planKey = decodeURIComponent(new URL(run.urls.planUpload!).pathname.slice(1));
  const channel = { ...base, plan: async () => ((uploadedFirst = store.objects.has(planKey)), decision) };
  const outcome = await executeRun({ run, channel, drivers: createDrivers(tools), workDir: join(dir, "runs"), log: memoryLogger(), baseEnv });
  return { outcome, states: base.reports.map((r) => r.state), reports: base.reports, uploadedFirst };
}

test("deny: the run fails with the policies' messages as its note; the JSON plan was uploaded before the summary", async () => {
  if (!ready) return console.log("SKIP: git, terraform or tar is not installed");
  const r = await execute(spec({ autodeploy: true }), { outcome: "deny", messages: ["no buckets", "no data"] });
  assert.equal(r.states, ["PREPARING", "INITIALIZING", "PLANNING", "FAILED"]);
  assert.is(r.reports[3].note, "denied by plan policies: no buckets; no data");
  assert.ok(r.uploadedFirst, "plan policies read the JSON plan: it is stored before /plan");
});

test("warn: an autodeploy tracked run waits UNCONFIRMED instead of applying; allow applies", async () => {
  if (!ready) return console.log("SKIP: git, terraform or tar is not installed");
  const warned = await execute(spec({ autodeploy: true }), { outcome: "warn", messages: ["careful"] });
  assert.equal(warned.states, ["PREPARING", "INITIALIZING", "PLANNING", "UNCONFIRMED"]);
  const allowed = await execute(spec({ autodeploy: true }), { outcome: "allow", messages: [] });
  assert.equal(allowed.states, ["PREPARING", "INITIALIZING", "PLANNING", "APPLYING", "FINISHED"]);
});

test("a proposed run whose warnings need a review ends its hand-over PENDING_REVIEW", async () => {
  if (!ready) return console.log("SKIP: git, terraform or tar is not installed");
  const r = await execute(spec({ type: "PROPOSED", urls: { workspaceUpload: null, localStateUpload: null } }), { outcome: "warn", messages: ["review me"], pendingReview: true });
  assert.equal(r.states, ["PREPARING", "INITIALIZING", "PLANNING", "PENDING_REVIEW"]);
  assert.is(r.outcome, "PENDING_REVIEW");
});

test.run();
