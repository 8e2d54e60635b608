// Terraform's http backend protocol over HTTP against a real server: auth (runs' credentials live
// only while a worker holds the run; API keys read with external state access), locks (423 with
// the holder's info, 409 for a wrong lock ID, one winner of a race, release when the run ends),
// versions (serial and lineage rules; corrupted, truncated and oversized writes refused with the
// current version intact), and the API around them (versions, rollback, import, force-unlock,
// audited).
import { test } from "uvu";
import * as assert from "uvu/assert";
import { createHash } from "node:crypto";
import { getStateLock } from "../../shared/state/lock.ts";
import { listOutputs } from "../../shared/runs/results.ts";
import { startStateHarness, stateDoc, type StateHarness } from "./testing.ts";

const MAX = 64 * 1024;
let h: StateHarness;
test.before(async () => {
  h = await startStateHarness({ STATE_MAX_BYTES: String(MAX) });
});
test.after(async () => {
  await h?.close();
});

const lockInfo = (id: string, who = "tester@host") => JSON.stringify({ ID: id, Operation: "OperationTypeApply", Info: "", Who: who, Version: "1.11.4", Created: new Date().toISOString(), Path: "" });
const versions = async (stackId: string) => (await h.db.sql<{ n: number }[]>`select count(*)::int as n from state_versions where stack_id = ${stackId}`)[0].n;
const objects = async (stackId: string) => (await h.server.store.list("states", `managed/${stackId}/`)).length;

test("credentials: none, wrong, another stack's; a run's work only while a worker holds it; RunSpec.stateBackend", async () => {
  await h.stack("auth");
  await h.stack("other");
  await h.stack("unmanaged", { manageState: false });
  const run = await h.take("auth");
  assert.equal(run.backend.address, `${h.server.url}/state/auth`);
  assert.equal([run.backend.lockAddress, run.backend.unlockAddress, run.backend.username], [run.backend.address, run.backend.address, run.id]);
  const none = await h.state("auth", "GET", null);
  assert.is(none.status, 401);
  assert.match(none.headers.get("www-authenticate") ?? "", /^Basic/);
  assert.is((await h.state("auth", "GET", { username: run.id, password: `${run.backend.password}x` })).status, 401);
  assert.is((await h.state("other", "GET", run.backend)).status, 401, "credentials are bound to their stack");
  assert.is((await h.state("auth", "GET", run.backend)).status, 204, "no state yet");
  assert.is((await h.take("unmanaged")).spec.stateBackend, null, "a stack that does not manage its state gets no backend");

  assert.is(await run.report("INITIALIZING"), 200);
  assert.is(await run.report("PLANNING"), 200);
  assert.is(await run.report("UNCONFIRMED"), 200);
  const handedBack = await h.state("auth", "GET", run.backend);
  assert.is(handedBack.status, 403, "a run handed back to a person is held by no worker");
  assert.match(await handedBack.text(), /no worker holds run/);
});

test("writes honour the lock: 423 with the holder's info, 409 for a wrong or missing lock ID; unlock", async () => {
  await h.stack("locks");
  const run = await h.take("locks");
  assert.is((await h.state("locks", "LOCK", run.backend, lockInfo("lock-1"))).status, 200);
  const busy = await h.state("locks", "LOCK", run.backend, lockInfo("lock-2", "other@host"));
  assert.is(busy.status, 423);
  const holder = await busy.json();
  assert.equal([holder.ID, holder.Who, holder.Operation], ["lock-1", "tester@host", "OperationTypeApply"]);

  const body = stateDoc(1);
  const md5 = createHash("md5").update(body).digest("base64");
  const noId = await h.state("locks", "POST", run.backend, body);
  assert.is(noId.status, 409);
  assert.match((await noId.json()).error.message, /carries no lock ID/);
  assert.is((await h.state("locks", "POST", run.backend, body, "?ID=lock-2")).status, 409);
  const ok = await h.state("locks", "POST", run.backend, body, "?ID=lock-1", { "content-md5": md5 });
  assert.is(ok.status, 200, await ok.clone().text());
  const got = await h.state("locks", "GET", run.backend);
  assert.is(got.status, 200);
  assert.is(got.headers.get("content-md5"), md5);
  assert.is(await got.text(), body);
  assert.equal(await listOutputs(h.db.sql, "locks"), [{ id: "n", sensitive: false, value: "1" }]);

  assert.is((await h.state("locks", "UNLOCK", run.backend, lockInfo("lock-2"))).status, 409, "unlocking needs the lock's ID");
  assert.is((await h.state("locks", "UNLOCK", run.backend, lockInfo("lock-1"))).status, 200);
  assert.is(await getStateLock(h.db.sql, "locks"), null);
  assert.is((await h.state("locks", "POST", run.backend, stateDoc(2), "?ID=lock-1")).status, 409, "a released lock's ID no longer writes");
  assert.is((await h.state("locks", "POST", run.backend, stateDoc(2))).status, 200, "unlocked, a write without a lock ID (-lock=false) is accepted");
});

test("two concurrent lock attempts: exactly one wins, every time", async () => {
  await h.stack("race");
  const tracked = await h.take("race");
  const proposed = await h.take("race", "PROPOSED");
  for (let round = 0; round < 20; round++) {
    const [a, b] = await Promise.all([
      h.state("race", "LOCK", tracked.backend, lockInfo(`t-${round}`)),
      h.state("race", "LOCK", proposed.backend, lockInfo(`p-${round}`)),
    ]);
    assert.equal([a.status, b.status].sort(), [200, 423], `round ${round}`);
    const winner = a.status === 200 ? { run: tracked, id: `t-${round}` } : { run: proposed, id: `p-${round}` };
    const loser = await (a.status === 423 ? a : b).json();
    assert.is(loser.ID, winner.id, "the loser is told who holds the lock");
    assert.is((await h.state("race", "UNLOCK", winner.run.backend, lockInfo(winner.id))).status, 200);
  }
  assert.is((await h.state("race", "POST", proposed.backend, stateDoc(1))).status, 403, "a proposed run does not write the state");
  assert.is((await h.state("race", "DELETE", proposed.backend)).status, 403);
});

test("serial and lineage: lower, foreign or conflicting writes are refused; the same bytes again are accepted once", async () => {
  await h.stack("serials");
  const run = await h.take("serials");
  assert.is((await h.state("serials", "POST", run.backend, stateDoc(5))).status, 200);
  const lower = await h.state("serials", "POST", run.backend, stateDoc(4));
  assert.is(lower.status, 409);
  assert.match((await lower.json()).error.message, /serial 4 is lower than the current serial 5/);
  assert.is((await h.state("serials", "POST", run.backend, stateDoc(6, "another-lineage"))).status, 409);
  assert.is((await h.state("serials", "POST", run.backend, stateDoc(5, undefined, { terraform_version: "1.12.0" }))).status, 409, "serial 5 with other content");
  const again = await h.state("serials", "POST", run.backend, stateDoc(5));
  assert.equal([again.status, (await again.json()).created], [200, false]);
  assert.is(await versions("serials"), 1);
  assert.is(await objects("serials"), 1, "a refused or repeated write leaves no object behind");
});

test("corrupted, truncated, oversized and damaged-in-transit writes are refused; the previous version stays current and intact", async () => {
  await h.stack("damage");
  const run = await h.take("damage");
  const good = stateDoc(1);
  assert.is((await h.state("damage", "POST", run.backend, good)).status, 200);
  const next = stateDoc(2);
  const cases: Array<[string, Uint8Array | string, number, RegExp, Record<string, string>?]> = [
    ["truncated", next.slice(0, Math.floor(next.length / 2)), 400, /not valid JSON \(truncated or corrupted\)/],
    ["corrupted bytes", new Uint8Array([0x7b, 0xff, 0xfe, 0x7d]), 400, /not UTF-8/],
    ["not a state", JSON.stringify({ hello: "world" }), 400, /format version must be 4/],
    ["no serial", JSON.stringify({ version: 4, lineage: "x" }), 400, /serial must be a non-negative integer/],
    ["empty", "", 400, /empty/],
    ["oversized", stateDoc(2, undefined, { padding: "x".repeat(MAX) }), 413, /larger than 65536 bytes/],
    ["damaged in transit", next, 400, /Content-MD5 does not match/, { "content-md5": createHash("md5").update(good).digest("base64") }],
  ];
  for (const [what, body, status, message, headers] of cases) {
    const res = await h.state("damage", "POST", run.backend, body, "", headers);
    assert.is(res.status, status, what);
    assert.match((await res.json()).error.message, message, what);
    const current = await h.state("damage", "GET", run.backend);
    assert.is(await current.text(), good, `${what}: the previous version is current and intact`);
  }
  assert.is(await versions("damage"), 1);
  assert.is(await objects("damage"), 1);
  assert.is((await h.state("damage", "POST", run.backend, next)).status, 200, "a whole state is accepted afterwards");
});

test("a lock held by a run that ends is released (and audited); its credentials die with it; DELETE", async () => {
  await h.stack("ends");
  const run = await h.take("ends", "TASK");
  assert.is((await h.state("ends", "POST", run.backend, stateDoc(1))).status, 200);
  assert.is((await h.state("ends", "LOCK", run.backend, lockInfo("crashed"))).status, 200);
  assert.ok(await getStateLock(h.db.sql, "ends"));
  assert.is(await run.report("PERFORMING"), 200);
  assert.is(await run.report("FAILED"), 200);
  assert.is(await getStateLock(h.db.sql, "ends"), null, "nobody has to find the lock");
  const [audit] = await h.db.sql`select actor, action, target_id from audit_entries where action = 'stack.state.release_lock_of_ended_run'`;
  assert.equal([audit.actor, audit.target_id], ["system", "ends"]);
  const dead = await h.state("ends", "GET", run.backend);
  assert.is(dead.status, 403);
  assert.match(await dead.text(), /has ended/);

  const next = await h.take("ends", "TASK");
  assert.is((await h.state("ends", "DELETE", next.backend)).status, 200);
  assert.is((await h.state("ends", "GET", next.backend)).status, 204);
  assert.equal(await listOutputs(h.db.sql, "ends"), []);
  assert.is(await versions("ends"), 1, "versions stay after DELETE, for a rollback");
});

test("API keys read with external state access only, never write", async () => {
  await h.stack("external");
  await h.stack("open", { vendorConfig: { terraform: { externalStateAccessEnabled: true } } });
  for (const stack of ["external", "open"]) {
    const run = await h.take(stack);
    assert.is((await h.state(stack, "POST", run.backend, stateDoc(1))).status, 200);
  }
  const reader = await h.session({ name: "reader", admin: false, accessRules: [{ space: "root", role: "read" }] });
  const auth = { username: reader.id, password: reader.secret };
  const off = await h.state("external", "GET", auth);
  assert.is(off.status, 403);
  assert.match(await off.text(), /external state access is off/);
  const on = await h.state("open", "GET", auth);
  assert.is(on.status, 200);
  assert.is(await on.text(), stateDoc(1));
  assert.is((await h.state("open", "POST", auth, stateDoc(2))).status, 403);
  assert.is((await h.state("open", "LOCK", auth, lockInfo("user"))).status, 403);
  assert.is((await h.state("open", "GET", { username: reader.id, password: "wrong" })).status, 401);
  const stranger = await h.session({ name: "stranger", admin: false, accessRules: [] });
  assert.is((await h.state("open", "GET", { username: stranger.id, password: stranger.secret })).status, 403);
});

test("the API: versions, lock, rollback, import (serial rules, force), stackCreate with a state, force-unlock; audited; admins only", async () => {
  await h.stack("api");
  const run = await h.take("api");
  for (const serial of [1, 2, 3]) assert.is((await h.state("api", "POST", run.backend, stateDoc(serial))).status, 200);
  assert.is((await h.state("api", "LOCK", run.backend, lockInfo("held"))).status, 200);
  const admin = await h.session({ name: "admin", admin: true });
  const writer = await h.session({ name: "writer", admin: false, accessRules: [{ space: "root", role: "write" }] });
  const read = await admin.gql(`{ stack(id: "api") { stateVersions { id serial kind current run { id } } currentStateVersion { serial } stateLock { id holder operation run { id } createdAt } } }`);
  assert.equal(read.errors, undefined);
  const listed = read.data.stack.stateVersions;
  assert.equal(listed.map((v: { serial: number; current: boolean; kind: string }) => [v.serial, v.current, v.kind]), [[3, true, "WRITE"], [2, false, "WRITE"], [1, false, "WRITE"]]);
  assert.is(listed[0].run.id, run.id);
  assert.equal({ ...read.data.stack.stateLock, createdAt: 0 }, { id: "held", holder: "tester@host", operation: "OperationTypeApply", run: { id: run.id }, createdAt: 0 });

  const rollback = `mutation ($v: ID!) { stackManagedStateRollback(id: "api", version: $v) { serial kind rolledBackFrom current checksum } }`;
  assert.match((await admin.gql(rollback, { v: listed[2].id })).errors?.[0]?.message ?? "", /locked/, "refused while a run holds the lock");
  assert.match((await writer.gql(`mutation { stackManagedStateForceUnlock(id: "api") { id } }`)).errors?.[0]?.message ?? "", /admin/);
  assert.equal((await admin.gql(`mutation { stackManagedStateForceUnlock(id: "api") { id stateLock { id } } }`)).data, { stackManagedStateForceUnlock: { id: "api", stateLock: null } });
  assert.match((await writer.gql(rollback, { v: listed[2].id })).errors?.[0]?.message ?? "", /admin/);
  const rolled = (await admin.gql(rollback, { v: listed[2].id })).data.stackManagedStateRollback;
  assert.equal([rolled.serial, rolled.kind, rolled.rolledBackFrom, rolled.current], [1, "ROLLBACK", listed[2].id, true]);
  assert.is(await (await h.state("api", "GET", run.backend)).text(), stateDoc(1), "the older bytes are current again");
  assert.is((await h.state("api", "POST", run.backend, stateDoc(2))).status, 200, "and runs go on from there");

  // Import: upload through a pre-signed URL, then make it current; a lower serial needs force.
  const upload = async (body: string) => {
    const { objectId, url } = (await admin.gql(`mutation { stateUploadUrl { objectId url } }`)).data.stateUploadUrl;
    assert.is((await fetch(url, { method: "PUT", body })).status < 300, true);
    return objectId as string;
  };
  const importing = `mutation ($o: String!, $f: Boolean) { stackManagedStateImport(id: "api", stackObjectID: $o, force: $f) { serial kind forced current } }`;
  const lowerId = await upload(stateDoc(1, "imported-lineage"));
  assert.match((await admin.gql(importing, { o: lowerId })).errors?.[0]?.message ?? "", /lineage imported-lineage differs/);
  assert.equal((await admin.gql(importing, { o: lowerId, f: true })).data.stackManagedStateImport, { serial: 1, kind: "IMPORT", forced: true, current: true });
  assert.match((await admin.gql(importing, { o: await upload("{not json") })).errors?.[0]?.message ?? "", /not valid JSON/);

  const createdId = await upload(stateDoc(7, "new-stack-lineage"));
  const created = await admin.gql(`mutation ($o: String!) { stackCreate(input: {name: "imported", repository: "infra", branch: "main", vendorConfig: {terraform: {}}}, manageState: true, stackObjectID: $o) { id currentStateVersion { serial kind } outputs { id value } } }`, { o: createdId });
  assert.equal(created.data.stackCreate, { id: "imported", currentStateVersion: { serial: 7, kind: "IMPORT" }, outputs: [{ id: "n", value: "7" }] });

  const { url } = (await admin.gql(`mutation { stateDownloadUrl(input: {stackId: "api", versionId: "${listed[1].id}"}) { url } }`)).data.stateDownloadUrl;
  assert.is(await (await fetch(url)).text(), stateDoc(2), "any version can be downloaded");
  const reader = await h.session({ name: "api-reader", admin: false, accessRules: [{ space: "root", role: "read" }] });
  assert.match((await reader.gql(`mutation { stateDownloadUrl(input: {stackId: "api"}) { url } }`)).errors?.[0]?.message ?? "", /write role/);

  const audit = await h.db.sql<{ action: string; outcome: string }[]>`select action, outcome from audit_entries where target_id = 'api' and action like 'stack.state.%' order by id`;
  assert.equal(audit.map((a) => `${a.action}:${a.outcome}`), [
    "stack.state.rollback:failure",
    "stack.state.force_unlock:failure",
    "stack.state.force_unlock:success",
    "stack.state.rollback:failure",
    "stack.state.rollback:success",
    "stack.state.import:failure",
    "stack.state.import:success",
    "stack.state.import:failure",
    "stack.state.download_url:success",
    "stack.state.download_url:failure",
  ]);
});

test.run();
