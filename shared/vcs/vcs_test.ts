// Pure logic, no database: globs, the default push policy, parsing real payloads (GitHub's from
// @octokit/webhooks-examples, GitLab's documented examples in fixtures/gitlab), signatures.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { affects, globToRegExp } from "./glob.ts";
import { decidePush, type PushPolicyInput } from "./push_policy.ts";
import { parseEvent, type PullRequestEvent, type PushEvent } from "./events.ts";
import { githubSignature, verifyGithub, verifyGitlab } from "./signature.ts";
import { integrationFields, checkCredentials } from "./integration.ts";

const require = createRequire(import.meta.url);
type Example = { name: string; examples: Array<Record<string, any>> }; // eslint-disable-line @typescript-eslint/no-explicit-any
const github: Example[] = require("@octokit/webhooks-examples/api.github.com/index.json");
const examples = (name: string) => github.find((e) => e.name === name)!.examples;
const gitlab = (name: string) => JSON.parse(readFileSync(new URL(`./fixtures/gitlab/${name}.json`, import.meta.url), "utf8"));

test("globs: doublestar, single star, braces, classes", () => {
  assert.ok(globToRegExp("modules/**").test("modules/a/b/c.tf"));
  assert.ok(globToRegExp("**/*.tf").test("main.tf"));
  assert.ok(globToRegExp("**/*.tf").test("a/b/main.tf"));
  assert.not.ok(globToRegExp("*.tf").test("a/main.tf"));
  assert.ok(globToRegExp("env/{dev,prod}/*.tfvars").test("env/prod/x.tfvars"));
  assert.not.ok(globToRegExp("env/{dev,prod}/*.tfvars").test("env/qa/x.tfvars"));
  assert.ok(globToRegExp("file[0-9].txt").test("file7.txt"));
  assert.ok(globToRegExp("a.b").test("a.b") && !globToRegExp("a.b").test("axb"));
});

test("a file affects a stack under its project root or matching a glob; an empty root is everything", () => {
  assert.ok(affects("", [], "anything/at/all"));
  assert.ok(affects("infra/prod", [], "infra/prod/main.tf"));
  assert.ok(affects("./infra/prod/", [], "infra/prod/main.tf"));
  assert.not.ok(affects("infra/prod", [], "infra/production/main.tf"));
  assert.ok(affects("infra/prod", ["modules/**"], "modules/vpc/main.tf"));
  assert.not.ok(affects("infra/prod", ["modules/**"], "docs/README.md"));
});

const stack = { id: "s", branch: "main", project_root: "infra", additional_project_globs: ["modules/**"] };
const push = (over: Partial<NonNullable<PushPolicyInput["push"]>>): PushPolicyInput => ({
  push: { affected_files: ["infra/main.tf"], branch: "main", tag: "", hash: "abc", message: "m", author: "a", deleted: false, ...over },
  stack,
  in_progress: [],
});

test("default push policy: track on the tracked branch, propose elsewhere, ignore tags, deletions and unaffected pushes", () => {
  assert.equal([decidePush(push({})).track, decidePush(push({})).propose], [true, false]);
  assert.equal([decidePush(push({ branch: "feature" })).track, decidePush(push({ branch: "feature" })).propose], [false, true]);
  assert.ok(decidePush(push({ tag: "v1" })).ignore);
  assert.ok(decidePush(push({ deleted: true })).ignore);
  assert.ok(decidePush(push({ affected_files: ["docs/x.md"] })).ignore);
  assert.ok(decidePush(push({ affected_files: ["modules/vpc/x.tf"] })).track);
});

test("default push policy: pull requests propose when opened, reopened or synchronized with an affected diff; forks never", () => {
  const pr = (action: string, diff: string[], fork = false): PushPolicyInput => ({
    pull_request: { id: 1, action, head: { branch: "f", sha: "x" }, base: { branch: "main" }, diff, draft: false, fork, title: "t", author: "a" },
    stack,
    in_progress: [],
  });
  for (const action of ["opened", "synchronize", "reopened"]) assert.ok(decidePush(pr(action, ["infra/a.tf"])).propose, action);
  for (const action of ["closed", "other"]) assert.ok(decidePush(pr(action, ["infra/a.tf"])).ignore, action);
  assert.ok(decidePush(pr("opened", ["docs/a.md"])).ignore);
  assert.ok(decidePush(pr("opened", ["infra/a.tf"], true)).ignore);
});

test("GitHub payloads (octokit examples): a branch push lists its files; tag pushes and deletions are told apart", () => {
  const pushes = examples("push").map((p) => parseEvent("GITHUB", "push", p) as PushEvent);
  const branch = pushes.find((p) => p.branch === "master")!;
  assert.equal(branch.repo, { namespace: "Codertocat", name: "Hello-World" });
  assert.equal(branch.files, ["README.md"]);
  assert.is(branch.commit.sha, "6113728f27ae82c7b1a177c8d03f9e96e0adf246");
  assert.is(branch.commit.message, "Initial commit");
  assert.is(branch.commit.author, "Codertocat");
  assert.ok(pushes.some((p) => p.tag === "simple-tag" && !p.deleted));
  assert.ok(pushes.some((p) => p.tag === "simple-tag" && p.deleted));
  // And each of these, given to the default policy, does what Spacelift's does.
  const input = (p: PushEvent): PushPolicyInput => ({ push: { affected_files: p.files ?? [], branch: p.branch ?? "", tag: p.tag ?? "", hash: p.after, message: "", author: "", deleted: p.deleted }, stack: { ...stack, branch: "master", project_root: "" }, in_progress: [] });
  assert.ok(decidePush(input(branch)).track);
  for (const t of pushes.filter((p) => p.tag)) assert.ok(decidePush(input(t)).ignore);
});

test("GitHub payloads: pull_request actions map to opened/synchronize/closed/other", () => {
  const prs = examples("pull_request").map((p) => parseEvent("GITHUB", "pull_request", p) as PullRequestEvent);
  const sync = prs.find((p) => p.rawAction === "synchronize")!;
  assert.equal([sync.action, sync.number, sync.headBranch, sync.baseBranch, sync.fork], ["synchronize", 2, "changes", "master", false]);
  assert.is(sync.headSha, "ec26c3e57ca3a959ca5aad62de7213c562f8c821");
  assert.ok(prs.some((p) => p.action === "opened"));
  assert.ok(prs.some((p) => p.rawAction === "labeled" && p.action === "other"));
  const ping = parseEvent("GITHUB", "ping", examples("ping")[0]);
  assert.is(ping.kind, "ignored");
});

test("GitLab payloads (documented examples): truncated push, tag push, merge request", () => {
  const p = parseEvent("GITLAB", "Push Hook", gitlab("push")) as PushEvent;
  assert.equal(p.repo, { namespace: "mike", name: "diaspora" });
  assert.is(p.branch, "master");
  assert.is(p.files, null, "4 commits pushed, 2 listed: the file list is incomplete");
  assert.is(p.commit.message, "fixed readme");
  const t = parseEvent("GITLAB", "Tag Push Hook", gitlab("tag_push")) as PushEvent;
  assert.is(t.tag, "v1.0.0");
  assert.equal(t.files, []);
  const mr = parseEvent("GITLAB", "Merge Request Hook", gitlab("merge_request")) as PullRequestEvent;
  assert.equal([mr.action, mr.number, mr.headBranch, mr.baseBranch, mr.fork, mr.commit.message], ["opened", 1, "ms-viewport", "master", false, "fixed readme"]);
  assert.equal(mr.repo, { namespace: "gitlabhq", name: "gitlab-test" });
  const update = gitlab("merge_request");
  update.object_attributes.action = "update";
  assert.is((parseEvent("GITLAB", "Merge Request Hook", update) as PullRequestEvent).action, "other", "an update without oldrev is not new commits");
  update.object_attributes.oldrev = "95790bf891e76fee5e1747ab589903a6a1f80f22";
  assert.is((parseEvent("GITLAB", "Merge Request Hook", update) as PullRequestEvent).action, "synchronize");
});

test("signatures: GitHub HMAC-SHA256 over the raw body, GitLab token; the matching integration is named", () => {
  const body = new TextEncoder().encode('{"zen":"Keep it logically awesome."}');
  const secrets = [{ integrationId: "a", secret: "first-secret-0123456789" }, { integrationId: "b", secret: "second-secret-0123456789" }];
  assert.is(verifyGithub(secrets, body, githubSignature("second-secret-0123456789", body)), "b");
  assert.is(verifyGithub(secrets, body, githubSignature("wrong-secret-0123456789", body)), null);
  assert.is(verifyGithub(secrets, body, null), null);
  assert.is(verifyGithub(secrets, body, "sha1=abc"), null);
  assert.is(verifyGithub(secrets, new TextEncoder().encode("tampered"), githubSignature("first-secret-0123456789", body)), null);
  assert.is(verifyGitlab(secrets, "first-secret-0123456789"), "a");
  assert.is(verifyGitlab(secrets, "first-secret-012345678"), null);
  assert.is(verifyGitlab(secrets, undefined), null);
});

test("integration settings: defaults per provider, credentials checked", () => {
  const gh = integrationFields({ provider: "GITHUB", spaceId: "root", name: "GitHub" });
  assert.equal([gh.apiHost, gh.userFacingHost], ["https://api.github.com", "https://github.com"]);
  const ghe = integrationFields({ provider: "GITHUB", spaceId: "root", name: "GHE", apiHost: "https://ghe.example.com/api/v3/" });
  assert.equal([ghe.apiHost, ghe.userFacingHost], ["https://ghe.example.com/api/v3", "https://ghe.example.com"]);
  assert.throws(() => integrationFields({ provider: "GITLAB", spaceId: "root", name: "x", apiHost: "https://u:p@gitlab.example.com" }), /credentials/);
  assert.throws(() => checkCredentials("GITHUB", null, {}, true), /needs a token/);
  assert.throws(() => checkCredentials("GITHUB", null, { privateKey: "x" }, true), /appID/);
  assert.throws(() => checkCredentials("GIT", null, { username: "u" }, true), /together/);
  checkCredentials("GIT", null, null, true);
});

test.run();
