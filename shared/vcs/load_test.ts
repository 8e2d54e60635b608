// Correctness under load: 100 deliveries in flight for 50 stacks, some delivered twice and some
// commits delivered again under a new delivery id, through the HTTP endpoint and two real drains.
// Exactly the runs the pushes call for are created: none missing, none duplicated. Then the same
// without the per-repository FIFO: deliveries of one commit processed all at once still make one run.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { testDatabase, type TestDatabase } from "../db/testing.ts";
import { memoryLogger } from "../log.ts";
import { SYSTEM_ACTOR } from "../auth/roles.ts";
import { createStack } from "../stacks/operations.ts";
import { startDrain, type Drain } from "../../drain/drain.ts";
import { webhookHandlers } from "../../drain/webhooks.ts";
import { webhookRoutes } from "../../server/webhooks/routes.ts";
import { waitFor } from "../testing/wait.ts";
import { createIntegration } from "./operations.ts";
import { githubSignature } from "./signature.ts";
import { recordDelivery } from "./deliveries.ts";
import { processDelivery } from "./process.ts";

const key = Buffer.alloc(32, 9);
const SECRET = "load-test-webhook-secret";
const REPOS = 5;
const STACKS = 50;
const DELIVERIES = 100;

let db: TestDatabase;
test.before(async () => {
  db = await testDatabase({ max: 20 });
  await createIntegration(db.sql, key, SYSTEM_ACTOR, { provider: "GITHUB", spaceId: "root", name: "GitHub", isDefault: true, apiHost: "http://127.0.0.1:9", credentials: { token: "t" }, webhookSecret: SECRET });
  for (let i = 0; i < STACKS; i++) {
    await createStack(db.sql, SYSTEM_ACTOR, { name: `s${i}`, provider: "GITHUB", namespace: "acme", repository: `repo${i % REPOS}`, branch: "main", projectRoot: `stacks/s${i}` }, { manageState: false });
  }
});
test.after(async () => {
  await db.drop();
});

const sha = (n: number) => n.toString(16).padStart(40, "0");

/** Delivery d pushes commit d to repo d % 5, touching two stacks of that repo. */
function push(d: number) {
  const repo = d % REPOS;
  const a = repo + REPOS * (d % 10);
  const b = repo + REPOS * ((d + 3) % 10);
  const files = [`stacks/s${a}/main.tf`, `stacks/s${b}/vars.tf`, "README.md"];
  return {
    body: JSON.stringify({
      ref: "refs/heads/main",
      before: sha(100_000 + d),
      after: sha(d + 1),
      repository: { full_name: `acme/repo${repo}`, name: `repo${repo}`, owner: { login: "acme" } },
      commits: [{ id: sha(d + 1), message: `commit ${d}`, author: { name: "A", username: "a" }, added: [], modified: files, removed: [] }],
      head_commit: { id: sha(d + 1), message: `commit ${d}`, author: { name: "A", username: "a" } },
      sender: { login: "a" },
    }),
    expected: [`s${a}@${sha(d + 1)}`, `s${b}@${sha(d + 1)}`],
  };
}

test("100 deliveries for 50 stacks, with duplicates, make exactly the runs they should", async () => {
  const log = memoryLogger();
  const app = webhookRoutes({ sql: db.sql, log, key, maxBodyBytes: 1024 * 1024 });
  const registry = new Map(webhookHandlers({ key, publicUrl: "http://gantry" }));
  const queue = { leaseSeconds: 60, maxAttempts: 5, pollIntervalMs: 200, concurrency: { webhooks: 20, async: 1, async_fifo: 1, cronjobs: 1, worker_messages: 1 } };
  const drains: Drain[] = [];
  for (let i = 0; i < 2; i++) drains.push(await startDrain({ sql: db.sql, log, registry, queue, queues: ["webhooks"], shutdownTimeoutSeconds: 5 }));

  const expected = new Set<string>();
  const sends: Array<{ id: string; body: string }> = [];
  for (let d = 0; d < DELIVERIES; d++) {
    const p = push(d);
    p.expected.forEach((e) => expected.add(e));
    sends.push({ id: `delivery-${d}`, body: p.body });
    if (d % 5 === 0) sends.push({ id: `delivery-${d}`, body: p.body }); // the same delivery twice
    if (d % 7 === 0) sends.push({ id: `redelivery-${d}`, body: p.body }); // the same commit, a new delivery id
  }
  const responses = await Promise.all(
    sends.map((s) =>
      app.request("/github", { method: "POST", body: s.body, headers: { "content-type": "application/json", "x-github-event": "push", "x-github-delivery": s.id, "x-hub-signature-256": githubSignature(SECRET, new TextEncoder().encode(s.body)) } }),
    ),
  );
  assert.ok(responses.every((r) => r.status === 202), "every delivery accepted");
  const distinct = new Set(sends.map((s) => s.id)).size;
  await waitFor(async () => (await db.sql`select count(*)::int as n from vcs_deliveries where processed_at is not null`)[0].n === distinct, { timeoutMs: 60_000, what: "every delivery processed" });
  for (const d of drains) await d.stop();

  const runs = await db.sql<{ stack_id: string; commit_sha: string; type: string }[]>`select stack_id, commit_sha, type from runs`;
  const got = runs.map((r) => `${r.stack_id}@${r.commit_sha}`);
  assert.is(new Set(got).size, got.length, "no duplicates");
  assert.equal([...got].sort(), [...expected].sort(), "none missing, none extra");
  assert.ok(runs.every((r) => r.type === "TRACKED"));
  assert.is(got.length, 200);
  const [dead] = await db.sql`select count(*)::int as n from queue_dead_letters`;
  assert.is(dead.n, 0);
});

test("without the FIFO: one commit's deliveries processed all at once still make one run per stack", async () => {
  const log = memoryLogger();
  const [{ id: integrationId }] = await db.sql`select id from vcs_integrations`;
  const p = push(1000);
  const ids = Array.from({ length: 20 }, (_, i) => `parallel-${i}`);
  for (const id of ids) await recordDelivery(db.sql, { provider: "GITHUB", deliveryId: id, integrationId, event: "push", payload: new TextEncoder().encode(p.body), repository: "acme/repo0", used: false });
  await db.sql`update vcs_deliveries set processed_at = null where delivery_id like 'parallel-%'`;
  const results = await Promise.all(ids.map((id) => processDelivery(db.sql, { key, publicUrl: "http://gantry" }, log, "GITHUB", id)));
  assert.is(results.reduce((n, r) => n + r.created.length, 0), 2);
  const [row] = await db.sql`select count(*)::int as n from runs where commit_sha = ${sha(1001)}`;
  assert.is(row.n, 2);
});

test.run();
