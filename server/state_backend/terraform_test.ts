// The real `terraform` against the state backend, configured as a worker does it (a backend
// override file written from RunSpec.stateBackend): init, plan, apply, state pull, state push
// (a lower serial refused even with -force), a stuck lock that blocks a plan until
// force-unlock, and credentials that stop working when the run ends. Only terraform_data
// resources and outputs: no provider to download. Skipped without terraform on PATH.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { getStateLock } from "../../shared/state/lock.ts";
import { listOutputs } from "../../shared/runs/results.ts";
import { getCurrentVersion } from "../../shared/state/versions.ts";
import { backendOverride } from "../../shared/state/override.ts";
import { basic, startStateHarness, type StateHarness } from "./testing.ts";

const hasTerraform = spawnSync("terraform", ["version"], { stdio: "ignore" }).status === 0;
const SKIP = "SKIP: terraform is not on PATH";
let h: StateHarness;
let dir: string;
test.before(async () => {
  if (!hasTerraform) return;
  h = await startStateHarness();
  dir = mkdtempSync(join(tmpdir(), "gantry-tf-"));
});
test.after(async () => {
  await h?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function terraform(...args: string[]): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    const child = spawn("terraform", args, {
      cwd: dir,
      env: { PATH: process.env.PATH, HOME: dir, TF_IN_AUTOMATION: "1", TF_INPUT: "0", CHECKPOINT_DISABLE: "1", NO_COLOR: "1", TF_HTTP_RETRY_MAX: "0" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    child.stdout.on("data", (d) => (out += d));
    child.stderr.on("data", (d) => (out += d));
    child.on("close", (code) => resolve({ code: code ?? -1, out }));
  });
}

const ok = async (...args: string[]) => {
  const r = await terraform(...args, "-no-color");
  assert.is(r.code, 0, `terraform ${args.join(" ")}:\n${r.out}`);
  return r.out;
};

test("init, plan, apply, state pull and push, force-unlock against the backend; the run's end closes it", async () => {
  if (!hasTerraform) return console.log(SKIP);
  await h.stack("tf");
  const run = await h.take("tf");
  writeFileSync(join(dir, "main.tf"), `
resource "terraform_data" "web" {
  input = "hello"
}
output "greeting" {
  value = terraform_data.web.output
}
output "token" {
  value     = "s3cr3t-token"
  sensitive = true
}
`);
  writeFileSync(join(dir, "gantry_backend_override.tf"), backendOverride(run.backend));
  await ok("init", "-input=false");
  await ok("plan", "-input=false");
  await ok("apply", "-input=false", "-auto-approve");
  const current = await getCurrentVersion(h.db.sql, "tf");
  assert.ok(current && current.runId === run.id, "the apply's write is the current version");
  assert.equal(await listOutputs(h.db.sql, "tf"), [{ id: "greeting", sensitive: false, value: '"hello"' }, { id: "token", sensitive: true, value: null }]);
  const [resource] = await h.db.sql`select address, created_by_run_id from stack_resources where stack_id = 'tf'`;
  assert.equal([resource.address, resource.created_by_run_id], ["terraform_data.web", run.id]);
  assert.is(await getStateLock(h.db.sql, "tf"), null, "terraform unlocked after apply");

  // state pull is the current version; state push of a newer serial is a new version.
  const pulled = JSON.parse(await ok("state", "pull"));
  assert.equal([pulled.serial, pulled.lineage], [current!.serial, current!.lineage]);
  writeFileSync(join(dir, "newer.tfstate"), JSON.stringify({ ...pulled, serial: pulled.serial + 5 }));
  await ok("state", "push", "newer.tfstate");
  const pushed = (await getCurrentVersion(h.db.sql, "tf"))!;
  assert.ok(pushed.serial >= pulled.serial + 5 && pushed.runId === run.id, "the pushed state is current");
  // A lower serial: terraform refuses without -force; with -force the server still refuses (only an admin forces).
  writeFileSync(join(dir, "older.tfstate"), JSON.stringify({ ...pulled, serial: 0 }));
  assert.is.not((await terraform("state", "push", "older.tfstate")).code, 0);
  const forced = await terraform("state", "push", "-force", "older.tfstate");
  assert.is.not(forced.code, 0, "the backend refuses a lower serial");
  assert.match(forced.out, /409/);
  assert.is((await getCurrentVersion(h.db.sql, "tf"))!.id, pushed.id, "the current version stays");

  // A lock left by a crashed terraform blocks the next plan until force-unlock.
  const stuck = await fetch(run.backend.lockAddress, {
    method: "LOCK",
    headers: { authorization: basic(run.backend) },
    body: JSON.stringify({ ID: "5b1c6a8e-dead-4bee-8f00-000000000001", Operation: "OperationTypeApply", Who: "crashed@worker", Version: "1.11.4", Created: new Date().toISOString(), Info: "", Path: "" }),
  });
  assert.is(stuck.status, 200);
  const blocked = await terraform("plan", "-input=false", "-lock-timeout=0s");
  assert.is.not(blocked.code, 0);
  assert.match(blocked.out, /5b1c6a8e-dead-4bee-8f00-000000000001/, "terraform shows the holder's lock ID");
  await ok("force-unlock", "-force", "5b1c6a8e-dead-4bee-8f00-000000000001");
  assert.is(await getStateLock(h.db.sql, "tf"), null);
  const plan = await ok("plan", "-input=false");
  assert.match(plan, /No changes/);

  // The run ends: its credentials stop working.
  for (const s of ["INITIALIZING", "PLANNING", "APPLYING", "FINISHED"]) assert.is(await run.report(s), 200, s);
  const after = await terraform("plan", "-input=false");
  assert.is.not(after.code, 0);
  assert.match(after.out, /403|invalid auth/);
  assert.ok(readFileSync(join(dir, "gantry_backend_override.tf"), "utf8").includes('backend "http"'));
});

test.run();
