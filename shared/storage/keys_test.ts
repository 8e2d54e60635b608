import { test } from "uvu";
import * as assert from "uvu/assert";
import { InvalidKeyError } from "./errors.ts";
import { assertBucket, compareKeys, encodeKeyPath, validateKey, validatePrefix } from "./keys.ts";
import { BUCKETS } from "./object_store.ts";

const invalid = (e: unknown) => e instanceof InvalidKeyError && e.code === "Invalid";

test("accepts ordinary and boundary keys", () => {
  for (const key of ["a", "stack/run-1/log.txt", ".env", "a/.b/..c/...", "ü/😀", "x".repeat(255)]) validateKey(key);
  const longest = ["a".repeat(255), "b".repeat(255), "c".repeat(255), "d".repeat(252) + "é", "e"].join("/");
  assert.is(new TextEncoder().encode(longest).length, 1024);
  validateKey(longest);
  assert.throws(() => validateKey(longest + "x"), invalid);
});

test("refuses every forbidden shape", () => {
  for (const key of ["", "/a", "a/", "a//b", ".", "..", "a/../b", "a\\b", "a\u0000", "a\u001fb", "a\u0085b", "\ud83d", ".gantry-tmp-1/x"]) {
    assert.throws(() => validateKey(key), invalid, JSON.stringify(key));
  }
});

test("prefixes only follow the character rules", () => {
  for (const p of ["", "a", "a/", "a/b/c", "a/."]) validatePrefix(p);
  for (const p of ["/a", "a\\", "a\n"]) assert.throws(() => validatePrefix(p), invalid);
});

test("buckets are checked at runtime", () => {
  for (const b of BUCKETS) assertBucket(b);
  assert.ok(Object.isFrozen(BUCKETS));
  for (const b of ["", "State", "../states", "states/x"]) assert.throws(() => assertBucket(b), invalid);
});

test("encodeKeyPath keeps separators and escapes the rest", () => {
  assert.is(encodeKeyPath("a b/ü/%2F?#"), "a%20b/%C3%BC/%252F%3F%23");
});

test("compareKeys orders by UTF-8 bytes like S3", () => {
  // UTF-16 order would put U+FF5A before U+1F600; UTF-8 order is the reverse.
  assert.equal(["😀", "ｚ", "Z", "a", "é"].sort(compareKeys), ["Z", "a", "é", "ｚ", "😀"]);
});

test.run();
