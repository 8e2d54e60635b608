// End to end with real processes: Gantry (main.ts: server, drain, scheduler) and a worker
// (worker/main.ts) started with the pool token from workerPoolCreate. Tasks triggered through
// GraphQL are cloned from a real Git repository the test creates, run with `sh -c`, and end
// FINISHED or FAILED by their exit code. workerPoolCycle makes the worker exit.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { execFileSync } from "node:child_process";
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startEntrypoint, type Child } from "../shared/testing/process.ts";
import { waitFor } from "../shared/testing/wait.ts";
import { freePort } from "../shared/db/embedded.ts";
import { externalBroker } from "../shared/testing/mqtt.ts";
import { testDatabase, type TestDatabase } from "../shared/db/testing.ts";

const dir = mkdtempSync(join(tmpdir(), "gantry-e2e-"));
chmodSync(dir, 0o755);
let db: TestDatabase | null = null;
const children: Child[] = [];
test.after(async () => {
  for (const c of children) c.kill();
  await Promise.all(children.map((c) => c.exited));
  await db?.drop();
  rmSync(dir, { recursive: true, force: true });
});

function hasGit(): boolean {
  try {
    execFileSync("git", ["--version"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

/** A bare repository with one commit on main holding hello.txt; returns its file:// URL and the sha. */
function makeRepository(): { url: string; sha: string } {
  const work = join(dir, "work");
  const env = { ...process.env, GIT_AUTHOR_NAME: "t", GIT_AUTHOR_EMAIL: "t@example.com", GIT_COMMITTER_NAME: "t", GIT_COMMITTER_EMAIL: "t@example.com", GIT_CONFIG_NOSYSTEM: "1" };
  const git = (args: string[], cwd = dir) => execFileSync("git", args, { cwd, env }).toString().trim();
  git(["init", "--quiet", "-b", "main", work]);
  writeFileSync(join(work, "hello.txt"), "hello\n");
  git(["add", "hello.txt"], work);
  git(["commit", "--quiet", "-m", "first"], work);
  const sha = git(["rev-parse", "HEAD"], work);
  git(["clone", "--quiet", "--bare", work, join(dir, "repo.git")]);
  chmodSync(dir, 0o755);
  return { url: `file://${join(dir, "repo.git")}`, sha };
}

async function graphql(url: string, query: string, variables: Record<string, unknown>, token?: string): Promise<Record<string, any>> { // eslint-disable-line @typescript-eslint/no-explicit-any
  const res = await fetch(`${url}/graphql`, {
    method: "POST",
    headers: { "content-type": "application/json", ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify({ query, variables }),
  });
  const body = await res.json();
  assert.equal(body.errors ?? [], [], query);
  return body.data;
}

test("a task triggered through GraphQL runs on a registered worker: cloned, run with sh -c, FINISHED or FAILED by exit code", async () => {
  if (externalBroker()) return console.log("SKIP: worker broker credentials need the built-in broker (MQTT_BROKER_TYPE=external)");
  if (!hasGit()) return console.log("SKIP: git is not installed");
  db = await testDatabase();
  const repo = makeRepository();
  const port = await freePort();
  const gantry = startEntrypoint("main.ts", {
    DATABASE_URL: db.url,
    GANTRY_DATA_DIR: join(dir, "data"),
    SERVER_HOST: "127.0.0.1",
    SERVER_PORT: String(port),
    SERVER_DOMAIN: `127.0.0.1:${port}`,
    MQTT_BROKER_BUILTIN_HOST: "127.0.0.1",
    MQTT_BROKER_BUILTIN_PORT: String(await freePort()),
    WORKER_HEARTBEAT_SECONDS: "1",
    WORKER_TIMEOUT_SECONDS: "10",
    QUEUE_POLL_INTERVAL_MS: "100",
  });
  children.push(gantry);
  await gantry.waitForLine(/Gantry is up in \d+ ms/, 90_000);
  const url = `http://127.0.0.1:${port}`;
  const admin = JSON.parse(readFileSync(join(dir, "data", "admin-api-key.json"), "utf8"));
  const jwt = (await graphql(url, "mutation ($id: ID!, $secret: String!) { apiKeyUser(id: $id, secret: $secret) { jwt } }", { id: admin.id, secret: admin.secret })).apiKeyUser.jwt;

  const pool = (await graphql(url, `mutation { workerPoolCreate(name: "e2e", certificateSigningRequest: "") { id config } }`, {}, jwt)).workerPoolCreate;
  await graphql(url, "mutation ($input: StackInput!) { stackCreate(input: $input, manageState: false) { id } }", {
    input: { name: "e2e", repository: repo.url, branch: "main", workerPool: pool.id },
  }, jwt);

  const worker = startEntrypoint("worker/main.ts", {
    GANTRY_WORKER_POOL_TOKEN: pool.config,
    GANTRY_WORKER_WORK_DIR: join(dir, "runs"),
    GANTRY_METADATA_instance_id: "i-e2e",
    LOG_FORMAT: "json",
  });
  children.push(worker);
  await worker.waitForLine(/worker ready/, 30_000);
  const listed = (await graphql(url, "query ($id: ID!) { workerPool(id: $id) { workers { id status metadata } } }", { id: pool.id }, jwt)).workerPool.workers;
  assert.is(listed.length, 1);
  assert.equal([listed[0].status, JSON.parse(listed[0].metadata)], ["IDLE", { instance_id: "i-e2e" }]);

  const state = async (id: string) => (await db!.sql`select state from runs where id = ${id}`)[0]?.state;
  const note = async (id: string) => (await db!.sql`select note from run_transitions where run_id = ${id} order by seq desc limit 1`)[0]?.note;
  const task = (command: string) => graphql(url, "mutation ($stack: ID!, $command: String!) { taskCreate(stack: $stack, command: $command) { id } }", { stack: "e2e", command }, jwt).then((d) => d.taskCreate.id as string);

  const ok = await task(`test "$(cat hello.txt)" = hello && test "$GANTRY_COMMIT_SHA" = ${repo.sha} && echo "task ran in $PWD"`);
  await waitFor(async () => ["FINISHED", "FAILED"].includes(await state(ok)), { timeoutMs: 60_000, intervalMs: 100, what: "the task to finish" });
  assert.is(await state(ok), "FINISHED", `${await note(ok)}\n${worker.output().slice(-2000)}`);
  const history = await db.sql`select state from run_transitions where run_id = ${ok} order by seq`;
  assert.equal(history.map((h) => h.state), ["QUEUED", "READY", "PREPARING", "PERFORMING", "FINISHED"]);
  assert.match(worker.output(), /task ran in .*runs\/run-/);

  const bad = await task("echo about to fail; exit 3");
  await waitFor(async () => ["FINISHED", "FAILED"].includes(await state(bad)), { timeoutMs: 60_000, intervalMs: 100, what: "the failing task to end" });
  assert.is(await state(bad), "FAILED");
  assert.is(await note(bad), "the command exited with code 3");
  assert.equal(execFileSync("ls", [join(dir, "runs")]).toString().trim(), "", "each run's working directory is removed");

  await graphql(url, "mutation ($id: ID!) { workerPoolCycle(id: $id) }", { id: pool.id }, jwt);
  assert.is((await worker.exited).code, 0, "the cycled worker exits");
  assert.equal((await graphql(url, "query ($id: ID!) { workerPool(id: $id) { workers { id } } }", { id: pool.id }, jwt)).workerPool.workers, [], "and leaves the pool");

  gantry.kill("SIGTERM");
  assert.is((await gantry.exited).code, 0);
});

test.run();
