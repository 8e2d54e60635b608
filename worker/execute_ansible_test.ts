// executeRun with the real ansible-playbook on localhost (connection: local): check mode finds the
// change, the tracked run waits UNCONFIRMED with its workspace stored, the apply phase makes the
// change; then nothing is left to change. Skipped where ansible-playbook is not installed.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { memoryLogger } from "../shared/log.ts";
import type { RunSpec } from "../shared/workers/protocol.ts";
import { summarizeAnsibleRun } from "./drivers/ansible.ts";
import { createDrivers } from "./drivers/registry.ts";
import { executeRun } from "./execute.ts";
import { hasCommand, makeRepository, objectStore, recordingChannel, runSpec, type ObjectStore, type SpecOverrides } from "./testing.ts";

const PLAYBOOK = `
- hosts: localhost
  connection: local
  gather_facts: false
  tasks:
    - name: write the target
      ansible.builtin.copy:
        dest: "{{ lookup('ansible.builtin.env', 'TARGET') }}"
        content: "written by ansible\\n"
    - name: look around
      ansible.builtin.command: "true"
      changed_when: false
`;

const dir = mkdtempSync(join(tmpdir(), "gantry-execute-ansible-"));
const ready = hasCommand("git") && hasCommand("ansible-playbook") && hasCommand("tar");
const repo = join(dir, "repo");
const target = join(dir, "target.txt");
let store: ObjectStore;

test.before(async () => {
  store = await objectStore();
  if (ready) makeRepository(repo, [{ "ansible/site.yml": PLAYBOOK }]);
});
test.after(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

const spec = (over: SpecOverrides = {}): RunSpec =>
  runSpec(`file://${repo}`, {
    type: "TRACKED",
    command: null,
    vendor: "ANSIBLE",
    vendorConfig: { vendor: "ANSIBLE", playbook: "site.yml" },
    environment: [{ name: "TARGET", value: target, secret: false }],
    ...over,
    repository: { projectRoot: "ansible" },
    urls: { workspaceUpload: store.url("ws"), workspaceDownload: store.url("ws"), planUpload: store.url("plan") },
  });

async function execute(run: RunSpec) {
  const channel = recordingChannel();
  const log = memoryLogger();
  const tools = { tofu: "tofu", terraform: "terraform", ansiblePlaybook: "ansible-playbook", explicit: { tofu: false, terraform: false, ansiblePlaybook: false } };
  const outcome = await executeRun({ run, channel, drivers: createDrivers(tools), workDir: join(dir, "runs"), log, baseEnv: { PATH: process.env.PATH ?? "", HOME: dir }, });
  return { outcome, states: channel.reports.map((r) => r.state), channel, log: log.lines.join("\n") };
}

test("the changes in ansible-playbook's output: changed tasks per host, as many as the recap counts", () => {
  const output = [
    "PLAY [all] ***",
    "TASK [install] *********",
    "changed: [web1]",
    "ok: [web2]",
    "TASK [configure] ***",
    "changed: [web1] => (item=a)",
    "changed: [web1] => (item=b)",
    "changed: [web2 -> localhost]",
    "PLAY RECAP *********",
    "web1                       : ok=2    changed=2    unreachable=0    failed=0",
    "web2                       : ok=2    changed=1    unreachable=0    failed=0",
  ].join("\n");
  assert.equal(summarizeAnsibleRun(output), {
    add: 0,
    change: 3,
    destroy: 0,
    resources: [
      { address: "web1: install", type: "ansible_task", name: "install", actions: ["update"] },
      { address: "web1: configure", type: "ansible_task", name: "configure", actions: ["update"] },
      { address: "web2: configure", type: "ansible_task", name: "configure", actions: ["update"] },
    ],
  });
});

test("an Ansible stack: check mode finds the change, the run waits UNCONFIRMED, the apply phase makes it; then nothing changes", async () => {
  if (!ready) return console.log("SKIP: git, ansible-playbook or tar is not installed");
  const planned = await execute(spec());
  assert.equal(planned.states, ["PREPARING", "INITIALIZING", "PLANNING", "UNCONFIRMED"], planned.log);
  assert.equal(planned.channel.plans, [{ add: 0, change: 1, destroy: 0, resources: [{ address: "localhost: write the target", type: "ansible_task", name: "write the target", actions: ["update"] }] }]);
  assert.not.ok(existsSync(target), "check mode changes nothing");
  assert.ok(store.objects.has("ws") && store.objects.has("plan"));

  const applied = await execute(spec({ phase: "apply", state: "PREPARING_APPLY" }));
  assert.equal(applied.states, ["PREPARING_APPLY", "APPLYING", "FINISHED"], applied.log);
  assert.is(readFileSync(target, "utf8"), "written by ansible\n");

  const again = await execute(spec({ type: "PROPOSED" }));
  assert.equal(again.states, ["PREPARING", "INITIALIZING", "PLANNING", "FINISHED"], again.log);
  assert.equal(again.channel.plans, [{ add: 0, change: 0, destroy: 0, resources: [] }]);
  rmSync(target);
  const auto = await execute(spec({ autodeploy: true }));
  assert.equal(auto.states, ["PREPARING", "INITIALIZING", "PLANNING", "APPLYING", "FINISHED"], auto.log);
  assert.ok(existsSync(target));
});

test.run();
