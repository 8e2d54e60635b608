// End to end with real processes and real tools: Gantry (main.ts) and a worker (worker/main.ts),
// a bare Git repository the test makes, `terraform` on built-in resources only (offline), and
// ansible-playbook on localhost when it is installed. Runs are driven through GraphQL as the admin:
// a tracked run waits UNCONFIRMED, is confirmed and applied (on a new hand-over) with its outputs
// readable on the stack; a proposed run from another branch; autodeploy; a task after init; a
// stop during planning; an Ansible stack.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync, writeFileSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { waitFor } from "../shared/testing/wait.ts";
import { startGantry, type Gantry } from "../shared/testing/gantry.ts";
import { hasCommand } from "./testing.ts";

const MAIN_TF = (greeting: string) => `
variable "spacelift_stack_id" {
  type = string
}
resource "terraform_data" "greeting" {
  input = "${greeting}"
}
output "greeting" {
  value = terraform_data.greeting.output
}
output "stack" {
  value = var.spacelift_stack_id
}
output "password" {
  value     = "e2e-s3cr3t"
  sensitive = true
}
`;
const PLAYBOOK = `
- hosts: localhost
  connection: local
  gather_facts: false
  tasks:
    - name: write the target
      ansible.builtin.copy:
        dest: "{{ lookup('ansible.builtin.env', 'TARGET') }}"
        content: "from the e2e playbook\\n"
`;

let g: Gantry | null = null;
test.after(async () => {
  await g?.close();
});

/** A bare repository: main holds tf/ and ansible/; branch feature changes the greeting. */
function makeRepository(dir: string): { url: string; feature: string } {
  const work = join(dir, "work");
  const env = { ...process.env, GIT_AUTHOR_NAME: "t", GIT_AUTHOR_EMAIL: "t@example.com", GIT_COMMITTER_NAME: "t", GIT_COMMITTER_EMAIL: "t@example.com", GIT_CONFIG_NOSYSTEM: "1" };
  const git = (args: string[], cwd = work) => execFileSync("git", args, { cwd, env }).toString().trim();
  git(["init", "--quiet", "-b", "main", work], dir);
  mkdirSync(join(work, "tf"));
  mkdirSync(join(work, "ansible"));
  writeFileSync(join(work, "tf", "main.tf"), MAIN_TF("hello"));
  writeFileSync(join(work, "ansible", "site.yml"), PLAYBOOK);
  git(["add", "."]);
  git(["commit", "--quiet", "-m", "first"]);
  git(["checkout", "--quiet", "-b", "feature"]);
  writeFileSync(join(work, "tf", "main.tf"), MAIN_TF("from a feature"));
  git(["commit", "--quiet", "-am", "feature"]);
  const feature = git(["rev-parse", "HEAD"]);
  git(["checkout", "--quiet", "main"]);
  git(["clone", "--quiet", "--bare", work, join(dir, "repo.git")], dir);
  return { url: `file://${join(dir, "repo.git")}`, feature };
}

test("tracked, proposed, autodeploy, task, stop and Ansible runs on a real worker with real tools", async () => {
  if (!hasCommand("git") || !hasCommand("terraform") || !hasCommand("tar")) return console.log("SKIP: git, terraform or tar is not installed");
  g = await startGantry();
  const { dir, db } = g;
  const repo = makeRepository(dir);
  const gql = (query: string, variables: Record<string, unknown> = {}) => g!.graphql(query, variables);

  const pool = (await gql(`mutation { workerPoolCreate(name: "runs", certificateSigningRequest: "") { id config } }`)).workerPoolCreate;
  const stack = async (input: Record<string, unknown>) =>
    (await gql("mutation ($input: StackInput!) { stackCreate(input: $input, manageState: true) { id } }", { input: { repository: repo.url, branch: "main", workerPool: pool.id, projectRoot: "tf", ...input } })).stackCreate.id as string;
  const tf = await stack({ name: "tf" });
  const auto = await stack({ name: "auto", autodeploy: true });
  const napping = join(dir, "napping");
  const slow = await stack({ name: "slow", beforePlan: [`touch ${napping}`, "sleep 120"] });

  const worker = await g.worker(pool.config);

  const state = async (id: string) => (await db.sql`select state from runs where id = ${id}`)[0]?.state as string | undefined;
  const history = async (id: string) => (await db.sql`select state from run_transitions where run_id = ${id} order by seq`).map((h) => h.state as string);
  const note = async (id: string) => (await db.sql`select note from run_transitions where run_id = ${id} order by seq desc limit 1`)[0]?.note;
  const settle = async (id: string, states: string[]) => {
    await waitFor(async () => states.includes((await state(id)) ?? ""), { timeoutMs: 120_000, intervalMs: 100, what: `run ${id} to reach ${states.join(" or ")}` });
    return state(id);
  };
  const expectState = async (id: string, wanted: string) => {
    const reached = await settle(id, [wanted, "FAILED", "STOPPED", "FINISHED"]);
    assert.is(reached, wanted, `${await note(id)}\n${worker.output().slice(-3000)}`);
  };
  const trigger = async (stackId: string, extra = "", variables: Record<string, unknown> = {}) =>
    (await gql(`mutation ($stack: ID!${extra ? ", $sha: String" : ""}) { runTrigger(stack: $stack${extra}) { id } }`, { stack: stackId, ...variables })).runTrigger.id as string;
  const outputs = async (stackId: string) =>
    ((await gql("query ($id: ID!) { stack(id: $id) { outputs { id sensitive value } } }", { id: stackId })).stack.outputs as Array<{ id: string }>).sort((a, b) => a.id.localeCompare(b.id));
  const delta = async (stackId: string, runId: string) => (await gql("query ($s: ID!, $r: ID!) { stack(id: $s) { run(id: $r) { delta { addCount changeCount deleteCount } } } }", { s: stackId, r: runId })).stack.run.delta;

  // Tracked: planned, UNCONFIRMED with the workspace stored; confirmed, applied on a new hand-over.
  const tracked = await trigger(tf);
  await expectState(tracked, "UNCONFIRMED");
  assert.equal(await delta(tf, tracked), { addCount: 1, changeCount: 0, deleteCount: 0 });
  await gql("mutation ($s: ID!, $r: ID!) { runConfirm(stack: $s, run: $r) { id } }", { s: tf, r: tracked });
  await expectState(tracked, "FINISHED");
  assert.equal(await history(tracked), ["QUEUED", "READY", "PREPARING", "INITIALIZING", "PLANNING", "UNCONFIRMED", "CONFIRMED", "PREPARING_APPLY", "APPLYING", "FINISHED"]);
  assert.equal(await outputs(tf), [
    { id: "greeting", sensitive: false, value: '"hello"' },
    { id: "password", sensitive: true, value: null },
    { id: "stack", sensitive: false, value: `"${tf}"` },
  ]);
  assert.not.match(worker.output(), /e2e-s3cr3t/);
  // The state is Gantry's (the http backend): one version per write, written by the apply.
  const versions = (await gql("query ($id: ID!) { stack(id: $id) { stateVersions { serial run { id } } currentStateVersion { serial } } }", { id: tf })).stack;
  assert.ok(versions.stateVersions.length >= 1 && versions.stateVersions.some((v: { run: { id: string } | null }) => v.run?.id === tracked), JSON.stringify(versions));
  // The logs, as spacectl reads them: the plan's output is there, and no secret value.
  const planLog = (await gql("query ($s: ID!, $r: ID!) { stack(id: $s) { run(id: $r) { logs(state: PLANNING) { exists finished messages { message } } } } }", { s: tf, r: tracked })).stack.run.logs;
  assert.ok(planLog.exists && planLog.finished, JSON.stringify(planLog));
  const planText = planLog.messages.map((m: { message: string }) => m.message).join("");
  assert.match(planText, /Plan: 1 to add, 0 to change, 0 to destroy/);
  assert.not.match(planText, /e2e-s3cr3t/);

  // Proposed, at a commit of another branch: plans against the stack's state, changes nothing.
  const proposed = await trigger(tf, ", commitSha: $sha, runType: PROPOSED", { sha: repo.feature });
  await expectState(proposed, "FINISHED");
  assert.equal(await delta(tf, proposed), { addCount: 0, changeCount: 1, deleteCount: 0 });
  assert.equal((await outputs(tf))[0], { id: "greeting", sensitive: false, value: '"hello"' });

  // A task initializes first, then sees the state the apply left.
  const listed = join(dir, "state-list.txt");
  const task = (await gql("mutation ($s: ID!, $c: String!) { taskCreate(stack: $s, command: $c) { id } }", { s: tf, c: `terraform state list > ${listed}` })).taskCreate.id as string;
  await expectState(task, "FINISHED");
  assert.equal(await history(task), ["QUEUED", "READY", "PREPARING", "INITIALIZING", "PERFORMING", "FINISHED"]);
  assert.is(readFileSync(listed, "utf8").trim(), "terraform_data.greeting");

  // Autodeploy: planned and applied in one hand-over.
  const deployed = await trigger(auto);
  await expectState(deployed, "FINISHED");
  assert.equal(await history(deployed), ["QUEUED", "READY", "PREPARING", "INITIALIZING", "PLANNING", "APPLYING", "FINISHED"]);
  assert.is((await outputs(auto)).length, 3);

  // A stop while planning (in the beforePlan hook's sleep): STOPPED, and the worker is free again.
  const stopped = await trigger(slow);
  await settle(stopped, ["PLANNING", "FAILED", "FINISHED"]);
  await waitFor(() => existsSync(napping), { timeoutMs: 30_000, what: "the beforePlan hook to start its nap" });
  await gql("mutation ($s: ID!, $r: ID!) { runStop(stack: $s, run: $r) { id } }", { s: slow, r: stopped });
  await expectState(stopped, "STOPPED");
  await worker.waitForLine(/"run left the worker".*"outcome":"STOPPED"/, 30_000);
  assert.equal((await history(stopped)).slice(-2), ["PLANNING", "STOPPED"], "nothing was reported after the stop");
  const after = (await gql('mutation ($s: ID!) { taskCreate(stack: $s, command: "true", skipInitialization: true) { id } }', { s: slow })).taskCreate.id as string;
  await expectState(after, "FINISHED");

  // Ansible on localhost: check mode, confirmation, the real run.
  if (!hasCommand("ansible-playbook")) console.log("SKIP (part): ansible-playbook is not installed");
  else {
    const target = join(dir, "ansible-target.txt");
    const ansible = await stack({ name: "ansible", projectRoot: "ansible", vendorConfig: { ansible: { playbook: "site.yml" } } });
    await gql("mutation ($s: ID!, $c: ConfigInput!) { stackConfigAdd(stack: $s, config: $c) { id } }", { s: ansible, c: { id: "TARGET", type: "ENVIRONMENT_VARIABLE", value: target, writeOnly: false } });
    const play = await trigger(ansible);
    await expectState(play, "UNCONFIRMED");
    assert.equal(await delta(ansible, play), { addCount: 0, changeCount: 1, deleteCount: 0 });
    assert.not.ok(existsSync(target));
    await gql("mutation ($s: ID!, $r: ID!) { runConfirm(stack: $s, run: $r) { id } }", { s: ansible, r: play });
    await expectState(play, "FINISHED");
    assert.is(readFileSync(target, "utf8"), "from the e2e playbook\n");
  }

  assert.equal(execFileSync("ls", [join(dir, "runs")]).toString().trim(), "", "each run's directory is removed");
  if (process.env.GANTRY_DEBUG_E2E) console.log(worker.output());
  worker.kill("SIGTERM");
  assert.is((await worker.exited).code, 0);
  g.process().kill("SIGTERM");
  assert.is((await g.process().exited).code, 0, "Gantry stops cleanly");
});

test.run();
