// Phase 2: trigger → FINISHED of a trivial TASK (`true`) executed by a real worker process
// (worker/main.ts, registered with a pool token), one run at a time through GraphQL `taskCreate`
// with an admin key's JWT. The end is the FINISHED transition's timestamp (the worker's report
// reaching the server), on this process's clock; the state is polled only to know when to read it.
//
// Baseline, interleaved: what the worker cannot avoid doing for such a run, done here with the
// worker's own code: `git clone` of the stack's repository (worker/git.ts cloneCommit, the same
// command and options), `sh -c true` in it, and removing the directory.
import { execFile, execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync, chmodSync } from "node:fs";
import { join } from "node:path";
import { tmpdir } from "node:os";
import { promisify } from "node:util";
import { SYSTEM_ACTOR } from "../../shared/auth/roles.ts";
import { createStack } from "../../shared/stacks/operations.ts";
import { createWorkerPool } from "../../shared/workers/operations.ts";
import { cloneCommit } from "../../worker/git.ts";
import { startChild, tail } from "./children.ts";
import { clockOffset, percentiles, sleep, toPerformanceClock, waitUntil, type Gantry, type Percentiles, type Scope } from "./support.ts";

export type TaskRunResult = Readonly<{
  triggerToFinished: Percentiles;
  baseline: Percentiles;
  /** Medians of the steps, from the run's transitions: trigger → READY → PREPARING (accepted) → FINISHED. */
  steps: Readonly<{ toReady: number; toAccepted: number; toFinished: number }>;
}>;

const WARMUP = 2;

export async function measureTaskRuns(scope: Scope, gantry: Gantry, options: { runs: number; progress: (line: string) => void }): Promise<TaskRunResult> {
  const { sql } = gantry.db;
  const dir = mkdtempSync(join(tmpdir(), "gantry-bench-task-"));
  chmodSync(dir, 0o755);
  scope.add(async () => rmSync(dir, { recursive: true, force: true }));
  const repo = makeRepository(dir);

  const { pool, token } = await createWorkerPool(sql, SYSTEM_ACTOR, { name: "task-runs" }, { serverUrl: gantry.url, brokerEndpoint: gantry.brokerEndpoint });
  const stack = await createStack(sql, SYSTEM_ACTOR, { name: "task-runs", repository: repo, branch: "main", workerPool: pool.id });
  const worker = startChild("worker", "worker/main.ts", { GANTRY_WORKER_POOL_TOKEN: token, GANTRY_WORKER_WORK_DIR: join(dir, "runs"), LOG_LEVEL: "warn" }, (stop) => scope.add(stop));
  await waitUntil(async () => {
    if (!worker.running()) throw new Error(`the worker exited:\n${tail(worker.output())}`);
    return (await sql`select 1 from workers where pool_id = ${pool.id} and last_seen_at is not null`).length === 1;
  }, 60_000, "the worker to register and be seen");
  options.progress("a worker process registered and seen");

  const admin = JSON.parse(readFileSync(join(gantry.dataDir, "admin-api-key.json"), "utf8")) as { id: string; secret: string };
  const jwt = (await graphql(gantry.url, "mutation ($id: ID!, $secret: String!) { apiKeyUser(id: $id, secret: $secret) { jwt } }", { id: admin.id, secret: admin.secret })).apiKeyUser.jwt as string;

  const clock = await clockOffset(sql);
  const total: number[] = [];
  const baseline: number[] = [];
  const toReady: number[] = [];
  const toAccepted: number[] = [];
  const toFinished: number[] = [];
  for (let i = -WARMUP; i < options.runs; i++) {
    const triggered = performance.now();
    const id = (await graphql(gantry.url, "mutation ($stack: ID!, $command: String!) { taskCreate(stack: $stack, command: $command) { id } }", { stack: stack.id, command: "true" }, jwt)).taskCreate.id as string;
    let state = "";
    await waitUntil(async () => {
      if (!worker.running()) throw new Error(`the worker exited:\n${tail(worker.output())}`);
      state = (await sql<{ state: string }[]>`select state from runs where id = ${id}`)[0].state;
      return ["FINISHED", "FAILED", "CANCELED", "STOPPED", "DISCARDED", "SKIPPED"].includes(state);
    }, 60_000, `task run ${id} to end`, 5);
    const transitions = await sql<{ state: string; t: number }[]>`
      select state, (extract(epoch from created_at) * 1000)::float8 as t from run_transitions where run_id = ${id} order by seq`;
    if (state !== "FINISHED") throw new Error(`task run ${id} ended ${state}: ${JSON.stringify(transitions.map((t) => t.state))}\n${tail(worker.output())}`);
    const at = (s: string) => toPerformanceClock(transitions.find((t) => t.state === s)!.t, clock.offsetMs);
    if (i >= 0) {
      total.push(at("FINISHED") - triggered);
      toReady.push(at("READY") - triggered);
      toAccepted.push(at("PREPARING") - at("READY"));
      toFinished.push(at("FINISHED") - at("PREPARING"));
    }

    const started = performance.now();
    await cloneAndRun(repo, join(dir, "baseline"));
    if (i >= 0) baseline.push(performance.now() - started);
    await sleep(20);
  }
  await worker.stop();
  return {
    triggerToFinished: percentiles(total),
    baseline: percentiles(baseline),
    steps: { toReady: percentiles(toReady).p50, toAccepted: percentiles(toAccepted).p50, toFinished: percentiles(toFinished).p50 },
  };
}

const run = promisify(execFile);

async function cloneAndRun(url: string, workDir: string): Promise<void> {
  const root = mkdtempSync(`${workDir}-`);
  try {
    const source = join(root, "source");
    const env = { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: process.env.HOME ?? root };
    await cloneCommit({ url, branch: "main", sha: null, dir: source, signal: new AbortController().signal, env, scratch: root });
    await run("sh", ["-c", "true"], { cwd: source });
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

/** A bare repository with one commit on main; returns its file:// URL. */
function makeRepository(dir: string): string {
  const work = join(dir, "work");
  const env = { ...process.env, GIT_AUTHOR_NAME: "b", GIT_AUTHOR_EMAIL: "b@example.com", GIT_COMMITTER_NAME: "b", GIT_COMMITTER_EMAIL: "b@example.com", GIT_CONFIG_NOSYSTEM: "1" };
  const git = (args: string[], cwd = dir) => execFileSync("git", args, { cwd, env, stdio: ["ignore", "pipe", "pipe"] }).toString().trim();
  git(["init", "--quiet", "-b", "main", work]);
  writeFileSync(join(work, "main.tf"), "# nothing\n");
  git(["add", "main.tf"], work);
  git(["commit", "--quiet", "-m", "first"], work);
  git(["clone", "--quiet", "--bare", work, join(dir, "repo.git")]);
  return `file://${join(dir, "repo.git")}`;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
async function graphql(url: string, query: string, variables: Record<string, unknown>, token?: string): Promise<Record<string, any>> {
  const res = await fetch(`${url}/graphql`, {
    method: "POST",
    headers: { "content-type": "application/json", ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await res.json()) as { data?: Record<string, unknown>; errors?: { message: string }[] };
  if (body.errors?.length || !body.data) throw new Error(`GraphQL: ${body.errors?.map((e) => e.message).join("; ") ?? res.status}`);
  return body.data;
}
