// End to end with real processes: Gantry (main.ts: server, drain, scheduler) and a worker
// (worker/main.ts) started with the pool token from workerPoolCreate. Tasks triggered through
// GraphQL are cloned from a real Git repository the test creates, run with `sh -c`, and end
// FINISHED or FAILED by their exit code. workerPoolCycle makes the worker exit.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { execFileSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { waitFor } from "../shared/testing/wait.ts";
import { startGantry, type Gantry } from "../shared/testing/gantry.ts";
import { freePort } from "../shared/db/embedded.ts";

let g: Gantry | null = null;
test.after(async () => {
  await g?.close();
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
function makeRepository(dir: string): { url: string; sha: string } {
  const work = join(dir, "work");
  const env = { ...process.env, GIT_AUTHOR_NAME: "t", GIT_AUTHOR_EMAIL: "t@example.com", GIT_COMMITTER_NAME: "t", GIT_COMMITTER_EMAIL: "t@example.com", GIT_CONFIG_NOSYSTEM: "1" };
  const git = (args: string[], cwd = dir) => execFileSync("git", args, { cwd, env }).toString().trim();
  git(["init", "--quiet", "-b", "main", work]);
  writeFileSync(join(work, "hello.txt"), "hello\n");
  git(["add", "hello.txt"], work);
  git(["commit", "--quiet", "-m", "first"], work);
  const sha = git(["rev-parse", "HEAD"], work);
  git(["clone", "--quiet", "--bare", work, join(dir, "repo.git")]);
  return { url: `file://${join(dir, "repo.git")}`, sha };
}

test("a task triggered through GraphQL runs on a registered worker: cloned, run with sh -c, FINISHED or FAILED by exit code", async () => {
  if (!hasGit()) return console.log("SKIP: git is not installed");
  g = await startGantry();
  const { dir, db } = g;
  const repo = makeRepository(dir);
  const graphql = (query: string, variables: Record<string, unknown> = {}) => g!.graphql(query, variables);

  const pool = (await graphql(`mutation { workerPoolCreate(name: "e2e", certificateSigningRequest: "") { id config } }`)).workerPoolCreate;
  await graphql("mutation ($input: StackInput!) { stackCreate(input: $input, manageState: false) { id } }", {
    input: { name: "e2e", repository: repo.url, branch: "main", workerPool: pool.id },
  });

  const worker = await g.worker(pool.config, { GANTRY_METADATA_instance_id: "i-e2e" });
  const listed = (await graphql("query ($id: ID!) { workerPool(id: $id) { workers { id status metadata } } }", { id: pool.id })).workerPool.workers;
  assert.is(listed.length, 1);
  assert.equal([listed[0].status, JSON.parse(listed[0].metadata)], ["IDLE", { instance_id: "i-e2e" }]);

  const { state, note } = g;
  // skipInitialization: these tasks need no tool (on an OpenTofu stack a task initializes first; run_e2e_test.ts covers that).
  const task = (command: string) => graphql("mutation ($stack: ID!, $command: String!) { taskCreate(stack: $stack, command: $command, skipInitialization: true) { id } }", { stack: "e2e", command }).then((d) => d.taskCreate.id as string);

  const ok = await task(`test "$(cat hello.txt)" = hello && test "$GANTRY_COMMIT_SHA" = ${repo.sha} && echo "task ran in $PWD"`);
  await waitFor(async () => ["FINISHED", "FAILED"].includes((await state(ok)) ?? ""), { timeoutMs: 60_000, intervalMs: 100, what: "the task to finish" });
  assert.is(await state(ok), "FINISHED", `${await note(ok)}\n${worker.output().slice(-2000)}`);
  const history = await db.sql`select state from run_transitions where run_id = ${ok} order by seq`;
  assert.equal(history.map((h) => h.state), ["QUEUED", "READY", "PREPARING", "PERFORMING", "FINISHED"]);
  // The task's output is in the run's log (object storage), as spacectl reads it.
  const performed = await graphql("query ($r: ID!) { stack(id: \"e2e\") { run(id: $r) { logs(state: PERFORMING) { finished messages { message } } } } }", { r: ok });
  assert.match(performed.stack.run.logs.messages.map((m: { message: string }) => m.message).join(""), /task ran in .*runs\/run-/);

  const bad = await task("echo about to fail; exit 3");
  await waitFor(async () => ["FINISHED", "FAILED"].includes((await state(bad)) ?? ""), { timeoutMs: 60_000, intervalMs: 100, what: "the failing task to end" });
  assert.is(await state(bad), "FAILED");
  assert.is(await note(bad), "the command exited with code 3");
  assert.equal(execFileSync("ls", [join(dir, "runs")]).toString().trim(), "", "each run's working directory is removed");

  await graphql("mutation ($id: ID!) { workerPoolCycle(id: $id) }", { id: pool.id });
  assert.is((await worker.exited).code, 0, "the cycled worker exits");
  assert.equal((await graphql("query ($id: ID!) { workerPool(id: $id) { workers { id } } }", { id: pool.id })).workerPool.workers, [], "and leaves the pool");

  g.process().kill("SIGTERM");
  assert.is((await g.process().exited).code, 0, "Gantry stops cleanly");
});

test("a worker that reaches no broker falls back to the HTTP long poll and runs tasks over it", async () => {
  if (!hasGit()) return console.log("SKIP: git is not installed");
  await g?.close();
  g = await startGantry();
  const repo = makeRepository(g.dir);
  const pool = (await g.graphql('mutation { workerPoolCreate(name: "no-broker") { id config } }')).workerPoolCreate;
  await g.graphql("mutation ($input: StackInput!) { stackCreate(input: $input, manageState: false) { id } }", { input: { name: "no-broker", repository: repo.url, branch: "main", workerPool: pool.id } });
  // Nothing listens where this worker looks for the broker.
  const worker = await g.worker(pool.config, { GANTRY_WORKER_BROKER_ENDPOINT: `mqtt://127.0.0.1:${await freePort()}` });
  assert.match(worker.output(), /using the HTTP long-poll transport/);
  const id = (await g.graphql('mutation { taskCreate(stack: "no-broker", command: "echo over http", skipInitialization: true) { id } }')).taskCreate.id as string;
  await waitFor(async () => ["FINISHED", "FAILED"].includes((await g!.state(id)) ?? ""), { timeoutMs: 60_000, intervalMs: 100, what: "the task over the long poll" });
  assert.is(await g.state(id), "FINISHED", (await g.note(id)) ?? "");
  worker.kill("SIGTERM");
  assert.is((await worker.exited).code, 0, "the worker leaves cleanly");
});

test("npm start runs a local worker in the default pool: a stack without a pool runs at once, and a restart keeps the pool's token", async () => {
  if (!hasGit()) return console.log("SKIP: git is not installed");
  await g?.close();
  g = await startGantry({ GANTRY_LOCAL_WORKER: "true" });
  assert.match(g.process().output(), /Local worker: +[0-9A-Z]{26} in the default pool/);
  const repo = makeRepository(g.dir);
  await g.graphql("mutation ($input: StackInput!) { stackCreate(input: $input, manageState: false) { id } }", { input: { name: "poolless", repository: repo.url, branch: "main" } });
  const run = async () => {
    const id = (await g!.graphql('mutation { taskCreate(stack: "poolless", command: "echo local", skipInitialization: true) { id } }')).taskCreate.id as string;
    await waitFor(async () => ["FINISHED", "FAILED"].includes((await g!.state(id)) ?? ""), { timeoutMs: 60_000, intervalMs: 100, what: "the task on the local worker" });
    return id;
  };
  const first = await run();
  assert.is(await g.state(first), "FINISHED", (await g.note(first)) ?? "");
  const [pool] = await g.db.sql`select id, generation from worker_pools where is_default`;
  const [ran] = await g.db.sql`select w.pool_id, w.metadata from run_transitions t join workers w on t.actor = 'worker::' || w.id where t.run_id = ${first} and t.state = 'PERFORMING'`;
  assert.equal([ran.pool_id, ran.metadata.local], [pool.id, "true"], "the default pool's local worker ran it");

  await g.restart("SIGTERM");
  const second = await run();
  assert.is(await g.state(second), "FINISHED", (await g.note(second)) ?? "");
  const [after] = await g.db.sql`select id, generation from worker_pools where is_default`;
  assert.equal([after.id, after.generation], [pool.id, pool.generation], "the same pool and secret: the token file was reused");
});

test.run();
