// executeRun against real Git repositories with tasks: the commit checked out, states reported in
// order, the outcome by exit code, refusals with reasons, mounted files, hooks and their
// environment, secrets masked, stops and timeouts, and the working directory removed.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { Buffer } from "node:buffer";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { memoryLogger } from "../shared/log.ts";
import type { RunSpec, StateReport } from "../shared/workers/protocol.ts";
import { ApiError } from "./api_client.ts";
import { runControl, type RunControl } from "./control.ts";
import { createDrivers } from "./drivers/registry.ts";
import { executeRun, type RunChannel } from "./execute.ts";
import { waitFor } from "../shared/testing/wait.ts";
import { gone, hasCommand, makeRepository, recordingChannel, runSpec, type SpecOverrides } from "./testing.ts";

const dir = mkdtempSync(join(tmpdir(), "gantry-execute-"));
const git = hasCommand("git");
const repo = join(dir, "repo");
let shas: string[] = [];
const tools = { tofu: "tofu", terraform: "terraform", ansiblePlaybook: "ansible-playbook", explicit: { tofu: false, terraform: false, ansiblePlaybook: false } };
const drivers = createDrivers(tools);
const baseEnv = { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: process.env.HOME ?? "/tmp" };

test.before(() => {
  if (git) shas = makeRepository(repo, [{ "infra/version.txt": "one" }, { "infra/version.txt": "two" }]);
});
test.after(() => rmSync(dir, { recursive: true, force: true }));

const spec = (over: SpecOverrides = {}): RunSpec => runSpec(`file://${repo}`, { vendor: "KUBERNETES", ...over });

async function execute(run: RunSpec, options: { control?: RunControl; channel?: RunChannel & { reports: StateReport[] } } = {}) {
  const channel = options.channel ?? recordingChannel();
  const log = memoryLogger();
  const outcome = await executeRun({ run, channel, drivers, workDir: join(dir, "runs"), log, baseEnv, control: options.control });
  return { outcome, reports: channel.reports, log: log.lines.join("\n") };
}

test("a task at a given commit, in the project root: PREPARING, PERFORMING then FINISHED; the directory is removed", async () => {
  if (!git) return console.log("SKIP: git is not installed");
  const result = await execute(spec({ command: 'test "$(cat version.txt)" = one', repository: { sha: shas[0], projectRoot: "infra" } }));
  assert.equal([result.outcome, result.reports], ["FINISHED", [{ state: "PREPARING" }, { state: "PERFORMING" }, { state: "FINISHED" }]]);
  assert.equal(readdirSync(join(dir, "runs")), []);
  const head = await execute(spec({ command: 'test "$(cat infra/version.txt)" = two' }));
  assert.is(head.outcome, "FINISHED", "without a sha: the branch head");
});

test("a non-zero exit fails the run with the code; refusals fail it with a reason", async () => {
  if (!git) return console.log("SKIP: git is not installed");
  assert.equal((await execute(spec({ command: "exit 7" }))).reports, [{ state: "PREPARING" }, { state: "PERFORMING" }, { state: "FAILED", note: "the command exited with code 7" }]);
  const missing = await execute(spec({ repository: { url: `file://${join(dir, "nope")}` } }));
  assert.is(missing.outcome, "FAILED");
  assert.match(missing.reports.at(-1)?.note ?? "", /git clone failed/);
  assert.equal((await execute(spec({ type: "TRACKED", command: null }))).reports.at(-1), { state: "FAILED", note: "this worker cannot execute TRACKED runs on KUBERNETES stacks" });
  assert.equal((await execute(spec({ repository: { projectRoot: "../.." } }))).reports.at(-1), { state: "FAILED", note: "the stack's project root leaves the repository" });
  assert.equal((await execute(spec({ repository: { url: null } }))).reports.at(-1)?.state, "FAILED");
  assert.equal((await execute(spec({ type: "DESTROY", vendor: "ANSIBLE", vendorConfig: { playbook: "p.yml" } }))).reports.at(-1), { state: "FAILED", note: "this worker cannot execute DESTROY runs on ANSIBLE stacks" });
  assert.equal(readdirSync(join(dir, "runs")), []);
});

test("mounted files land relative to the workspace root; paths leaving it are refused", async () => {
  if (!git) return console.log("SKIP: git is not installed");
  const file = (path: string, text: string, secret = false) => ({ path, contentBase64: Buffer.from(text).toString("base64"), secret });
  const ok = await execute(spec({ command: 'test "$(cat mounted.txt)" = mounted && test "$(cat ../config.json)" = "{}" && test "$(cat version.txt)" = replaced', repository: { projectRoot: "infra" }, files: [file("source/infra/mounted.txt", "mounted"), file("source/config.json", "{}", true), file("source/infra/version.txt", "replaced")] }));
  assert.is(ok.outcome, "FINISHED", ok.log);
  for (const path of ["../escape.txt", "/etc/escape.txt", "source/../../escape.txt"]) {
    const bad = await execute(spec({ files: [file(path, "x")] }));
    assert.equal(bad.reports.at(-1), { state: "FAILED", note: `mounted file ${JSON.stringify(path)} is not a path inside the workspace` });
  }
  assert.not.ok(existsSync(join(dir, "runs", "..", "escape.txt")));
});

test("hooks run around the phase in order, see the run's environment and the before-hooks' exports; afterRun runs on failure too", async () => {
  if (!git) return console.log("SKIP: git is not installed");
  const trace = join(dir, "hooks.log");
  const hook = (name: string) => `echo "${name} $TF_VAR_spacelift_run_state $TF_VAR_spacelift_final_run_state" >> "$TRACE"`;
  const run = spec({
    command: `echo "perform $TF_VAR_spacelift_run_state $FROM_HOOK $TF_VAR_spacelift_stack_id $TF_VAR_spacelift_commit_sha" >> "$TRACE"`,
    environment: [{ name: "TRACE", value: trace, secret: false }],
    hooks: { beforePerform: [hook("beforePerform"), "export FROM_HOOK=exported"], afterPerform: [hook("afterPerform") + ' && echo "after sees $FROM_HOOK" >> "$TRACE"'], afterRun: [hook("afterRun")] },
  });
  const result = await execute(run);
  assert.is(result.outcome, "FINISHED", result.log);
  const head = shas[1];
  assert.equal(readFileSync(trace, "utf8").trim().split("\n"), [
    "beforePerform PERFORMING ",
    `perform PERFORMING exported s ${head}`,
    "afterPerform PERFORMING ",
    "after sees exported",
    "afterRun PERFORMING FINISHED",
  ]);
  rmSync(trace);
  const failing = await execute(spec({ environment: run.environment, hooks: { beforePerform: ["exit 4"], afterPerform: [hook("afterPerform")], afterRun: [hook("afterRun")] } }));
  assert.equal(failing.reports.at(-1), { state: "FAILED", note: "beforePerform hooks failed: beforePerform hook exited with code 4" });
  assert.equal(readFileSync(trace, "utf8").trim().split("\n"), ["afterRun PERFORMING FAILED"], "a failing before-hook skips the phase and its after-hooks, not afterRun");
});

test("secret values never reach the logs or the notes", async () => {
  if (!git) return console.log("SKIP: git is not installed");
  const secret = "hunter2-very-secret";
  const result = await execute(spec({ command: `echo "the secret is $PASSWORD"; echo "$PASSWORD" >&2; exit 3`, environment: [{ name: "PASSWORD", value: secret, secret: true }] }));
  assert.is(result.outcome, "FAILED");
  assert.match(result.log, /the secret is \*\*\*\*\*/);
  assert.not.match(result.log, new RegExp(secret));
  assert.not.match(JSON.stringify(result.reports), new RegExp(secret));
});

test("a stop from the server interrupts the tool's process group; nothing more is reported", async () => {
  if (!git) return console.log("SKIP: git is not installed");
  const control = runControl();
  const pidFile = join(dir, "sleep.pid");
  const channel = recordingChannel({ onReport: (r) => r.state === "PERFORMING" && setTimeout(() => control.stop("SIGINT", "stopped by the user", true), 300) });
  const started = Date.now();
  const result = await execute(spec({ command: `sh -c 'echo $$ > ${pidFile}; exec sleep 30' & wait`, hooks: { afterRun: ["echo afterRun ran"] } }), { control, channel });
  assert.is(result.outcome, "STOPPED");
  assert.ok(Date.now() - started < 8000, "SIGINT ended it, no need for SIGKILL");
  assert.equal(result.reports, [{ state: "PREPARING" }, { state: "PERFORMING" }]);
  const pid = Number(readFileSync(pidFile, "utf8"));
  await waitFor(() => gone(pid), { timeoutMs: 5000, what: "the grandchild in the group to be gone too" });
  assert.not.match(result.log, /afterRun ran/);
});

test("a kill (SIGKILL) ends a tool that ignores SIGINT at once", async () => {
  if (!git) return console.log("SKIP: git is not installed");
  const control = runControl();
  const channel = recordingChannel({
    onReport: (r) => {
      if (r.state !== "PERFORMING") return;
      setTimeout(() => control.stop("SIGINT", "stopped by the user", true), 300);
      setTimeout(() => control.stop("SIGKILL", "killed by the user", true), 600);
    },
  });
  const started = Date.now();
  const result = await execute(spec({ command: "trap '' INT; sleep 30" }), { control, channel });
  assert.is(result.outcome, "STOPPED");
  assert.ok(Date.now() - started < 5000, "not waiting for the grace period after SIGINT");
});

test("a report the server refuses (409: the run was stopped) ends the run quietly", async () => {
  if (!git) return console.log("SKIP: git is not installed");
  const channel = recordingChannel();
  const refusing: RunChannel & { reports: StateReport[] } = {
    ...channel,
    report: async (r) => {
      if (r.state === "FINISHED") throw new ApiError(409, "run is STOPPED, which is final");
      return channel.report(r);
    },
  };
  const result = await execute(spec({ command: "true" }), { channel: refusing });
  assert.is(result.outcome, "STOPPED");
  assert.equal(readdirSync(join(dir, "runs")), []);
});

test("timeouts: no output for noOutputSeconds, or the whole run past runSeconds, stop the tool and fail the run", async () => {
  if (!git) return console.log("SKIP: git is not installed");
  const silent = await execute(spec({ command: "echo starting; sleep 30", timeouts: { noOutputSeconds: 1 } }));
  assert.equal(silent.reports.at(-1), { state: "FAILED", note: "no output for 1 s: the tool was stopped" });
  const chatty = await execute(spec({ command: "while true; do echo tick; sleep 0.2; done", timeouts: { runSeconds: 2, noOutputSeconds: 1 } }));
  assert.equal(chatty.reports.at(-1), { state: "FAILED", note: "run timed out after 2 s" });
});

test.run();
