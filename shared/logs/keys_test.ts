// Pure parts of run logs: the key layout, paging tokens, the chunk format and its splitting.
import { Buffer } from "node:buffer";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { chunkKey, decodeLogToken, encodeLogToken, MAX_SEQ, seqOfKey, streamPrefix } from "./keys.ts";
import { byteLength, chunkLines, decodeChunk, encodeChunk, splitByBytes } from "./chunk.ts";

const stream = { stackId: "my-stack", runId: "01HZZZZZZZZZZZZZZZZZZZZZZZ", state: "PLANNING" as const, stateVersion: 2 };

test("keys: <stack>/<run>/<STATE>/<version>/<8-digit seq>, sorted in seq order", () => {
  assert.is(streamPrefix(stream), "my-stack/01HZZZZZZZZZZZZZZZZZZZZZZZ/PLANNING/2/");
  assert.is(chunkKey(stream, 7), "my-stack/01HZZZZZZZZZZZZZZZZZZZZZZZ/PLANNING/2/00000007");
  assert.ok(chunkKey(stream, 10) > chunkKey(stream, 9));
  assert.is(seqOfKey(stream, chunkKey(stream, 12345)), 12345);
  assert.is(seqOfKey(stream, "my-stack/01HZZZZZZZZZZZZZZZZZZZZZZZ/PLANNING/3/00000001"), null);
  assert.throws(() => chunkKey(stream, MAX_SEQ + 1), /out of range/);
  assert.throws(() => chunkKey(stream, -1), /out of range/);
});

test("tokens round-trip, look opaque, and refuse anything else", () => {
  const token = encodeLogToken({ runId: stream.runId, state: "PLANNING", stateVersion: 2, seq: 64 });
  assert.match(token, /^[A-Za-z0-9_-]+$/);
  assert.not.ok(token.includes("PLANNING"));
  assert.equal(decodeLogToken(token), { runId: stream.runId, state: "PLANNING", stateVersion: 2, seq: 64 });
  for (const bad of ["", "%%%", Buffer.from("v2:x").toString("base64url"), Buffer.from(`v1:${stream.runId}:PLANNING:0:1`).toString("base64url")]) {
    assert.throws(() => decodeLogToken(bad), /not one this server issued/, bad);
  }
});

test("chunks: JSON with the first write's time; lines keep their newlines; splits respect code points", () => {
  assert.equal(decodeChunk(encodeChunk({ timestamp: 1_700_000_000_123, text: "a\nb" })), { timestamp: 1_700_000_000_123, text: "a\nb" });
  assert.is(decodeChunk("not json"), null);
  assert.is(decodeChunk('{"t":"x","m":"y"}'), null);
  assert.equal(chunkLines("a\nb\n\nc"), ["a\n", "b\n", "\n", "c"]);
  assert.equal(chunkLines(""), []);
  assert.is(byteLength("aé✓🚀"), 1 + 2 + 3 + 4);
  const text = "é".repeat(10) + "\n" + "🚀".repeat(10);
  const pieces = splitByBytes(text, 16);
  assert.is(pieces.join(""), text);
  assert.ok(pieces.every((p) => byteLength(p) <= 16));
  assert.is(pieces[0], "é".repeat(8), "cut between code points");
  assert.equal(splitByBytes("abc\ndefgh", 8), ["abc\n", "defgh"], "at a newline when it keeps the piece half full");
});

test.run();
