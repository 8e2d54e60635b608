// Each VCS client against a local server speaking the GitHub and GitLab endpoints it uses
// (testing.ts), which records the calls.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { generateKeyPairSync, verify } from "node:crypto";
import { githubClient } from "./github.ts";
import { gitlabClient } from "./gitlab.ts";
import { startFakeVcs, type FakeVcs } from "./testing.ts";
import type { Integration } from "./integration.ts";

let fake: FakeVcs;
test.before(async () => {
  fake = await startFakeVcs();
});
test.after(async () => {
  await fake.close();
});
test.before.each(() => {
  fake.calls.length = 0;
});

const integration = (over: Partial<Integration>): Integration => ({
  id: "01J0000000000000000000000A",
  spaceId: "root",
  provider: "GITHUB",
  name: "i",
  description: "",
  labels: [],
  isDefault: true,
  apiHost: fake.url,
  userFacingHost: "https://github.example.com",
  appId: null,
  hasCredentials: true,
  hasWebhookSecret: true,
  createdAt: new Date(),
  updatedAt: new Date(),
  ...over,
});
const repo = { namespace: "acme", name: "infra" };

test("GitHub with a token: status, comment created then edited in place, PR files paged, commit, clone auth", async () => {
  const client = githubClient(integration({}), { token: "ghp_secret" });
  await client.setCommitStatus(repo, "abc123", { state: "pending", context: "gantry/s", description: "Queued", targetUrl: "https://g/stack/s/run/r" });
  const status = fake.calls[0];
  assert.equal([status.method, status.path], ["POST", "/repos/acme/infra/statuses/abc123"]);
  assert.equal(status.body, { state: "pending", context: "gantry/s", description: "Queued", target_url: "https://g/stack/s/run/r" });
  assert.is(status.headers.authorization, "Bearer ghp_secret");

  const id = await client.upsertComment(repo, 7, null, "first");
  assert.is(await client.upsertComment(repo, 7, id, "second"), id);
  assert.is(fake.comments.get(id), "second");
  assert.equal(fake.calls.slice(1).map((c) => `${c.method} ${c.path}`), ["POST /repos/acme/infra/issues/7/comments", `PATCH /repos/acme/infra/issues/comments/${id}`]);
  const replaced = await client.upsertComment(repo, 7, "999999", "third");
  assert.is.not(replaced, "999999", "a comment deleted meanwhile is posted anew");

  fake.prFiles.set(7, Array.from({ length: 150 }, (_, i) => `f${i}.tf`));
  assert.is((await client.pullRequestFiles(repo, 7))?.length, 150);
  fake.prFiles.set(8, Array.from({ length: 3000 }, (_, i) => `f${i}.tf`));
  assert.is(await client.pullRequestFiles(repo, 8), null, "GitHub caps the list at 3000: maybe incomplete");
  assert.equal(await client.commit(repo, "abcdef1234"), { sha: "abcdef1234", message: "commit abcdef1", author: "mona" });
  assert.equal(await client.cloneAuth(repo), { url: "https://github.example.com/acme/infra.git", credentials: { username: "x-access-token", password: "ghp_secret" } });
});

test("GitHub App: a JWT signed with the App's key buys an installation token, cached", async () => {
  const { privateKey, publicKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
  const pem = privateKey.export({ type: "pkcs8", format: "pem" }).toString();
  const client = githubClient(integration({ id: "01J0000000000000000000000B", appId: "1234" }), { privateKey: pem });
  await client.setCommitStatus(repo, "abc", { state: "success", context: "gantry/s", description: "ok", targetUrl: "u" });
  await client.setCommitStatus(repo, "abc", { state: "success", context: "gantry/s", description: "ok", targetUrl: "u" });
  assert.equal(fake.calls.map((c) => `${c.method} ${c.path}`), ["GET /repos/acme/infra/installation", "POST /app/installations/42/access_tokens", "POST /repos/acme/infra/statuses/abc", "POST /repos/acme/infra/statuses/abc"]);
  const jwt = String(fake.calls[0].headers.authorization).replace(/^Bearer /, "");
  const [h, p, s] = jwt.split(".");
  assert.ok(verify("RSA-SHA256", Buffer.from(`${h}.${p}`), publicKey, Buffer.from(s, "base64url")), "RS256 over header.payload");
  assert.is(JSON.parse(Buffer.from(p, "base64url").toString()).iss, "1234");
  assert.is(fake.calls[2].headers.authorization, "Bearer ghs_installation_42");
});

test("GitLab: status with GitLab's states, notes created then edited, MR diffs, commit, clone auth", async () => {
  const client = gitlabClient(integration({ provider: "GITLAB", userFacingHost: "https://gitlab.example.com" }), { token: "glpat-secret" });
  await client.setCommitStatus({ namespace: "group/sub", name: "infra" }, "abc", { state: "failure", context: "gantry/s", description: "Failed", targetUrl: "u" });
  assert.equal([fake.calls[0].method, fake.calls[0].path], ["POST", "/api/v4/projects/group%2Fsub%2Finfra/statuses/abc"]);
  assert.equal(fake.calls[0].body, { state: "failed", name: "gantry/s", description: "Failed", target_url: "u" });
  assert.is(fake.calls[0].headers["private-token"], "glpat-secret");
  const id = await client.upsertComment(repo, 3, null, "one");
  await client.upsertComment(repo, 3, id, "two");
  assert.is(fake.comments.get(id), "two");
  assert.equal(fake.calls.slice(1).map((c) => `${c.method} ${c.path}`), ["POST /api/v4/projects/acme%2Finfra/merge_requests/3/notes", `PUT /api/v4/projects/acme%2Finfra/merge_requests/3/notes/${id}`]);
  fake.prFiles.set(3, ["a.tf", "b.tf"]);
  assert.equal((await client.pullRequestFiles(repo, 3))?.sort(), ["a.tf", "b.tf"]);
  assert.equal(await client.commit(repo, "abcdef1234"), { sha: "abcdef1234", message: "commit abcdef1", author: "Jane" });
  assert.equal(await client.cloneAuth(repo), { url: "https://gitlab.example.com/acme/infra.git", credentials: { username: "oauth2", password: "glpat-secret" } });
});

test("errors name the call and status, never the token or the body", async () => {
  const client = githubClient(integration({}), { token: "ghp_dont_leak" });
  try {
    await client.setCommitStatus({ namespace: "x", name: "y/../../nope" }, "zz", { state: "pending", context: "c", description: "d", targetUrl: "u" });
    assert.unreachable();
  } catch (error) {
    assert.match((error as Error).message, /GitHub commit status failed with HTTP 404/);
    assert.not.match((error as Error).message, /ghp_dont_leak/);
  }
});

test.run();
