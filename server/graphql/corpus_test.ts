// Runs the covered client operations from the corpus, with their example variables, against real
// data through /graphql, and checks the answers. Run states the API cannot reach yet (execution
// arrives with workers) are driven through the domain API.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { testDatabase, type TestDatabase } from "../../shared/db/testing.ts";
import { insertApiKey } from "../../shared/auth/queries.ts";
import { advanceRun } from "../../shared/runs/operations.ts";
import { promoteQueuedRuns } from "../../shared/runs/scheduling.ts";
import { getRunById } from "../../shared/runs/queries.ts";
import { decidePlan } from "../../shared/policies/plan.ts";
import type { RunState } from "../../shared/runs/run.ts";
import { corpusFile, COVERED } from "./corpus.ts";
import { gql, graphqlApp } from "./testing.ts";
import { decodePoolToken } from "../../shared/workers/pool_token.ts";
import { registerWorker } from "../../shared/workers/operations.ts";
import { deriveKey } from "../../shared/secret_key.ts";
import { createHash } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createObjectStore } from "../../shared/storage/create.ts";
import { chunkKey, LOG_BUCKET } from "../../shared/logs/keys.ts";
import { encodeChunk } from "../../shared/logs/chunk.ts";
import { writeState } from "../../shared/state/versions.ts";
import { blobRoutes } from "../blobs.ts";
import type { FilesystemObjectStore } from "../../shared/storage/filesystem.ts";

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
  const keys = { workerToken: deriveKey("k".repeat(32), "worker-token") };
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
});

test("the stack's environment, outputs and a run's changes through the corpus operations", async () => {
  const app = graphqlApp(db.sql);
  const { key, secret } = await insertApiKey(db.sql, "test", { name: "admin2", admin: true });
  const token = (await gql(app, `mutation ($id: ID!, $s: String!) { apiKeyUser(id: $id, secret: $s) { jwt } }`, { id: key.id, s: secret })).body.data!.apiKeyUser.jwt;
  await gql(app, `mutation { stackCreate(input: {name: "env", repository: "infra", branch: "main"}, manageState: true, slug: "my-stack") { id } }`, {}, token);
  assert.equal(await run(app, "spacectl-stack-environment-setvar.graphql", token), { stackConfigAdd: { id: "TF_VAR_region", writeOnly: false, value: "eu-west-1" } });
  const hidden = { config: { id: "TOKEN", type: "ENVIRONMENT_VARIABLE", value: "s3cr3t-value", writeOnly: true } };
  assert.equal(await run(app, "spacectl-stack-environment-setvar.graphql", token, {}, hidden), { stackConfigAdd: { id: "TOKEN", writeOnly: true, value: null } });
  const listed = await run(app, "spacectl-stack-environment-list.graphql", token);
  assert.equal(
    listed.stack.runtimeConfig.map((c: { context: unknown; element: { id: string; value: string | null; writeOnly: boolean; type: string; runtime: boolean } }) => [c.context, c.element.id, c.element.value, c.element.writeOnly, c.element.type, c.element.runtime]),
    [[null, "TF_VAR_region", "eu-west-1", false, "ENVIRONMENT_VARIABLE", false], [null, "TOKEN", null, true, "ENVIRONMENT_VARIABLE", false]],
  );
  assert.is(listed.stack.runtimeConfig[1].element.checksum, createHash("sha256").update("s3cr3t-value").digest("hex"));
  assert.equal(listed.stack.attachedContexts, []);
  const sealed = await db.sql`select value_sealed from stack_config where id = 'TOKEN'`;
  assert.not.ok(Buffer.from(sealed[0].value_sealed).toString("latin1").includes("s3cr3t-value"), "the value is sealed at rest");
  assert.equal(await run(app, "spacectl-stack-environment-delete.graphql", token), { stackConfigDelete: { id: "TF_VAR_region" } });
  assert.equal(await run(app, "spacectl-stack-environment-delete.graphql", token), { stackConfigDelete: null });
  const bad = await gql(app, `mutation { stackConfigAdd(stack: "my-stack", config: {id: "../etc/passwd", type: FILE_MOUNT, value: "eA==", writeOnly: false}) { id } }`, {}, token);
  assert.match(bad.body.errors?.[0]?.message ?? "", /not a valid mount path/);

  assert.equal(await run(app, "spacectl-stack-outputs.graphql", token), { stack: { id: "my-stack", name: "env", outputs: [] } });
  const runId = (await gql(app, `mutation { runTrigger(stack: "my-stack") { id } }`, {}, token)).body.data!.runTrigger.id;
  assert.equal(await run(app, "spacectl-run-changes.graphql", token, { "01ABCDEFRUNID": runId }), { stack: { run: { changesV3: [] } } });
});

test("a run's logs through spacectl's query (the log format is in docs/logs.md)", async () => {
  const root = mkdtempSync(join(tmpdir(), "gantry-corpus-logs-"));
  const store = createObjectStore({ type: "filesystem", root, publicUrl: "http://gantry.test", signingKey: new Uint8Array(32).fill(7) });
  try {
    const app = graphqlApp(db.sql, { store });
    const { key, secret } = await insertApiKey(db.sql, "test", { name: "admin3", admin: true });
    const token = (await gql(app, `mutation ($id: ID!, $s: String!) { apiKeyUser(id: $id, secret: $s) { jwt } }`, { id: key.id, s: secret })).body.data!.apiKeyUser.jwt;
    await gql(app, `mutation { stackCreate(input: {name: "logs", repository: "infra", branch: "main"}, manageState: true, slug: "logs-stack") { id } }`, {}, token);
    const runId = (await gql(app, `mutation { runTrigger(stack: "logs-stack") { id } }`, {}, token)).body.data!.runTrigger.id;
    for (const s of ["READY", "PREPARING", "INITIALIZING", "PLANNING"] as RunState[]) await advanceRun(db.sql, "logs-stack", runId, s);
    await store.put(LOG_BUCKET, chunkKey({ stackId: "logs-stack", runId, state: "PLANNING", stateVersion: 1 }, 0), encodeChunk({ timestamp: Date.now(), text: "Plan: 1 to add\n" }));
    const page = await run(app, "spacectl-run-logs.graphql", token, { "my-stack": "logs-stack", "01ABCDEFRUNID": runId }, { stateVersion: 1 });
    const { nextToken, ...rest } = page.stack.run.logs;
    assert.equal(rest, { exists: true, finished: false, hasMore: false, messages: [{ message: "Plan: 1 to add\n" }] });
    assert.type(nextToken, "string");
  } finally {
    await store.close();
    rmSync(root, { recursive: true, force: true });
  }
});

test("a managed state's outputs, resources and download URL through spacectl's operations", async () => {
  const root = mkdtempSync(join(tmpdir(), "gantry-corpus-state-"));
  const store = createObjectStore({ type: "filesystem", root, publicUrl: "http://gantry.test", signingKey: new Uint8Array(32).fill(9) }) as FilesystemObjectStore;
  try {
    const app = graphqlApp(db.sql, { store });
    const { key, secret } = await insertApiKey(db.sql, "test", { name: "admin4", admin: true });
    const token = (await gql(app, `mutation ($id: ID!, $s: String!) { apiKeyUser(id: $id, secret: $s) { jwt } }`, { id: key.id, s: secret })).body.data!.apiKeyUser.jwt;
    await gql(app, `mutation { stackCreate(input: {name: "state", repository: "infra", branch: "main", vendorConfig: {terraform: {useSmartSanitization: true}}}, manageState: true, slug: "state-stack") { id } }`, {}, token);
    const ids = { "my-stack": "state-stack" };
    const noState = await gql(app, corpusFile("spacectl-stack-state-download-url.graphql"), { input: { stackId: "state-stack" } }, token);
    assert.match(noState.body.errors?.[0]?.message ?? "", /none written yet/);
    const runId = (await gql(app, `mutation { runTrigger(stack: "state-stack") { id } }`, {}, token)).body.data!.runTrigger.id;
    for (const s of ["READY", "PREPARING", "INITIALIZING", "PLANNING", "UNCONFIRMED", "CONFIRMED", "PREPARING_APPLY", "APPLYING"] as RunState[]) await advanceRun(db.sql, "state-stack", runId, s);
    const state = {
      version: 4, terraform_version: "1.11.4", serial: 1, lineage: "3f6b1c1e-0000-4000-8000-000000000001",
      outputs: { name: { value: "web", type: "string" }, password: { value: "hunter2", type: "string", sensitive: true } },
      resources: [
        { mode: "managed", type: "terraform_data", name: "a", provider: 'provider["terraform.io/builtin/terraform"]', instances: [{ schema_version: 0, attributes: { id: "x1", input: "hello", output: "hello" }, sensitive_attributes: [] }] },
        { module: "module.net", mode: "managed", type: "terraform_data", name: "b", provider: 'provider["terraform.io/builtin/terraform"]', each: "list",
          instances: [{ index_key: 0, status: "tainted", schema_version: 0, attributes: { id: "x2", input: "s3cr3t" }, sensitive_attributes: [[{ type: "get_attr", value: "input" }]] }] },
      ],
      check_results: null,
    };
    await writeState(db.sql, store, { stackId: "state-stack", bytes: Buffer.from(JSON.stringify(state)), kind: "WRITE", runId, actor: `run::${runId}`, lockId: null, force: false });

    assert.equal(await run(app, "spacectl-stack-outputs.graphql", token, {}, { stackId: "state-stack" }), {
      stack: { id: "state-stack", name: "state", outputs: [{ id: "name", sensitive: false, description: null, value: '"web"' }, { id: "password", sensitive: true, description: null, value: null }] },
    });
    const resources = await run(app, "spacectl-stack-resources.graphql", token, ids);
    const entities = resources.stack.entities as Array<Record<string, any>>; // eslint-disable-line @typescript-eslint/no-explicit-any
    assert.equal(entities.map((e) => [e.id, e.type, e.parent, e.creator?.id ?? null]), [
      ["module.net", "module", "", null],
      ["module.net.terraform_data.b[0]", "terraform_data", "module.net", runId],
      ["terraform_data.a", "terraform_data", "", runId],
      ["output.name", "output", "", null],
      ["output.password", "output", "", null],
    ]);
    const b = entities[1].vendor.terraform;
    assert.equal([b.address, b.mode, b.module, b.tainted], ["module.net.terraform_data.b[0]", "managed", "module.net", true]);
    assert.not.ok(b.values.includes("s3cr3t"), "a sensitive attribute is sanitised");
    assert.is(JSON.parse(b.values).input.length, 7);
    assert.is(JSON.parse(entities[2].vendor.terraform.values).input, "hello", "smart sanitisation keeps what is not sensitive");
    assert.equal(entities[4].vendor.terraform, { sensitive: true, value: null, hash: "" });
    assert.not.ok(JSON.stringify(resources).includes("hunter2"));

    const { stateDownloadUrl } = await run(app, "spacectl-stack-state-download-url.graphql", token, ids);
    const url = new URL(stateDownloadUrl.url);
    const res = await blobRoutes(store).request(url.pathname.replace(/^\/blobs/, "") + url.search);
    assert.is(res.status, 200);
    assert.equal(JSON.parse(await res.text()), state, "spacectl's GET of the URL returns the state");
  } finally {
    await store.close();
    rmSync(root, { recursive: true, force: true });
  }
});

test("policies through spacectl's operations: show, list, samples, simulate, and a run review", async () => {
  const app = graphqlApp(db.sql);
  const { key, secret } = await insertApiKey(db.sql, "test", { name: "admin5", admin: true });
  const token = (await gql(app, `mutation ($id: ID!, $s: String!) { apiKeyUser(id: $id, secret: $s) { jwt } }`, { id: key.id, s: secret })).body.data!.apiKeyUser.jwt;
  await gql(app, `mutation { stackCreate(input: {name: "policies", repository: "infra", branch: "main", labels: ["prod"]}, manageState: true, slug: "policy-stack") { id } }`, {}, token);
  const create = `mutation ($i: PolicyCreateInput!) { policyCreatev2(input: $i) { id type engineType } }`;
  const broken = await gql(app, create, { i: { name: "Broken", type: "PLAN", body: "package spacelift\n\ndeny[msg] {\n  msg := \n}\n" } }, token);
  assert.match(broken.body.errors?.[0]?.message ?? "", /does not parse at line \d+, column \d+/);
  const planBody = 'package spacelift\n\ndeny["no destroys"] { input.spacelift.run.type == "DESTROY" }\nwarn[sprintf("%d changes", [count(input.spacelift.run.changes)])] { true }\n';
  assert.equal((await gql(app, create, { i: { name: "My Plan Policy", type: "PLAN", body: planBody, labels: ["autoattach:prod"], description: "plan" } }, token)).body, { data: { policyCreatev2: { id: "my-plan-policy", type: "PLAN", engineType: "REGO_V0" } } });

  const shown = await run(app, "spacectl-policy-show.graphql", token);
  assert.equal([shown.policy.id, shown.policy.name, shown.policy.type, shown.policy.labels, shown.policy.spaceDetails], ["my-plan-policy", "My Plan Policy", "PLAN", ["autoattach:prod"], { id: "root", name: "root", accessLevel: "ADMIN" }]);
  const listed = await run(app, "spacectl-policy-list.graphql", token);
  assert.equal(listed.searchPolicies.edges.map((e: { node: { id: string } }) => e.node.id), ["my-plan-policy"]);
  assert.equal(listed.searchPolicies.pageInfo.hasNextPage, false);

  // The policy attaches by label; a plan evaluation is recorded and readable as a sample.
  const stackShown = await gql(app, `{ stack(id: "policy-stack") { attachedPolicies { id policyId isAutoattached } } }`, {}, token);
  assert.equal(stackShown.body.data!.stack.attachedPolicies, [{ id: null, policyId: "my-plan-policy", isAutoattached: true }]);
  const runId = (await gql(app, `mutation { runTrigger(stack: "policy-stack") { id } }`, {}, token)).body.data!.runTrigger.id;
  const decision = await decidePlan(db.sql, null, (await getRunById(db.sql, runId))!, { bucket: "metadata", key: "none" });
  assert.equal(decision, { outcome: "warn", messages: ["0 changes"], pendingReview: false });
  const samples = await run(app, "spacectl-policy-samples.graphql", token);
  assert.is(samples.policy.evaluationRecords.length, 1);
  assert.is(samples.policy.evaluationRecords[0].outcome, "warn");
  const sample = await gql(app, `query ($k: String!) { policy(id: "my-plan-policy") { evaluationSample(key: $k) { input body } } }`, { k: samples.policy.evaluationRecords[0].key }, token);
  assert.is(JSON.parse(sample.body.data!.policy.evaluationSample.input).spacelift.run.id, runId);
  assert.is(sample.body.data!.policy.evaluationSample.body, planBody);

  const simulated = await run(app, "spacectl-policy-simulate.graphql", token, {}, { body: planBody, input: JSON.stringify({ spacelift: { run: { type: "DESTROY", changes: [1, 2] } } }) });
  assert.equal(JSON.parse(simulated.policySimulate), { deny: ["no destroys"], warn: ["2 changes"] });

  // An approval policy holds the run in QUEUED until a review approves it.
  await gql(app, `mutation ($i: PolicyCreateInput!) { policyCreatev2(input: $i) { id } }`, { i: { name: "reviewed", type: "APPROVAL", body: "package spacelift\napprove { count(input.reviews.current.approvals) > 0 }\n" } }, token);
  const attached = await gql(app, `mutation { policyAttach(id: "reviewed", stack: "policy-stack") { id policyId stackId isAutoattached } }`, {}, token);
  assert.equal(attached.body.data!.policyAttach.policyId, "reviewed");
  assert.equal(await promoteQueuedRuns(db.sql, "policy-stack"), [], "undecided: the run waits");
  assert.is((await gql(app, `query ($s: ID!, $r: ID!) { stack(id: $s) { run(id: $r) { needsApproval } } }`, { s: "policy-stack", r: runId }, token)).body.data!.stack.run.needsApproval, true);
  assert.equal(await run(app, "spacectl-run-review.graphql", token, { "my-stack": "policy-stack" }), { runReview: { id: runId } });
  assert.equal((await promoteQueuedRuns(db.sql, "policy-stack")).map((r) => r.id), [runId]);
});

test("every covered operation ran", () => {
  assert.equal([...ran].sort(), [...COVERED]);
});

test.run();
