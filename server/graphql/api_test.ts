// Authentication, roles, the audit trail and bad input through /graphql.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { testDatabase, type TestDatabase } from "../../shared/db/testing.ts";
import { signJwt } from "../../shared/auth/jwt.ts";
import { gql, graphqlApp, JWT_KEY, PUBLIC_URL, session } from "./testing.ts";

let db: TestDatabase;
test.before(async () => {
  db = await testDatabase();
});
test.after(async () => {
  await db.drop();
});

const CREATE = `mutation ($i: StackInput!, $slug: String) { stackCreate(input: $i, manageState: true, slug: $slug) { id name description labels } }`;

test("without a valid token: viewer is null, everything else says unauthorized in a 200", async () => {
  const app = graphqlApp(db.sql);
  assert.equal((await gql(app, "{ viewer { id } }")).body, { data: { viewer: null } });
  for (const token of [undefined, "garbage", signJwt(Buffer.from("wrong key"), { iss: "gantry", sub: "x", aud: [PUBLIC_URL], iat: 0, exp: 4e9 })]) {
    const res = await gql(app, "{ stacks { id } }", {}, token);
    assert.is(res.status, 200);
    assert.match(res.body.errors![0].message, /unauthorized/);
  }
  const { id } = await session(app, db.sql, { name: "k", admin: true });
  const expired = signJwt(JWT_KEY, { iss: "gantry", sub: id, aud: [PUBLIC_URL], iat: 0, exp: 1 });
  assert.match((await gql(app, "{ stacks { id } }", {}, expired)).body.errors![0].message, /unauthorized/);
  const otherAudience = signJwt(JWT_KEY, { iss: "gantry", sub: id, aud: ["https://elsewhere"], iat: 0, exp: 4e9 });
  assert.match((await gql(app, "{ stacks { id } }", {}, otherAudience)).body.errors![0].message, /unauthorized/);
  const wrong = await gql(app, "mutation { apiKeyUser(id: \"01HZZZZZZZZZZZZZZZZZZZZZZZ\", secret: \"nope\") { jwt } }");
  assert.equal(wrong.body, { data: { apiKeyUser: null } });
});

test("API keys: the secret is shown once; roles per space are enforced; deleted keys lose access", async () => {
  const app = graphqlApp(db.sql);
  const admin = await session(app, db.sql, { name: "admin", admin: true });
  await gql(app, `mutation { spaceCreate(input: { name: "Team", parentSpace: "root" }) { id } }`, {}, admin.token);
  const created = await gql(app, `mutation { apiKeyCreate(input: { name: "reader", admin: false, accessRules: [{ space: "team", spaceAccessLevel: READ }] }) { id secret accessRules { space spaceAccessLevel } } }`, {}, admin.token);
  const { id, secret } = created.body.data!.apiKeyCreate;
  assert.match(secret, /^[A-Za-z0-9_-]{43}$/);
  assert.equal(created.body.data!.apiKeyCreate.accessRules, [{ space: "team", spaceAccessLevel: "READ" }]);
  const again = await gql(app, `query ($id: ID!) { apiKey(id: $id) { id secret } }`, { id }, admin.token);
  assert.equal(again.body.data!.apiKey, { id, secret: null });
  const stored = await db.sql`select secret_hash, secret_salt from api_keys where id = ${id}`;
  assert.is.not(stored[0].secret_hash.toString("base64url"), secret);

  const login = await gql(app, `mutation ($id: ID!, $s: String!) { apiKeyUser(id: $id, secret: $s) { jwt } }`, { id, s: secret });
  const reader = login.body.data!.apiKeyUser.jwt as string;
  await gql(app, CREATE, { i: { name: "in team", repository: "r", branch: "main", space: "team" } }, admin.token);
  await gql(app, CREATE, { i: { name: "in root", repository: "r", branch: "main" } }, admin.token);
  const seen = await gql(app, "{ stacks { id canWrite } spaces { id accessLevel } }", {}, reader);
  assert.equal(seen.body.data, { stacks: [{ id: "in-team", canWrite: false }], spaces: [{ id: "team", accessLevel: "READ" }] });
  assert.equal((await gql(app, `{ stack(id: "in-root") { id } }`, {}, reader)).body.data, { stack: null });
  const denied = await gql(app, `mutation { runTrigger(stack: "in-team") { id } }`, {}, reader);
  assert.is(denied.status, 200);
  assert.match(denied.body.errors![0].message, /^unauthorized: /);
  assert.match((await gql(app, CREATE, { i: { name: "x", repository: "r", branch: "main", space: "team" } }, reader)).body.errors![0].message, /unauthorized/);
  assert.match((await gql(app, "{ apiKeys { id } }", {}, reader)).body.errors![0].message, /unauthorized/);

  await gql(app, `mutation ($id: ID!) { apiKeyDelete(id: $id) { deleted } }`, { id }, admin.token);
  assert.equal((await gql(app, "{ viewer { id } }", {}, reader)).body.data, { viewer: null });
});

test("stack lock: only the owner or an admin unlocks; protected stacks are not deleted", async () => {
  const app = graphqlApp(db.sql);
  const admin = await session(app, db.sql, { name: "admin", admin: true });
  const w1 = await session(app, db.sql, { name: "w1", admin: false, accessRules: [{ space: "root", role: "write" }] });
  const w2 = await session(app, db.sql, { name: "w2", admin: false, accessRules: [{ space: "root", role: "write" }] });
  await gql(app, CREATE, { i: { name: "locked", repository: "r", branch: "main", protectFromDeletion: true } }, admin.token);
  await gql(app, `mutation { stackLock(id: "locked", note: "mine") { id } }`, {}, w1.token);
  assert.match((await gql(app, `mutation { stackLock(id: "locked") { id } }`, {}, w2.token)).body.errors![0].message, /already locked by api::/);
  assert.match((await gql(app, `mutation { stackUnlock(id: "locked") { id } }`, {}, w2.token)).body.errors![0].message, /unauthorized: .*only its owner or an admin/);
  assert.match((await gql(app, `mutation { runTrigger(stack: "locked") { id } }`, {}, w2.token)).body.errors![0].message, /locked by/);
  const forced = await gql(app, `mutation { stackUnlock(id: "locked") { id lockedBy } }`, {}, admin.token);
  assert.equal(forced.body.data, { stackUnlock: { id: "locked", lockedBy: null } });
  const del = await gql(app, `mutation { stackDelete(id: "locked") { id } }`, {}, admin.token);
  assert.match(del.body.errors![0].message, /protected from deletion/);
});

test("bad input: verbatim names, conflicts, not found, malformed JSON, limits, empty argument lists", async () => {
  const app = graphqlApp(db.sql);
  const admin = await session(app, db.sql, { name: "admin", admin: true });
  const nasty = `Robert'); DROP TABLE stacks;-- <script>alert("x")</script>`;
  const made = await gql(app, CREATE, { i: { name: nasty, description: "<b>&amp;</b>", labels: ["a'b", "<c>"], repository: "r", branch: "main" } }, admin.token);
  assert.equal(made.body.data!.stackCreate, { id: "robert-drop-table-stacks-script-alert-x-script", name: nasty, description: "<b>&amp;</b>", labels: ["a'b", "<c>"] });
  const taken = await gql(app, CREATE, { i: { name: nasty, repository: "r", branch: "main" } }, admin.token);
  assert.match(taken.body.errors![0].message, /a stack with id "robert-drop-table-stacks-script-alert-x-script" already exists/);
  assert.is(taken.body.errors![0].extensions!.code, "Conflict");
  const badSlug = await gql(app, CREATE, { i: { name: "x", repository: "r", branch: "main" }, slug: "Not A Slug" }, admin.token);
  assert.match(badSlug.body.errors![0].message, /must be lower-case/);

  assert.match((await gql(app, `mutation { runTrigger(stack: "nope") { id } }`, {}, admin.token)).body.errors![0].message, /not found/);
  assert.match((await gql(app, `mutation { runCancel(stack: "nope", run: "01HZZZZZZZZZZZZZZZZZZZZZZZ") { id } }`, {}, admin.token)).body.errors![0].message, /not found/);
  assert.equal((await gql(app, `{ runStack(runId: "nope") { id } }`, {}, admin.token)).body.errors![0].message, "not found");
  assert.match((await gql(app, CREATE, { i: { name: "y", repository: "r", branch: "main", space: "nope" } }, admin.token)).body.errors![0].message, /space nope not found/);

  const malformed = await app.request("/graphql", { method: "POST", headers: { "content-type": "application/json", accept: "application/graphql-response+json" }, body: "{ not json" });
  assert.is(malformed.status, 400);

  const deep = `{ stack(id: "x") { runs { blockedBy { blockedBy { blockedBy { blockedBy { blockedBy { blockedBy { blockedBy { blockedBy { blockedBy { blockedBy { blockedBy { id } } } } } } } } } } } } } }`;
  assert.match((await gql(app, deep, {}, admin.token)).body.errors![0].message, /too deep/);
  const wide = `{ ${Array.from({ length: 700 }, (_, i) => `a${i}: debugInfo { selfHostedVersion }`).join(" ")} }`;
  assert.match((await gql(app, wide, {}, admin.token)).body.errors![0].message, /too complex/);
  const huge = await gql(app, `{ debugInfo { selfHostedVersion } } # ${"x".repeat(2 * 1024 * 1024)}`, {}, admin.token);
  assert.is(huge.status, 413);

  const empty = await gql(app, "{ spaces() { id } viewer { id } }", {}, admin.token);
  assert.equal(empty.body.data!.spaces.map((s: { id: string }) => s.id).includes("root"), true);
  assert.is(empty.body.data!.viewer.id, admin.id);
});

test("every mutation is in the audit trail, successes and failures, without secrets", async () => {
  const app = graphqlApp(db.sql);
  const admin = await session(app, db.sql, { name: "auditor", admin: true });
  await gql(app, CREATE, { i: { name: "audited", repository: "r", branch: "main" } }, admin.token);
  await gql(app, `mutation { runTrigger(stack: "audited") { id } }`, {}, admin.token);
  await gql(app, `mutation { stackDelete(id: "no-such") { id } }`, {}, admin.token);
  const created = await gql(app, `mutation { apiKeyCreate(input: { name: "k2", admin: false }) { secret } }`, {}, admin.token);
  const trail = await gql(app, `{ searchAuditTrailEntries(input: { first: 5 }) { edges { node { actor action targetType targetId outcome error createdAt } } pageInfo { hasNextPage endCursor } } }`, {}, admin.token);
  const entries = trail.body.data!.searchAuditTrailEntries.edges.map((e: { node: Record<string, unknown> }) => e.node);
  assert.equal(entries.slice(0, 4).map((e: Record<string, unknown>) => [e.action, e.targetType, e.outcome, e.actor]), [
    ["api_key.create", "api_key", "success", `api::${admin.id}`],
    ["stack.delete", "stack", "failure", `api::${admin.id}`],
    ["run.trigger", "stack", "success", `api::${admin.id}`],
    ["stack.create", "stack", "success", `api::${admin.id}`],
  ]);
  assert.match(entries[1].error as string, /^NotFound: stack no-such not found/);
  assert.ok(Math.abs((entries[0].createdAt as number) - Date.now() / 1000) < 60);
  assert.is(entries[4].action, "api_key.login");
  const all = JSON.stringify(await db.sql`select * from audit_entries`);
  assert.not.ok(all.includes(created.body.data!.apiKeyCreate.secret), "no secret in the trail");
  assert.not.ok(all.includes(admin.secret));
});

test.run();
