// Runs the covered client operations from the corpus, with their example variables, against real
// data through /graphql, and checks the answers. Run states the API cannot reach yet (execution
// arrives with workers) are driven through the domain API.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { testDatabase, type TestDatabase } from "../../shared/db/testing.ts";
import { insertApiKey } from "../../shared/auth/queries.ts";
import { advanceRun } from "../../shared/runs/operations.ts";
import type { RunState } from "../../shared/runs/run.ts";
import { corpusFile, COVERED } from "./corpus.ts";
import { gql, graphqlApp } from "./testing.ts";
import { decodePoolToken } from "../../shared/workers/pool_token.ts";
import { registerWorker } from "../../shared/workers/operations.ts";
import { deriveKey } from "../../shared/secret_key.ts";

let db: TestDatabase;
test.before(async () => {
  db = await testDatabase();
});
test.after(async () => {
  await db.drop();
});

/** The file's first example variables, with placeholders replaced. */
function example(file: string, replace: Record<string, string> = {}): Record<string, unknown> {
  const lines = corpusFile(file).split("\n");
  const start = lines.findIndex((l, i) => /^#\s+\{/.test(l) && lines.slice(0, i).some((p) => /example variables/.test(p)));
  // The example may run over several comment lines.
  let json = "{}";
  for (let end = start; start >= 0 && end < lines.length && lines[end].startsWith("#"); end++) {
    json = lines.slice(start, end + 1).map((l) => l.replace(/^#\s+/, "")).join(" ");
    try {
      JSON.parse(json);
      break;
    } catch {
      // not complete yet
    }
  }
  for (const [from, to] of Object.entries(replace)) json = json.replaceAll(from, to);
  return JSON.parse(json);
}

const ran = new Set<string>();
async function run(app: ReturnType<typeof graphqlApp>, file: string, token: string | undefined, replace: Record<string, string> = {}, overrides: Record<string, unknown> = {}) {
  ran.add(file);
  const res = await gql(app, corpusFile(file), { ...example(file, replace), ...overrides }, token);
  assert.is(res.status, 200, file);
  assert.equal(res.body.errors ?? [], [], file);
  return res.body.data as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
}

async function drive(runId: string, states: RunState[]) {
  for (const s of states) await advanceRun(db.sql, "my-stack", runId, s);
}

test("the covered corpus operations run against real data with their example variables", async () => {
  const app = graphqlApp(db.sql);
  const { key, secret } = await insertApiKey(db.sql, "test", { name: "admin", admin: true });

  const auth = await run(app, "spacectl-auth-api-key-user.graphql", undefined, { "<api-key-id>": key.id, "<api-key-secret>": secret });
  const token: string = auth.apiKeyUser.jwt;
  assert.ok(auth.apiKeyUser.validUntil > Date.now() / 1000);
  const claims = JSON.parse(Buffer.from(token.split(".")[1], "base64url").toString());
  assert.equal(claims.aud, ["http://gantry.test"]);
  assert.is(claims.exp, auth.apiKeyUser.validUntil);

  assert.equal(await run(app, "spacectl-debug-info.graphql", token), { debugInfo: { selfHostedVersion: "" } });
  assert.equal(await run(app, "spacectl-viewer.graphql", token), { viewer: { id: key.id, name: "admin" } });
  const apiKey = await run(app, "spacectl-mcp-apikey-get.graphql", token, { "<api-key-id>": key.id });
  assert.is(apiKey.apiKey.id, key.id);
  assert.is(apiKey.apiKey.admin, true);
  assert.equal(apiKey.apiKey.accessRules, [{ space: "root", spaceAccessLevel: "ADMIN" }]);
  assert.not.ok("secret" in apiKey.apiKey);

  const create = await gql(app, `mutation ($input: StackInput!) { stackCreate(input: $input, manageState: true) { id } }`, {
    input: { name: "My Stack", repository: "infra", branch: "main", space: "root", vendorConfig: { opentofu: { version: "1.8.0", workflowTool: null }, terraform: null }, beforeInit: ["echo hi"] },
  }, token);
  assert.equal(create.body, { data: { stackCreate: { id: "my-stack" } } });
  for (const name of ["prod-a", "prod-b", "prod-c"]) await gql(app, `mutation ($i: StackInput!) { stackCreate(input: $i, manageState: true) { id } }`, { i: { name, repository: "infra", branch: "main" } }, token);

  const spaces = await run(app, "spacectl-mcp-space-list.graphql", token);
  assert.equal(spaces.spaces, [{ id: "root", name: "root", description: "The root space", parentSpace: null, inheritEntities: false, accessLevel: "ADMIN", labels: [] }]);
  assert.equal(await run(app, "spacectl-stack-get-by-id.graphql", token), { stack: { id: "my-stack", name: "My Stack" } });

  // stack list: page one, then the example (page two after its endCursor).
  const page1 = await gql(app, corpusFile("spacectl-stack-list.graphql"), { input: { first: 2, after: null, fullTextSearch: "prod", predicates: null, orderBy: null } }, token);
  assert.equal(page1.body.data!.searchStacks.edges.map((e: { node: { id: string } }) => e.node.id), ["prod-a", "prod-b"]);
  assert.is(page1.body.data!.searchStacks.pageInfo.hasNextPage, true);
  const page2 = await run(app, "spacectl-stack-list.graphql", token, { "<endCursor>": page1.body.data!.searchStacks.pageInfo.endCursor });
  assert.equal(page2.searchStacks.edges.map((e: { node: { id: string } }) => e.node.id), ["prod-c"]);
  assert.equal(page2.searchStacks.pageInfo, { endCursor: page2.searchStacks.pageInfo.endCursor, hasNextPage: false, hasPreviousPage: true });
  const node = page2.searchStacks.edges[0].node;
  assert.is(node.state, "NONE");
  assert.is(node.vendorConfig.__typename, "StackConfigVendorOpenTofu");
  assert.is(node.canWrite, true);
  assert.equal(node.spaceDetails, { id: "root", name: "root", description: "The root space", parentSpace: null });

  // A tracked run: trigger, history, stack by run id, confirm.
  const a = (await run(app, "spacectl-run-trigger.graphql", token)).runTrigger.id;
  const historyA = await run(app, "spacectl-run-history.graphql", token, { "01ABCDEFRUNID": a });
  assert.equal(historyA.stack.run.history.map((h: { state: string; stateVersion: number; terminal: boolean; username: string }) => [h.state, h.stateVersion, h.terminal, h.username]), [["QUEUED", 1, false, `api::${key.id}`]]);
  assert.equal(await run(app, "spacectl-stack-get-by-run-id.graphql", token, { "01ABCDEFRUNID": a }), { runStack: { id: "my-stack", name: "My Stack" } });
  await drive(a, ["READY", "PREPARING", "INITIALIZING", "PLANNING", "UNCONFIRMED"]);
  assert.equal(await run(app, "spacectl-run-confirm.graphql", token, { "01ABCDEFRUNID": a }), { runConfirm: { id: a } });
  await drive(a, ["PREPARING_APPLY", "APPLYING", "FINISHED"]);

  // Force-apply trigger, then discard it once unconfirmed.
  const b = (await run(app, "spacectl-run-trigger-force-apply.graphql", token)).runTrigger.id;
  await drive(b, ["READY", "PREPARING", "INITIALIZING", "PLANNING", "UNCONFIRMED"]);
  assert.equal(await run(app, "spacectl-run-discard.graphql", token, { "01ABCDEFRUNID": b }), { runDiscard: { id: b } });

  // A task, canceled before it starts.
  const t = (await run(app, "spacectl-task-create.graphql", token)).taskCreate.id;
  assert.equal(await run(app, "spacectl-run-cancel.graphql", token, { "01ABCDEFRUNID": t }), { runCancel: { id: t } });

  // A run stopped while planning, then retried.
  const c = (await run(app, "spacectl-run-trigger.graphql", token)).runTrigger.id;
  await drive(c, ["READY", "PREPARING", "INITIALIZING", "PLANNING"]);
  assert.equal(await run(app, "spacectl-run-stop.graphql", token, { "01ABCDEFRUNID": c }), { runStop: { id: c } });
  const d = (await run(app, "spacectl-run-retry.graphql", token, { "01ABCDEFRUNID": c })).runRetry.id;
  assert.is.not(d, c);

  const list = await run(app, "spacectl-run-list.graphql", token);
  assert.equal(list.stack.runs.map((r: { id: string; state: string }) => [r.id, r.state]), [[d, "QUEUED"], [c, "STOPPED"], [b, "DISCARDED"], [a, "FINISHED"]]);
  const [newest, , , oldest] = list.stack.runs;
  assert.is(newest.isMostRecent, true);
  assert.is(oldest.isMostRecent, false);
  assert.equal(oldest.commit, { authorLogin: null, authorName: null, hash: null });
  assert.is(oldest.branch, "main");
  assert.is(list.stack.runs[1].canRetry, true);
  assert.equal(await run(app, "spacectl-run-list.graphql", token, {}, { before: oldest.id }), { stack: { runs: [] } });
  const tasks = await run(app, "spacectl-task-list.graphql", token);
  assert.equal(tasks.stack.tasks.map((r: { id: string; state: string; command: string; type: string }) => [r.id, r.state, r.command, r.type]), [[t, "CANCELED", "terraform state list", "TASK"]]);

  // Lock, show, unlock, enable.
  assert.equal(await run(app, "spacectl-stack-lock.graphql", token), { stackLock: { id: "my-stack" } });
  const shown = await run(app, "spacectl-stack-show.graphql", token);
  assert.is(shown.stack.lockedBy, `api::${key.id}`);
  assert.equal(shown.stack.blocker, { id: d });
  assert.equal(shown.stack.beforeInit, ["echo hi"]);
  assert.equal(shown.stack.vendorConfig, { __typename: "StackConfigVendorOpenTofu", version: "1.8.0", workspace: null, useSmartSanitization: true, externalStateAccessEnabled: false, concise: true, openTofuWorkflowTool: "OPEN_TOFU" });
  assert.is(shown.stack.state, "QUEUED");
  assert.equal(await run(app, "spacectl-stack-unlock.graphql", token), { stackUnlock: { id: "my-stack" } });
  assert.equal(await run(app, "spacectl-stack-enable.graphql", token), { stackEnable: { id: "my-stack", isDisabled: false } });

  // Worker pools: create one, register a worker with its token, list, drain, cycle.
  const created = await gql(app, `mutation { workerPoolCreate(name: "pool", certificateSigningRequest: "unused") { id config } }`, {}, token);
  const poolId: string = created.body.data!.workerPoolCreate.id;
  const poolToken = decodePoolToken(created.body.data!.workerPoolCreate.config);
  assert.equal([poolToken.poolId, poolToken.serverUrl], [poolId, "http://gantry.test"]);
  const keys = { workerToken: deriveKey("k".repeat(32), "worker-token"), runToken: deriveKey("k".repeat(32), "run-token") };
  const worker = await registerWorker(db.sql, keys, { poolId, secret: poolToken.secret, metadata: { instance_id: "i-1" } }, { brokerEndpoint: "mqtt://gantry.test:1984", heartbeatSeconds: 10 });
  const pools = await run(app, "spacectl-workerpool-list.graphql", token);
  assert.equal(pools.workerPools, [{ id: poolId, name: "pool", description: "", pendingRuns: 0, busyWorkers: 0, workers: [{ id: worker.workerId }] }]);
  const ids = { "01WORKERPOOLID": poolId, "01WORKERID": worker.workerId };
  const listed = await run(app, "spacectl-workerpool-worker-list.graphql", token, ids);
  assert.equal(listed.workerPool.workers, [{ id: worker.workerId, busy: false, drained: false, metadata: '{"instance_id":"i-1"}' }]);
  assert.equal(await run(app, "spacectl-workerpool-worker-drain.graphql", token, ids), { workerDrainSet: { id: worker.workerId } });
  assert.equal((await run(app, "spacectl-workerpool-worker-list.graphql", token, ids)).workerPool.workers[0].drained, true);
  assert.equal(await run(app, "spacectl-workerpool-worker-drain.graphql", token, ids, { drain: false }), { workerDrainSet: { id: worker.workerId } });
  assert.equal(await run(app, "spacectl-workerpool-cycle.graphql", token, ids), { workerPoolCycle: true });
  // The pool's queue: READY runs of its stacks, blocking runs first.
  await gql(app, `mutation ($i: StackInput!) { stackCreate(input: $i, manageState: true) { id } }`, { i: { name: "pooled", repository: "infra", branch: "main", workerPool: poolId } }, token);
  const proposed = (await gql(app, `mutation { runTrigger(stack: "pooled", runType: PROPOSED) { id } }`, {}, token)).body.data!.runTrigger.id;
  const tracked = (await gql(app, `mutation { runTrigger(stack: "pooled") { id } }`, {}, token)).body.data!.runTrigger.id;
  for (const id of [proposed, tracked]) await advanceRun(db.sql, "pooled", id, "READY");
  const queue = await run(app, "spacectl-workerpool-schedulable-runs.graphql", token, ids, { input: { first: 1, after: null, fullTextSearch: null, predicates: null, orderBy: { field: "position", direction: "ASC" } } });
  assert.equal(queue.workerPool.searchSchedulableRuns.edges.map((e: { node: { stackId: string; position: number; run: { id: string; state: string } } }) => [e.node.stackId, e.node.position, e.node.run.id, e.node.run.state]), [["pooled", 1, tracked, "READY"]]);
  assert.equal(queue.workerPool.searchSchedulableRuns.pageInfo, { endCursor: "1", hasNextPage: true, hasPreviousPage: false });
  const rest = await run(app, "spacectl-workerpool-schedulable-runs.graphql", token, ids, { input: { first: 10, after: "1", fullTextSearch: null, predicates: null, orderBy: null } });
  assert.equal(rest.workerPool.searchSchedulableRuns.edges.map((e: { node: { position: number; run: { id: string } } }) => [e.node.position, e.node.run.id]), [[2, proposed]]);
  assert.equal((await db.sql`select payload->>'poolId' as pool from queue_jobs where kind = 'pool_cycle'`).map((r) => r.pool), [poolId], "the drain is asked to cycle the pool");

  assert.equal(await run(app, "spacectl-stack-delete.graphql", token), { stackDelete: { id: "my-stack" } });
  assert.equal((await gql(app, corpusFile("spacectl-stack-get-by-id.graphql"), { id: "my-stack" }, token)).body, { data: { stack: null } });

  assert.equal([...ran].sort(), [...COVERED], "every covered operation ran");
});

test.run();
