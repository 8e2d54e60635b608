// Runs against a real database: the queue behind the stack's lock, history records, roles, the
// user lock, and a confirm racing a discard.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { testDatabase, type TestDatabase } from "../db/testing.ts";
import { SYSTEM_ACTOR, type Actor, type Role } from "../auth/roles.ts";
import { createStack, lockStack } from "../stacks/operations.ts";
import { createSpace } from "../spaces/queries.ts";
import { advanceRun, createTask, promoteRun, retryRun, triggerRun, userAction } from "./operations.ts";
import { getRun, lockHolder, runHistory, schedulableRuns } from "./queries.ts";
import type { RunState } from "./run.ts";

async function rejects(fn: () => Promise<unknown>, pattern: RegExp): Promise<void> {
  try {
    await fn();
  } catch (error) {
    assert.match((error as Error).message, pattern);
    return;
  }
  assert.unreachable(`expected a rejection matching ${pattern}`);
}

let db: TestDatabase;
test.before(async () => {
  db = await testDatabase({ max: 12 });
});
test.after(async () => {
  await db.drop();
});

const actor = (id: string, roles: Record<string, Role>): Actor => ({ id, login: `api::${id}`, name: id, admin: false, roles });
const writer = actor("writer", { root: "write" });
const reader = actor("reader", { root: "read" });

let n = 0;
async function stack(settings: Record<string, unknown> = {}) {
  return createStack(db.sql, SYSTEM_ACTOR, { name: `stack ${++n}`, repository: "infra", branch: "main", ...settings });
}

async function drive(stackId: string, runId: string, states: RunState[]) {
  for (const state of states) await advanceRun(db.sql, stackId, runId, state);
}

test("a tracked run without a sha records the tracked branch and a null sha, and starts QUEUED", async () => {
  const s = await stack({ branch: "production" });
  const run = await triggerRun(db.sql, writer, s.id, {});
  assert.is(run.type, "TRACKED");
  assert.is(run.state, "QUEUED");
  assert.is(run.commitBranch, "production");
  assert.is(run.commitSha, null);
  assert.is(run.triggeredBy, "api::writer");
  assert.match(run.id, /^[0-9A-HJKMNP-TV-Z]{26}$/);
});

test("blocking runs queue behind the lock holder; proposed runs are not blocked; priority order", async () => {
  const s = await stack();
  const first = await triggerRun(db.sql, writer, s.id, { type: "TRACKED" });
  const task = await createTask(db.sql, writer, s.id, "tofu state list", false);
  const proposed = await triggerRun(db.sql, writer, s.id, { type: "PROPOSED" });
  const drift = await triggerRun(db.sql, writer, s.id, { type: "PROPOSED", driftDetection: true });
  assert.is(await lockHolder(db.sql, s.id), first.id);
  const queue = (await schedulableRuns(db.sql)).filter((r) => r.stackId === s.id).map((r) => r.id);
  assert.equal(queue, [first.id, proposed.id, drift.id], "the task waits; blocking first, then proposed, then drift");
  await rejects(() => advanceRun(db.sql, s.id, task.id, "READY"), /blocked by run/);
  await advanceRun(db.sql, s.id, proposed.id, "READY");
  await drive(s.id, first.id, ["READY", "PREPARING", "INITIALIZING", "PLANNING", "FINISHED"]);
  assert.is(await lockHolder(db.sql, s.id), task.id);
  await drive(s.id, task.id, ["READY", "PREPARING", "INITIALIZING", "PERFORMING", "FINISHED"]);
  assert.is(await lockHolder(db.sql, s.id), null);
});

test("every transition is recorded with state, stateVersion, actor and note; history newest first", async () => {
  const s = await stack();
  const run = await triggerRun(db.sql, writer, s.id, { note: "ship it" });
  await drive(s.id, run.id, ["READY", "PREPARING", "INITIALIZING", "PLANNING", "UNCONFIRMED", "REPLAN_REQUESTED", "PREPARING_REPLAN", "PLANNING", "UNCONFIRMED"]);
  await userAction(db.sql, writer, s.id, run.id, "confirm", "looks good");
  const history = await runHistory(db.sql, run.id);
  assert.equal(history.map((t) => t.state), ["CONFIRMED", "UNCONFIRMED", "PLANNING", "PREPARING_REPLAN", "REPLAN_REQUESTED", "UNCONFIRMED", "PLANNING", "INITIALIZING", "PREPARING", "READY", "QUEUED"]);
  assert.equal(history.map((t) => t.stateVersion), [1, 2, 2, 1, 1, 1, 1, 1, 1, 1, 1]);
  assert.is(history[0].actor, "api::writer");
  assert.is(history[0].note, "looks good");
  assert.is(history[history.length - 1].note, "ship it");
});

test("a confirm and a discard racing on one run: exactly one wins, the other gets a clear error", async () => {
  for (let round = 0; round < 10; round++) {
    const s = await stack();
    const run = await triggerRun(db.sql, writer, s.id, {});
    await drive(s.id, run.id, ["READY", "PREPARING", "INITIALIZING", "PLANNING", "UNCONFIRMED"]);
    const results = await Promise.allSettled([
      userAction(db.sql, writer, s.id, run.id, "confirm"),
      userAction(db.sql, writer, s.id, run.id, "discard"),
    ]);
    const won = results.filter((r) => r.status === "fulfilled");
    const lost = results.filter((r): r is PromiseRejectedResult => r.status === "rejected");
    assert.is(won.length, 1, `round ${round}: one winner`);
    assert.is(lost.length, 1);
    assert.match(lost[0].reason.message, /^cannot (confirm|discard) run .*: it is (CONFIRMED|DISCARDED)/);
    const final = (await getRun(db.sql, s.id, run.id))!.state;
    assert.ok(final === "CONFIRMED" || final === "DISCARDED");
    assert.is((await runHistory(db.sql, run.id)).length, 7, "one transition recorded, not two");
  }
});

test("roles: readers cannot trigger or confirm; they may cancel proposed runs but not tracked ones", async () => {
  const s = await stack();
  await rejects(() => triggerRun(db.sql, reader, s.id, {}), /unauthorized: .*needs the write role/);
  const tracked = await triggerRun(db.sql, writer, s.id, {});
  const proposed = await triggerRun(db.sql, writer, s.id, { type: "PROPOSED" });
  await rejects(() => userAction(db.sql, reader, s.id, tracked.id, "cancel"), /unauthorized/);
  assert.is((await userAction(db.sql, reader, s.id, proposed.id, "cancel")).state, "CANCELED");
  await rejects(() => triggerRun(db.sql, writer, s.id, { runtimeConfig: "runner_image: x" }), /needs the admin role/);
  const outsider = actor("outsider", {});
  await rejects(() => userAction(db.sql, outsider, s.id, tracked.id, "discard"), /unauthorized/);
});

test("roles are inherited by subspaces, not by parents", async () => {
  const team = await createSpace(db.sql, SYSTEM_ACTOR, { name: "team a", parentSpace: "root" });
  const sub = await createSpace(db.sql, SYSTEM_ACTOR, { name: "team a prod", parentSpace: team.id });
  const member = actor("member", { [team.id]: "write" });
  const inSub = await stack({ space: sub.id });
  const inRoot = await stack();
  assert.is((await triggerRun(db.sql, member, inSub.id, {})).state, "QUEUED");
  await rejects(() => triggerRun(db.sql, member, inRoot.id, {}), /unauthorized/);
});

test("a user-locked stack accepts runs from the lock's owner only; disabled stacks none", async () => {
  const s = await stack();
  const other = actor("other", { root: "write" });
  await lockStack(db.sql, writer, s.id, "maintenance");
  assert.is((await triggerRun(db.sql, writer, s.id, {})).state, "QUEUED");
  await rejects(() => createTask(db.sql, other, s.id, "ls", false), /locked by api::writer/);
});

test("retry makes a new run at the same commit; promotion turns a finished proposed run into a tracked one", async () => {
  const s = await stack();
  const proposed = await triggerRun(db.sql, writer, s.id, { type: "PROPOSED", commitSha: "abc123" });
  await rejects(() => retryRun(db.sql, writer, s.id, proposed.id), /cannot retry/);
  await drive(s.id, proposed.id, ["READY", "PREPARING", "INITIALIZING", "PLANNING", "FINISHED"]);
  const retried = await retryRun(db.sql, reader, s.id, proposed.id);
  assert.is(retried.retryOf, proposed.id);
  assert.is(retried.commitSha, "abc123");
  const promoted = await promoteRun(db.sql, writer, s.id, proposed.id);
  assert.is(promoted.type, "TRACKED");
  assert.is(promoted.promotedFrom, proposed.id);
  assert.is(promoted.commitSha, "abc123");
});

test("unknown runs and stacks are not found", async () => {
  const s = await stack();
  await rejects(() => userAction(db.sql, writer, s.id, "01HZZZZZZZZZZZZZZZZZZZZZZZ", "cancel"), /not found/);
  await rejects(() => triggerRun(db.sql, writer, "no-such-stack", {}), /stack no-such-stack not found/);
  await rejects(() => userAction(db.sql, writer, s.id, null, "confirm"), /run blocking stack .* not found/);
});

test.run();
