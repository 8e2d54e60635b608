// The webhook endpoints through app.request() (no port), against a real database: verification,
// storage and enqueueing, deduplication, unused events, the size limit.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { createRequire } from "node:module";
import { testDatabase, type TestDatabase } from "../../shared/db/testing.ts";
import { memoryLogger } from "../../shared/log.ts";
import { SYSTEM_ACTOR } from "../../shared/auth/roles.ts";
import { createIntegration } from "../../shared/vcs/operations.ts";
import { githubSignature } from "../../shared/vcs/signature.ts";
import { webhookRoutes } from "./routes.ts";
import type { Hono } from "hono";

const require = createRequire(import.meta.url);
const github: Array<{ name: string; examples: unknown[] }> = require("@octokit/webhooks-examples/api.github.com/index.json");
const pushExample = github.find((e) => e.name === "push")!.examples[4];
const key = Buffer.alloc(32, 7);
const GH_SECRET = "github-webhook-secret-0123";
const GL_SECRET = "gitlab-webhook-secret-0123";

let db: TestDatabase;
let app: Hono;
let githubId: string;
test.before(async () => {
  db = await testDatabase();
  githubId = (await createIntegration(db.sql, key, SYSTEM_ACTOR, { provider: "GITHUB", spaceId: "root", name: "GitHub", isDefault: true, credentials: { token: "t" }, webhookSecret: GH_SECRET })).id;
  await createIntegration(db.sql, key, SYSTEM_ACTOR, { provider: "GITLAB", spaceId: "root", name: "GitLab", credentials: { token: "t" }, webhookSecret: GL_SECRET });
  app = webhookRoutes({ sql: db.sql, log: memoryLogger(), key, maxBodyBytes: 64 * 1024 });
});
test.after(async () => {
  await db.drop();
});

const count = async (table: string) => (await db.sql`select count(*)::int as n from ${db.sql(table)}`)[0].n as number;

function ghPost(body: string, headers: Record<string, string>) {
  return app.request("/github", { method: "POST", body, headers: { "content-type": "application/json", ...headers } });
}

test("a bad or missing signature: 401, nothing stored or enqueued", async () => {
  const body = JSON.stringify(pushExample);
  for (const sig of [undefined, "sha256=" + "0".repeat(64), githubSignature("another-secret-0123456", new TextEncoder().encode(body))]) {
    const res = await ghPost(body, { "x-github-event": "push", "x-github-delivery": "d-bad", ...(sig ? { "x-hub-signature-256": sig } : {}) });
    assert.is(res.status, 401);
  }
  const gl = await app.request("/gitlab", { method: "POST", body: "{}", headers: { "x-gitlab-event": "Push Hook", "x-gitlab-token": "nope", "idempotency-key": "k" } });
  assert.is(gl.status, 401);
  assert.equal([await count("vcs_deliveries"), await count("queue_jobs")], [0, 0]);
});

test("a signed push: 202, stored raw and enqueued once; a redelivery is a duplicate", async () => {
  const body = JSON.stringify(pushExample);
  const headers = { "x-github-event": "push", "x-github-delivery": "d-1", "x-hub-signature-256": githubSignature(GH_SECRET, new TextEncoder().encode(body)) };
  const first = await ghPost(body, headers);
  assert.is(first.status, 202);
  assert.equal(await first.json(), { delivery: "d-1", status: "queued" });
  const again = await ghPost(body, headers);
  assert.is(again.status, 202);
  assert.equal(await again.json(), { delivery: "d-1", status: "duplicate" });
  const [row] = await db.sql`select integration_id, event, convert_from(payload, 'UTF8') as payload, processed_at from vcs_deliveries where delivery_id = 'd-1'`;
  assert.equal([row.integration_id, row.event, row.payload, row.processed_at], [githubId, "push", body, null]);
  const jobs = await db.sql`select kind, payload, fifo_key, queue from queue_jobs`;
  assert.equal(jobs.map((j) => ({ ...j })), [{ kind: "vcs_delivery", payload: { provider: "GITHUB", deliveryId: "d-1" }, fifo_key: "vcs-repo:GITHUB:Codertocat/Hello-World", queue: "webhooks" }]);
});

test("an unused event: 202, recorded as ignored, not enqueued", async () => {
  const body = JSON.stringify({ zen: "Design for failure.", hook_id: 1 });
  const res = await ghPost(body, { "x-github-event": "ping", "x-github-delivery": "d-ping", "x-hub-signature-256": githubSignature(GH_SECRET, new TextEncoder().encode(body)) });
  assert.is(res.status, 202);
  assert.equal(await res.json(), { delivery: "d-ping", status: "ignored" });
  const [row] = await db.sql`select processed_at is not null as done, outcome from vcs_deliveries where delivery_id = 'd-ping'`;
  assert.equal({ ...row }, { done: true, outcome: "ignored: event ping is not used" });
  assert.is(await count("queue_jobs"), 1, "only d-1's job");
});

test("GitLab: the token verifies; Idempotency-Key deduplicates", async () => {
  const body = JSON.stringify({ object_kind: "push", project: { path_with_namespace: "g/r" } });
  const headers = { "x-gitlab-event": "Push Hook", "x-gitlab-token": GL_SECRET, "idempotency-key": "gl-1", "content-type": "application/json" };
  assert.is((await app.request("/gitlab", { method: "POST", body, headers })).status, 202);
  const again = await app.request("/gitlab", { method: "POST", body, headers });
  assert.equal(await again.json(), { delivery: "gl-1", status: "duplicate" });
});

test("naming the integration in the path checks only its secret", async () => {
  const body = JSON.stringify(pushExample);
  const sig = githubSignature(GH_SECRET, new TextEncoder().encode(body));
  const wrong = await app.request(`/github/01J00000000000000000000000`, { method: "POST", body, headers: { "x-github-event": "push", "x-github-delivery": "d-2", "x-hub-signature-256": sig } });
  assert.is(wrong.status, 401);
  const right = await app.request(`/github/${githubId}`, { method: "POST", body, headers: { "x-github-event": "push", "x-github-delivery": "d-2", "x-hub-signature-256": sig } });
  assert.is(right.status, 202);
});

test("a body over the limit: 413; no delivery id: 400; not JSON: 400", async () => {
  const big = JSON.stringify({ pad: "x".repeat(70 * 1024) });
  const res = await ghPost(big, { "x-github-event": "push", "x-github-delivery": "d-big", "x-hub-signature-256": githubSignature(GH_SECRET, new TextEncoder().encode(big)), "content-length": String(big.length) });
  assert.is(res.status, 413);
  const body = "{}";
  const sig = githubSignature(GH_SECRET, new TextEncoder().encode(body));
  assert.is((await ghPost(body, { "x-github-event": "push", "x-hub-signature-256": sig })).status, 400);
  const notJson = "not json";
  assert.is((await ghPost(notJson, { "x-github-event": "push", "x-github-delivery": "d-nj", "x-hub-signature-256": githubSignature(GH_SECRET, new TextEncoder().encode(notJson)) })).status, 400);
  assert.is(await count("vcs_deliveries"), 4, "d-1, d-ping, gl-1, d-2");
});

test.run();
