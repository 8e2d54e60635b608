// The heartbeat throttle: a worker's repeated heartbeats reach the database at most every
// HEARTBEAT_MIN_INTERVAL_MS; a heartbeat naming another run, another worker's, and other messages
// always pass.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { HEARTBEAT_MIN_INTERVAL_MS, HeartbeatThrottle } from "./worker_messages.ts";

test("a flood of identical heartbeats is cut to one per interval; a change of run passes at once", () => {
  let now = 1_000;
  const throttle = new HeartbeatThrottle(() => now);
  const beat = (runId: string | null) => ({ type: "heartbeat", runId });
  const admitted = Array.from({ length: 1000 }, () => throttle.admit("w1", beat(null))).filter(Boolean).length;
  assert.is(admitted, 1, "1000 heartbeats within a moment: one reaches the database");
  assert.ok(throttle.admit("w2", beat(null)), "another worker's is its own");
  assert.ok(throttle.admit("w1", beat("R1")), "a heartbeat for a newly taken run passes");
  assert.not.ok(throttle.admit("w1", beat("R1")));
  now += HEARTBEAT_MIN_INTERVAL_MS;
  assert.ok(throttle.admit("w1", beat("R1")), "the next interval's passes");
  assert.ok(throttle.admit("w1", { type: "something-else" }), "not a heartbeat: not throttled here");
});

test.run();
