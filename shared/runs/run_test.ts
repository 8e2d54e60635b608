// The state machine, table-driven: every allowed transition per run type, and every refused one
// with its error.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { GantryError } from "../errors.ts";
import { advance, applyUserAction, canRetry, checkPromote, nextStates, priorityClass, RUN_STATES, RUN_TYPES, STATES_BY_TYPE, USER_ACTION_RULES, USER_ACTIONS, type RunState, type RunType } from "./run.ts";

const run = (type: RunType, state: RunState, blockedBy: string | null = null) => ({ id: "01RUN", type, state, blockedBy });

// Each run type's allowed edges, written out (the reference's transition list, per type).
const ALLOWED: Record<RunType, Array<[RunState, RunState[]]>> = {
  TRACKED: [
    ["QUEUED", ["READY", "CANCELED", "DISCARDED", "FAILED", "SKIPPED"]],
    ["READY", ["PREPARING", "CANCELED", "DISCARDED"]],
    ["PREPARING", ["INITIALIZING", "FAILED"]],
    ["INITIALIZING", ["PLANNING", "FAILED", "STOPPED"]],
    ["PLANNING", ["FINISHED", "UNCONFIRMED", "APPLYING", "FAILED", "STOPPED"]],
    ["UNCONFIRMED", ["CONFIRMED", "DISCARDED", "REPLAN_REQUESTED"]],
    ["REPLAN_REQUESTED", ["PREPARING_REPLAN"]],
    ["PREPARING_REPLAN", ["PLANNING", "FAILED"]],
    ["CONFIRMED", ["PREPARING_APPLY", "FAILED"]],
    ["PREPARING_APPLY", ["APPLYING", "FAILED"]],
    ["APPLYING", ["FINISHED", "FAILED"]],
  ],
  PROPOSED: [
    ["QUEUED", ["READY", "CANCELED", "DISCARDED", "FAILED", "SKIPPED"]],
    ["READY", ["PREPARING", "CANCELED", "DISCARDED"]],
    ["PREPARING", ["INITIALIZING", "FAILED"]],
    ["INITIALIZING", ["PLANNING", "FAILED", "STOPPED"]],
    ["PLANNING", ["FINISHED", "PENDING_REVIEW", "FAILED", "STOPPED"]],
    ["PENDING_REVIEW", ["FINISHED", "FAILED"]],
  ],
  TASK: [
    ["QUEUED", ["READY", "CANCELED", "DISCARDED", "FAILED", "SKIPPED"]],
    ["READY", ["PREPARING", "CANCELED", "DISCARDED"]],
    ["PREPARING", ["INITIALIZING", "PERFORMING", "FAILED"]],
    ["INITIALIZING", ["PERFORMING", "FAILED", "STOPPED"]],
    ["PERFORMING", ["FINISHED", "FAILED"]],
  ],
  DESTROY: [
    ["QUEUED", ["READY", "CANCELED", "DISCARDED", "FAILED", "SKIPPED"]],
    ["READY", ["PREPARING", "CANCELED", "DISCARDED"]],
    ["PREPARING", ["INITIALIZING", "FAILED"]],
    ["INITIALIZING", ["DESTROYING", "FAILED", "STOPPED"]],
    ["DESTROYING", ["FINISHED", "FAILED"]],
  ],
};

for (const type of RUN_TYPES) {
  test(`${type}: every allowed transition is accepted, every other refused with its reason`, () => {
    const allowed = new Map(ALLOWED[type]);
    let accepted = 0;
    let refused = 0;
    for (const from of RUN_STATES) {
      for (const to of RUN_STATES) {
        const ok = allowed.get(from)?.includes(to) ?? false;
        if (ok) {
          assert.is(advance(run(type, from), to), to, `${type} ${from} → ${to}`);
          accepted++;
          continue;
        }
        try {
          advance(run(type, from), to);
          assert.unreachable(`${type} ${from} → ${to} should be refused`);
        } catch (error) {
          assert.instance(error, GantryError);
          assert.is((error as GantryError).code, "Conflict");
          const final = ["FINISHED", "FAILED", "STOPPED", "CANCELED", "DISCARDED", "SKIPPED"].includes(from);
          assert.match((error as Error).message, final ? `is ${from}, which is final` : `cannot go from ${from} to ${to}`);
          refused++;
        }
      }
    }
    assert.is(accepted + refused, RUN_STATES.length ** 2);
    assert.is(accepted, [...allowed.values()].reduce((n, v) => n + v.length, 0));
  });
}

test("the table above is exactly the graph nextStates() knows", () => {
  for (const type of RUN_TYPES) {
    for (const from of STATES_BY_TYPE[type]) {
      const expected = new Map(ALLOWED[type]).get(from) ?? [];
      assert.equal([...nextStates(type, from)].sort(), [...expected].sort(), `${type} ${from}`);
    }
  }
});

test("a blocking run leaves QUEUED only while it holds the stack's lock", () => {
  assert.throws(() => advance(run("TRACKED", "QUEUED", "01HOLDER"), "READY"), /blocked by run 01HOLDER/);
  assert.is(advance(run("TRACKED", "QUEUED", null), "READY"), "READY");
  assert.is(advance(run("TRACKED", "QUEUED", "01HOLDER"), "CANCELED"), "CANCELED");
});

// User actions: for every type and state, the action either leads where its rule says or is refused.
for (const action of USER_ACTIONS) {
  test(`user action ${action}: allowed exactly from its states`, () => {
    const rule = USER_ACTION_RULES[action];
    for (const type of RUN_TYPES) {
      for (const state of STATES_BY_TYPE[type]) {
        const allowed = (rule.from[type] ?? []).includes(state);
        if (allowed) {
          assert.is(applyUserAction(run(type, state), action), rule.to);
          assert.ok(nextStates(type, state).includes(rule.to), `${action} from ${type} ${state} is an edge of the graph`);
        } else {
          try {
            applyUserAction(run(type, state), action);
            assert.unreachable(`${action} ${type} ${state}`);
          } catch (error) {
            assert.is((error as GantryError).code, "Conflict");
            assert.match((error as Error).message, `cannot ${action} run 01RUN: it is ${state}`);
          }
        }
      }
    }
  });
}

test("confirm takes UNCONFIRMED tracked runs only; tasks cannot be stopped while performing", () => {
  assert.is(applyUserAction(run("TRACKED", "UNCONFIRMED"), "confirm"), "CONFIRMED");
  assert.throws(() => applyUserAction(run("PROPOSED", "PLANNING"), "confirm"), /only UNCONFIRMED/);
  assert.throws(() => applyUserAction(run("TASK", "PERFORMING"), "stop"), /cannot be stopped while performing/);
});

test("retry and promotion rules", () => {
  assert.ok(canRetry({ type: "PROPOSED", state: "FINISHED" }));
  assert.ok(canRetry({ type: "TRACKED", state: "FAILED" }));
  assert.not.ok(canRetry({ type: "TRACKED", state: "FINISHED" }));
  assert.not.ok(canRetry({ type: "TRACKED", state: "PLANNING" }));
  assert.not.ok(canRetry({ type: "TASK", state: "FAILED" }));
  checkPromote(run("PROPOSED", "FINISHED"), { allowRunPromotion: true });
  assert.throws(() => checkPromote(run("PROPOSED", "FINISHED"), { allowRunPromotion: false }), /not allowed/);
  assert.throws(() => checkPromote(run("TRACKED", "FINISHED"), { allowRunPromotion: true }), /only FINISHED proposed/);
});

test("priority: blocking runs, then proposed, then drift detection", () => {
  assert.is(priorityClass({ type: "TASK", driftDetection: false }), 0);
  assert.is(priorityClass({ type: "DESTROY", driftDetection: false }), 0);
  assert.is(priorityClass({ type: "PROPOSED", driftDetection: false }), 1);
  assert.is(priorityClass({ type: "PROPOSED", driftDetection: true }), 2);
});

test.run();
