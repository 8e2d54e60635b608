import { test } from "uvu";
import * as assert from "uvu/assert";
import { decodePoolToken, encodePoolToken } from "./pool_token.ts";
import { checkMetadata, workerStatus } from "./worker.ts";
import { issueRunToken, issueWorkerToken, verifyRunToken, verifyWorkerToken } from "./tokens.ts";
import { parseServerMessage, parseWorkerMessage } from "./protocol.ts";

test("pool token: base64 JSON with the server URL, broker endpoint, pool id and secret; anything else is refused without echoing it", () => {
  const text = encodePoolToken({ serverUrl: "https://gantry.example.com", broker: { endpoint: "mqtts://mqtt.example.com:1984" }, poolId: "01POOL", secret: "s".repeat(43) });
  const json = JSON.parse(Buffer.from(text, "base64").toString());
  assert.equal(json, { version: 1, serverUrl: "https://gantry.example.com", broker: { endpoint: "mqtts://mqtt.example.com:1984" }, poolId: "01POOL", secret: "s".repeat(43) });
  assert.equal(decodePoolToken(`${text}\n`), json);
  for (const bad of ["not base64 json", Buffer.from(JSON.stringify({ ...json, version: 2 })).toString("base64"), Buffer.from(JSON.stringify({ ...json, secret: "short" })).toString("base64")]) {
    assert.throws(() => decodePoolToken(bad), (e: Error) => !e.message.includes("s".repeat(20)) && /worker pool token/.test(e.message));
  }
});

test("worker status: BUSY with a run, else DRAINED when drained, else IDLE", () => {
  assert.is(workerStatus({ runId: null, drained: false }), "IDLE");
  assert.is(workerStatus({ runId: null, drained: true }), "DRAINED");
  assert.is(workerStatus({ runId: "R", drained: true }), "BUSY");
});

test("metadata: an object of strings within limits", () => {
  assert.equal(checkMetadata(undefined), {});
  assert.equal(checkMetadata({ instance_id: "i-1", "k8s.namespace": "ns" }), { instance_id: "i-1", "k8s.namespace": "ns" });
  assert.throws(() => checkMetadata(["a"]), /object/);
  assert.throws(() => checkMetadata({ a: 1 }), /strings/);
  assert.throws(() => checkMetadata({ "bad key": "x" }), /keys/);
  assert.throws(() => checkMetadata(Object.fromEntries(Array.from({ length: 51 }, (_, i) => [`k${i}`, "v"]))), /50 entries/);
});

test("worker and run tokens: signed, scoped, not interchangeable", () => {
  const workerKey = Buffer.from("w".repeat(32));
  const runKey = Buffer.from("r".repeat(32));
  const wt = issueWorkerToken(workerKey, "W1", "P1");
  assert.equal(verifyWorkerToken(workerKey, wt), { workerId: "W1", poolId: "P1" });
  assert.is(verifyWorkerToken(runKey, wt), null, "another key");
  const rt = issueRunToken(runKey, "R1", "01W1W1W1W1W1W1W1W1W1W1W1W1", 2, 3600);
  assert.equal(verifyRunToken(runKey, rt, "R1"), { workerId: "01W1W1W1W1W1W1W1W1W1W1W1W1", handover: 2 });
  assert.is(verifyRunToken(runKey, rt, "R2"), null, "scoped to its run");
  assert.is(verifyRunToken(runKey, wt, "R1"), null, "a worker token is not a run token");
  assert.is(verifyWorkerToken(workerKey, rt), null, "a run token is not a worker token");
  const [h, , s] = rt.split(".");
  const forged = `${h}.${Buffer.from(JSON.stringify({ iss: "gantry", sub: "R1", aud: ["run-worker:01W2W2W2W2W2W2W2W2W2W2W2W2:2"], iat: 0, exp: 2e9 })).toString("base64url")}.${s}`;
  assert.is(verifyRunToken(runKey, forged, "R1"), null, "the audience is signed");
});

test("messages: well-formed ones parse, the rest are null", () => {
  assert.equal(parseServerMessage('{"type":"assign","runId":"R1","stackId":"s","acceptBy":"2026-01-01T00:00:00Z"}'), { type: "assign", runId: "R1", stackId: "s", acceptBy: "2026-01-01T00:00:00Z" });
  assert.equal(parseServerMessage('{"type":"exit","reason":"cycle"}'), { type: "exit", reason: "cycle" });
  assert.is(parseServerMessage('{"type":"assign","runId":"../x"}'), null);
  assert.is(parseServerMessage("nope"), null);
  assert.equal(parseWorkerMessage('{"type":"heartbeat","runId":null}'), { type: "heartbeat", runId: null });
  assert.equal(parseWorkerMessage('{"type":"heartbeat"}'), { type: "heartbeat", runId: null });
  assert.is(parseWorkerMessage('{"type":"other"}'), null);
  assert.is(parseWorkerMessage(`{"type":"heartbeat","pad":"${"x".repeat(20_000)}"}`), null, "size-limited");
});

test.run();
