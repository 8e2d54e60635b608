// executeRun against a real Git repository: the commit checked out, phases reported in order, the
// outcome by exit code, refusals with reasons, and the working directory removed.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readdirSync, rmSync, writeFileSync, mkdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { memoryLogger } from "../shared/log.ts";
import type { RunSpec, StateReport } from "../shared/workers/protocol.ts";
import { executeRun } from "./execute.ts";
import { DRIVERS } from "./agent.ts";

const dir = mkdtempSync(join(tmpdir(), "gantry-execute-"));
let git = true;
let shas: string[] = [];
test.before(() => {
  const env = { ...process.env, GIT_AUTHOR_NAME: "t", GIT_AUTHOR_EMAIL: "t@example.com", GIT_COMMITTER_NAME: "t", GIT_COMMITTER_EMAIL: "t@example.com" };
  try {
    const run = (args: string[]) => execFileSync("git", args, { cwd: join(dir, "repo"), env }).toString().trim();
    mkdirSync(join(dir, "repo", "infra"), { recursive: true });
    execFileSync("git", ["init", "--quiet", "-b", "main", join(dir, "repo")], { env });
    for (const version of ["one", "two"]) {
      writeFileSync(join(dir, "repo", "infra", "version.txt"), version);
      run(["add", "."]);
      run(["commit", "--quiet", "-m", version]);
      shas.push(run(["rev-parse", "HEAD"]));
    }
  } catch {
    git = false;
  }
});
test.after(() => rmSync(dir, { recursive: true, force: true }));

const spec = (over: Omit<Partial<RunSpec>, "repository"> & { repository?: Partial<RunSpec["repository"]> } = {}): RunSpec => ({
  id: "01RUN",
  stackId: "s",
  type: "TASK",
  state: "PREPARING",
  command: "true",
  skipInitialization: false,
  vendor: "OPENTOFU",
  ...over,
  repository: { url: `file://${join(dir, "repo")}`, branch: "main", sha: null, projectRoot: "", ...over.repository },
});

async function execute(run: RunSpec): Promise<{ outcome: string; reports: StateReport[] }> {
  const reports: StateReport[] = [];
  const outcome = await executeRun({ run, report: async (r) => void reports.push(r), drivers: DRIVERS, workDir: join(dir, "runs"), log: memoryLogger(), signal: new AbortController().signal });
  return { outcome, reports };
}

test("a task at a given commit, in the project root: PERFORMING then FINISHED; the directory is removed", async () => {
  if (!git) return console.log("SKIP: git is not installed");
  const result = await execute(spec({ command: 'test "$(cat version.txt)" = one', repository: { sha: shas[0], projectRoot: "infra" } }));
  assert.equal(result, { outcome: "FINISHED", reports: [{ state: "PERFORMING" }, { state: "FINISHED" }] });
  assert.equal(readdirSync(join(dir, "runs")), []);
  const head = await execute(spec({ command: 'test "$(cat infra/version.txt)" = two' }));
  assert.is(head.outcome, "FINISHED", "without a sha: the branch head");
});

test("a non-zero exit fails the run with the code; refusals fail it with a reason", async () => {
  if (!git) return console.log("SKIP: git is not installed");
  assert.equal((await execute(spec({ command: "exit 7" }))).reports, [{ state: "PERFORMING" }, { state: "FAILED", note: "the command exited with code 7" }]);
  const missing = await execute(spec({ repository: { url: `file://${join(dir, "nope")}` } }));
  assert.is(missing.outcome, "FAILED");
  assert.match(missing.reports[0].note ?? "", /git clone failed/);
  assert.equal((await execute(spec({ type: "TRACKED", command: null }))).reports, [{ state: "FAILED", note: "this worker cannot execute TRACKED runs yet" }]);
  assert.equal((await execute(spec({ repository: { projectRoot: "../.." } }))).reports, [{ state: "FAILED", note: "the stack's project root leaves the repository" }]);
  assert.equal((await execute(spec({ repository: { url: null } }))).reports[0].state, "FAILED");
});

test.run();
