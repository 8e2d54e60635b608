// Faults with real processes: a worker kill -9'ed while PLANNING or APPLYING, a broker restart and
// a server restart in the middle of a run. Gantry (main.ts) and workers (worker/main.ts) run as
// processes on a test database, with a Git repository the test makes.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { spawn, type ChildProcess } from "node:child_process";
import { join } from "node:path";
import { reachable } from "../shared/testing/mqtt.ts";
import { waitFor } from "../shared/testing/wait.ts";
import { freePort } from "../shared/db/embedded.ts";
import { startGantry, type Gantry } from "../shared/testing/gantry.ts";
import { hasCommand, makeRepository } from "./testing.ts";

const TERRAFORM_CONFIG = `
resource "terraform_data" "thing" {
  input = "v1"
}
output "thing" {
  value = terraform_data.thing.output
}
`;

let gantry: Gantry | null = null;
const extra: ChildProcess[] = [];
test.after(async () => {
  for (const p of extra) p.kill("SIGKILL");
  await gantry?.close();
});

const createStack = (g: Gantry, input: Record<string, unknown>) =>
  g.graphql("mutation ($input: StackInput!) { stackCreate(input: $input, manageState: false) { id } }", { input: { branch: "main", ...input } });
const trigger = async (g: Gantry, stack: string) => (await g.graphql("mutation ($s: ID!) { runTrigger(stack: $s) { id } }", { s: stack })).runTrigger.id as string;
const task = async (g: Gantry, stack: string, command: string) =>
  (await g.graphql("mutation ($s: ID!, $c: String!) { taskCreate(stack: $s, command: $c, skipInitialization: true) { id } }", { s: stack, c: command })).taskCreate.id as string;

test("a worker kill -9'ed while PLANNING: the run FAILS with 'worker lost' within twice the heartbeat timeout, and the stack is free again", async () => {
  if (!hasCommand("terraform")) return console.log("SKIP: terraform is not on PATH");
  gantry = await startGantry({ WORKER_TIMEOUT_SECONDS: "6" });
  const g = gantry;
  const repo = join(g.dir, "repo");
  makeRepository(repo, [{ "main.tf": TERRAFORM_CONFIG }]);
  const pool = await g.pool("faults");
  await createStack(g, { name: "planning", repository: `file://${repo}`, workerPool: pool.id, vendorConfig: { terraform: { version: null } }, beforePlan: ["sleep 120"] });
  await createStack(g, { name: "applying", repository: `file://${repo}`, workerPool: pool.id, vendorConfig: { terraform: { version: null } }, autodeploy: true, beforeApply: ["sleep 120"] });

  const worker = await g.worker(pool.config);
  const planning = await trigger(g, "planning");
  await g.waitForState(planning, ["PLANNING"]);
  worker.kill("SIGKILL");
  const killedAt = Date.now();
  await g.waitForState(planning, ["FAILED"], 30_000);
  const took = Date.now() - killedAt;
  assert.ok(took <= 2 * 6_000, `failed ${took} ms after the kill; the bound is twice WORKER_TIMEOUT_SECONDS (12 s)`);
  assert.match((await g.note(planning)) ?? "", /^worker lost/);

  // The stack is free: its next run goes through on a new worker.
  const second = await g.worker(pool.config);
  const next = await task(g, "planning", "echo free");
  assert.is(await g.waitForState(next, ["FINISHED", "FAILED"]), "FINISHED", (await g.note(next)) ?? "");

  // While APPLYING: FAILED, the stack needs attention, and nothing is retried by itself.
  const applying = await trigger(g, "applying");
  await g.waitForState(applying, ["APPLYING"]);
  second.kill("SIGKILL");
  await g.waitForState(applying, ["FAILED"], 30_000);
  assert.match((await g.note(applying)) ?? "", /^worker lost/);
  const stack = (await g.graphql(`query { stack(id: "applying") { needsAttention runs { id } } }`)).stack;
  assert.match(stack.needsAttention ?? "", /failed while APPLYING/);
  assert.equal(stack.runs.map((r: { id: string }) => r.id), [applying], "no run was started again");
  await g.close();
  gantry = null;
});

/** A Mosquitto of the test's own, on a free port, that the test can kill and start again. */
async function startMosquitto(port: number): Promise<ChildProcess> {
  const child = spawn("mosquitto", ["-p", String(port)], { stdio: "ignore" });
  extra.push(child);
  await waitFor(() => reachable("127.0.0.1", port), { what: "mosquitto to listen", timeoutMs: 10_000 });
  return child;
}

test("a broker restart: workers reconnect and carry on", async () => {
  if (!hasCommand("mosquitto")) return console.log("SKIP: mosquitto is not installed (the test restarts a broker of its own)");
  const port = await freePort();
  let broker = await startMosquitto(port);
  gantry = await startGantry({ MQTT_BROKER_TYPE: "external", MQTT_BROKER_ENDPOINT: `mqtt://127.0.0.1:${port}` });
  const g = gantry;
  const repo = join(g.dir, "repo");
  makeRepository(repo, [{ "hello.txt": "hello\n" }]);
  const pool = await g.pool("broker");
  await createStack(g, { name: "broker", repository: `file://${repo}`, workerPool: pool.id });
  await g.worker(pool.config);

  const during = await task(g, "broker", "sleep 4; echo survived");
  await g.waitForState(during, ["PERFORMING"]);
  broker.kill("SIGKILL");
  await new Promise((r) => setTimeout(r, 1500));
  broker = await startMosquitto(port);
  assert.is(await g.waitForState(during, ["FINISHED", "FAILED"]), "FINISHED", (await g.note(during)) ?? "");
  // The next assignment travels over the restarted broker to the reconnected worker.
  const after = await task(g, "broker", "echo after the restart");
  assert.is(await g.waitForState(after, ["FINISHED", "FAILED"], 60_000), "FINISHED", (await g.note(after)) ?? "");
  await g.close();
  gantry = null;
});

test("a server restart: a run in progress finishes, and its reports arrive", async () => {
  gantry = await startGantry();
  const g = gantry;
  const repo = join(g.dir, "repo");
  makeRepository(repo, [{ "hello.txt": "hello\n" }]);
  const pool = await g.pool("restart");
  await createStack(g, { name: "restart", repository: `file://${repo}`, workerPool: pool.id });
  const worker = await g.worker(pool.config);
  const run = await task(g, "restart", "sleep 6; echo finished across the restart");
  await g.waitForState(run, ["PERFORMING"]);
  await g.restart("SIGKILL");
  assert.is(await g.waitForState(run, ["FINISHED", "FAILED"], 90_000), "FINISHED", `${await g.note(run)}\n${worker.output().slice(-3000)}`);
  const next = await task(g, "restart", "echo the worker is still ours");
  assert.is(await g.waitForState(next, ["FINISHED", "FAILED"], 60_000), "FINISHED", (await g.note(next)) ?? "");
  await g.close();
  gantry = null;
});

test.run();
