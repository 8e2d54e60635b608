// Deliveries to runs against a real database and a fake GitHub/GitLab (testing.ts): pushes track,
// pull requests propose and supersede, tags do nothing, a truncated payload falls back to
// `git diff` in a clone, and run states go back as commit statuses and one PR comment edited in place.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { execFileSync } from "node:child_process";
import { mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createRequire } from "node:module";
import { testDatabase, type TestDatabase } from "../db/testing.ts";
import { memoryLogger } from "../log.ts";
import { SYSTEM_ACTOR } from "../auth/roles.ts";
import { createStack } from "../stacks/operations.ts";
import { advanceRun } from "../runs/operations.ts";
import { getRunById } from "../runs/queries.ts";
import { savePlan } from "../runs/results.ts";
import { createIntegration } from "./operations.ts";
import { recordDelivery } from "./deliveries.ts";
import { processDelivery, type VcsDeps } from "./process.ts";
import { sendFeedback } from "./feedback.ts";
import { startFakeVcs, type FakeVcs } from "./testing.ts";
import type { HookProvider } from "./integration.ts";

const require = createRequire(import.meta.url);
const github: Array<{ name: string; examples: Array<Record<string, any>> }> = require("@octokit/webhooks-examples/api.github.com/index.json"); // eslint-disable-line @typescript-eslint/no-explicit-any
const ex = (name: string) => github.find((e) => e.name === name)!.examples;
const clone = <T>(v: T): T => JSON.parse(JSON.stringify(v));
const key = Buffer.alloc(32, 3);
const log = memoryLogger();

let db: TestDatabase;
let fake: FakeVcs;
let deps: VcsDeps;
let gitlabId: string;
let tmp: string;
test.before(async () => {
  db = await testDatabase({ max: 8 });
  fake = await startFakeVcs();
  deps = { key, publicUrl: "https://gantry.example.com" };
  await createIntegration(db.sql, key, SYSTEM_ACTOR, { provider: "GITHUB", spaceId: "root", name: "GitHub", isDefault: true, apiHost: fake.url, credentials: { token: "ghp_x" }, webhookSecret: "0123456789abcdef0123" });
  gitlabId = (await createIntegration(db.sql, key, SYSTEM_ACTOR, { provider: "GITLAB", spaceId: "root", name: "GitLab", apiHost: fake.url, credentials: { token: "glpat" }, webhookSecret: "0123456789abcdef0123" })).id;
  tmp = mkdtempSync(join(tmpdir(), "gantry-vcs-test-"));
});
test.after(async () => {
  await fake.close();
  await db.drop();
  rmSync(tmp, { recursive: true, force: true });
});

let n = 0;
async function deliver(provider: HookProvider, event: string, payload: unknown, integrationId: string | null = null) {
  const id = `d-${++n}`;
  const [integration] = integrationId ? [{ id: integrationId }] : await db.sql`select id from vcs_integrations where provider = ${provider} and is_default`;
  await recordDelivery(db.sql, { provider, deliveryId: id, integrationId: integration.id as string, event, payload: new TextEncoder().encode(JSON.stringify(payload)), repository: "r", used: true });
  return processDelivery(db.sql, deps, log, provider, id);
}

const stack = (name: string, settings: Record<string, unknown>) =>
  createStack(db.sql, SYSTEM_ACTOR, { name, provider: "GITHUB", namespace: "Codertocat", repository: "Hello-World", branch: "master", ...settings }, { manageState: false });

test("a push to the tracked branch creates one TRACKED run per matching stack, with the commit; a redelivery none", async () => {
  const all = await stack("all", {});
  await stack("infra only", { projectRoot: "infra" });
  await createStack(db.sql, SYSTEM_ACTOR, { name: "elsewhere", provider: "GITHUB", namespace: "acme", repository: "other", branch: "master" }, { manageState: false });
  const push = ex("push").find((p) => p.ref === "refs/heads/master")!;
  const result = await deliver("GITHUB", "push", push);
  assert.is(result.created.length, 1);
  const run = (await getRunById(db.sql, result.created[0]))!;
  assert.equal([run.stackId, run.type, run.state, run.commitSha, run.commitBranch, run.commitMessage, run.commitAuthor, run.triggeredBy], [all.id, "TRACKED", "QUEUED", push.after, "master", "Initial commit", "Codertocat", "github/Codertocat"]);
  assert.equal((await deliver("GITHUB", "push", push)).created, [], "the same commit again: no second run");
  const jobs = await db.sql`select kind from queue_jobs where kind in ('schedule_stack', 'vcs_feedback') order by kind`;
  assert.equal(jobs.map((j) => j.kind), ["schedule_stack", "vcs_feedback"]);
});

test("tag pushes and branch deletions create no runs", async () => {
  for (const p of ex("push").filter((p) => String(p.ref).startsWith("refs/tags/"))) assert.equal((await deliver("GITHUB", "push", p)).created, []);
  const deleted = clone(ex("push").find((p) => p.ref === "refs/heads/master")!);
  Object.assign(deleted, { after: "0".repeat(40), deleted: true, commits: [], head_commit: null });
  assert.equal((await deliver("GITHUB", "push", deleted)).created, []);
});

test("pull requests propose on affected stacks; a newer push to the PR cancels the older proposed run; feedback edits one comment", async () => {
  fake.prFiles.set(2, ["README.md"]);
  const opened = clone(ex("pull_request").find((p) => p.action === "opened" && p.number === 2)!);
  const first = await deliver("GITHUB", "pull_request", opened);
  assert.is(first.created.length, 1, "only the stack whose root covers README.md");
  const older = (await getRunById(db.sql, first.created[0]))!;
  assert.equal([older.type, older.commitBranch, older.commitSha, older.commitMessage, older.commitAuthor], ["PROPOSED", "changes", opened.pull_request.head.sha, `commit ${opened.pull_request.head.sha.slice(0, 7)}`, "mona"]);
  assert.equal((await deliver("GITHUB", "pull_request", clone(ex("pull_request").find((p) => p.action === "labeled")!))).created, [], "labels do not run");

  const sync = clone(ex("pull_request").find((p) => p.action === "synchronize")!);
  sync.pull_request.head.sha = "1111111111111111111111111111111111111111";
  const second = await deliver("GITHUB", "pull_request", sync);
  assert.is(second.created.length, 1);
  assert.is((await getRunById(db.sql, older.id))!.state, "CANCELED", "superseded before it started");

  // The newer run plans and finishes: a success status with the delta, and one comment.
  const newer = second.created[0];
  fake.calls.length = 0;
  for (const s of ["READY", "PREPARING", "INITIALIZING", "PLANNING"] as const) await advanceRun(db.sql, older.stackId, newer, s);
  await savePlan(db.sql, newer, { add: 2, change: 1, destroy: 0, resources: [{ address: "aws_s3_bucket.logs", type: "aws_s3_bucket", name: "logs", actions: ["create"] }] });
  await advanceRun(db.sql, older.stackId, newer, "FINISHED");
  const done = await sendFeedback(db.sql, deps, newer);
  assert.equal([done.status?.state, done.status?.context, done.commented], ["success", `gantry/${older.stackId}`, true]);
  assert.is(done.status?.targetUrl, `https://gantry.example.com/stack/${older.stackId}/run/${newer}`);
  assert.match(done.status!.description, /\+2 ~1 -0/);
  const [comment] = [...fake.comments.entries()];
  assert.match(comment[1], /2\*\* to add/);
  assert.match(comment[1], /aws_s3_bucket\.logs/);

  // Another commit on the PR, planned: the same comment is edited, none is added.
  sync.pull_request.head.sha = "2222222222222222222222222222222222222222";
  const third = (await deliver("GITHUB", "pull_request", sync)).created[0];
  for (const s of ["READY", "PREPARING", "INITIALIZING", "PLANNING", "FINISHED"] as const) await advanceRun(db.sql, older.stackId, third, s);
  await sendFeedback(db.sql, deps, third);
  assert.is(fake.comments.size, 1);
  assert.match(fake.comments.get(comment[0])!, new RegExp(third));
  assert.ok(fake.calls.some((c) => c.method === "PATCH" && c.path.endsWith(`/issues/comments/${comment[0]}`)));
});

test("state changes of a VCS run enqueue feedback (transition hook)", async () => {
  const [row] = await db.sql`select run_id, stack_id from vcs_runs where run_type = 'TRACKED' limit 1`;
  await db.sql`delete from queue_jobs where kind = 'vcs_feedback'`;
  await advanceRun(db.sql, row.stack_id, row.run_id, "READY");
  const jobs = await db.sql`select payload, fifo_key from queue_jobs where kind = 'vcs_feedback'`;
  assert.equal(jobs.map((j) => ({ ...j })), [{ payload: { stackId: row.stack_id, runId: row.run_id }, fifo_key: `vcs-feedback:${row.stack_id}` }]);
});

test("a truncated GitLab push falls back to git diff in a clone", async () => {
  // A repository on disk stands in for the GitLab host: <host>/<namespace>/<name>.git.
  const work = join(tmp, "work");
  mkdirSync(work);
  const git = (...args: string[]) => execFileSync("git", args, { cwd: work, env: { ...process.env, GIT_AUTHOR_NAME: "t", GIT_AUTHOR_EMAIL: "t@x", GIT_COMMITTER_NAME: "t", GIT_COMMITTER_EMAIL: "t@x" } }).toString().trim();
  git("init", "-q", "-b", "master");
  writeFileSync(join(work, "README.md"), "a");
  git("add", ".");
  git("commit", "-qm", "one");
  const before = git("rev-parse", "HEAD");
  mkdirSync(join(work, "app"));
  writeFileSync(join(work, "app", "main.tf"), "b");
  git("add", ".");
  git("commit", "-qm", "two");
  const after = git("rev-parse", "HEAD");
  mkdirSync(join(tmp, "mike"));
  execFileSync("git", ["clone", "-q", "--bare", work, join(tmp, "mike", "diaspora.git")]);
  await db.sql`update vcs_integrations set user_facing_host = ${`file://${tmp}`} where id = ${gitlabId}`;
  const app = await createStack(db.sql, SYSTEM_ACTOR, { name: "gl app", provider: "GITLAB", namespace: "mike", repository: "diaspora", branch: "master", projectRoot: "app", vcsIntegrationId: gitlabId }, { manageState: false });
  await createStack(db.sql, SYSTEM_ACTOR, { name: "gl docs", provider: "GITLAB", namespace: "mike", repository: "diaspora", branch: "master", projectRoot: "docs", vcsIntegrationId: gitlabId }, { manageState: false });
  const payload = JSON.parse(readFileSync(new URL("./fixtures/gitlab/push.json", import.meta.url), "utf8"));
  Object.assign(payload, { before, after, checkout_sha: after });
  // The listed commits name files outside app/; only git knows app/main.tf changed.
  const result = await deliver("GITLAB", "Push Hook", payload, gitlabId);
  assert.is(result.created.length, 1);
  const run = (await getRunById(db.sql, result.created[0]))!;
  assert.equal([run.stackId, run.commitSha, run.type], [app.id, after, "TRACKED"]);
});

test.run();
