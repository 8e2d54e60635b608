/**
 * Behavioural suite every ObjectStore backend must pass. Each backend's test
 * file registers it (filesystem_test.ts, s3_test.ts, server/blobs_test.ts for
 * the filesystem store's presigned URLs), so the backends provably agree.
 */
import { Buffer } from "node:buffer";
import { randomBytes } from "node:crypto";
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { InvalidKeyError } from "./errors.ts";
import { BUCKETS, type Bucket, type ObjectStore } from "./object_store.ts";

export type Fetch = (url: string, init?: RequestInit) => Promise<Response>;

export interface ContractHarness {
  /** Opens a store over the same backing storage; `now` overrides its clock (epoch ms). The suite closes it. */
  open(opts?: { now?: () => number }): ObjectStore | Promise<ObjectStore>;
  /** Follows presigned URLs. Without it the presigned-URL tests are skipped. */
  fetch?: Fetch;
  /** False when the server ignores signatures (s3rver does not verify SigV4): skips tamper tests. */
  verifiesSignatures: boolean;
  /**
   * False when the backing server writes objects in place (s3rver does; real
   * S3 PUTs are atomic): skips the concurrent-writers test.
   */
  atomicConcurrentWrites: boolean;
  /** Releases everything the harness started. */
  close(): Promise<void>;
}

const enc = new TextEncoder();
const B: Bucket = "states";

/** A fresh key prefix per test, so tests never see each other's objects. */
function uid(): string {
  return `t-${randomBytes(6).toString("hex")}/`;
}

export const INVALID_KEYS: readonly string[] = [
  "",
  "/abs",
  "/etc/passwd",
  "../x",
  "a/../../x",
  "a/..",
  "./a",
  "a/./b",
  "a\\b",
  "..\\..\\x",
  "a\0b",
  "a\nb",
  "a\x7fb",
  "a//b",
  "a/",
  ".gantry-tmp-0123",
  "x".repeat(256),
  "ab/".repeat(342), // 1026 bytes
  "bad\ud800surrogate",
];

async function rejectsInvalid(fn: () => Promise<unknown>, label: string): Promise<void> {
  try {
    await fn();
  } catch (err) {
    assert.instance(err, InvalidKeyError, `${label}: wrong error ${String(err)}`);
    assert.is((err as InvalidKeyError).code, "Invalid");
    return;
  }
  assert.unreachable(`${label}: was accepted`);
}

export function objectStoreContract(name: string, start: () => Promise<ContractHarness>): void {
  const t = suite<{ h?: ContractHarness; store?: ObjectStore; extra: ObjectStore[]; startError?: unknown }>(
    `${name} contract`,
    { extra: [] },
  );

  // uvu swallows errors thrown by `before` hooks (the run would pass), so report them from every test instead.
  t.before(async (ctx) => {
    try {
      ctx.h = await start();
      ctx.store = await ctx.h.open();
    } catch (err) {
      ctx.startError = err;
    }
  });
  t.before.each((ctx) => {
    if (ctx.startError) throw ctx.startError;
  });
  t.after(async (ctx) => {
    for (const s of ctx.extra) await s.close();
    await ctx.store?.close();
    await ctx.h?.close();
  });

  t("check() succeeds", async ({ store }) => {
    await store!.check();
  });

  t("put/get round trip of binary and string bodies", async ({ store }) => {
    const p = uid();
    const bin = new Uint8Array(256 * 4).map((_, i) => i % 256);
    await store!.put(B, `${p}bin`, bin, { contentType: "application/octet-stream" });
    assert.equal(await store!.get(B, `${p}bin`), bin);
    await store!.put(B, `${p}text.json`, '{"ü":"😀"}', { contentType: "application/json" });
    assert.equal(await store!.get(B, `${p}text.json`), enc.encode('{"ü":"😀"}'));
    await store!.put(B, `${p}empty`, new Uint8Array(0));
    assert.equal(await store!.get(B, `${p}empty`), new Uint8Array(0));
  });

  t("get/head of a missing object return null", async ({ store }) => {
    const p = uid();
    assert.is(await store!.get(B, `${p}missing`), null);
    assert.is(await store!.head(B, `${p}missing`), null);
    assert.is(await store!.get(B, `${p}missing/deeper/still`), null);
  });

  t("head reports the size", async ({ store }) => {
    const p = uid();
    await store!.put(B, `${p}obj`, enc.encode("hello world"));
    const info = await store!.head(B, `${p}obj`);
    assert.ok(info);
    assert.is(info.size, 11);
    assert.ok(info.etag === undefined || typeof info.etag === "string");
  });

  t("overwrite replaces the whole object", async ({ store }) => {
    const p = uid();
    await store!.put(B, `${p}obj`, "a much longer first version");
    await store!.put(B, `${p}obj`, "short");
    assert.equal(await store!.get(B, `${p}obj`), enc.encode("short"));
    assert.is((await store!.head(B, `${p}obj`))!.size, 5);
  });

  t("concurrent writers never produce a mixed object", async ({ h, store }) => {
    if (!h!.atomicConcurrentWrites) return skipped("concurrent writers: this server writes objects in place, unlike real S3");
    const p = uid();
    const bodies = Array.from({ length: 8 }, (_, i) => new Uint8Array(128 * 1024).fill(i + 1));
    await Promise.all(bodies.map((b) => store!.put(B, `${p}race`, b)));
    const got = await store!.get(B, `${p}race`);
    assert.ok(got);
    assert.ok(bodies.some((b) => Buffer.compare(b, got) === 0), "result is one complete body");
  });

  t("delete removes and is idempotent", async ({ store }) => {
    const p = uid();
    await store!.put(B, `${p}a/b/c`, "x");
    await store!.delete(B, `${p}a/b/c`);
    assert.is(await store!.get(B, `${p}a/b/c`), null);
    await store!.delete(B, `${p}a/b/c`);
    await store!.delete(B, `${p}never/existed`);
    assert.equal(await store!.list(B, p), []);
    // The name of a former "directory" is usable as an object afterwards.
    await store!.put(B, `${p}a`, "now an object");
    assert.equal(await store!.get(B, `${p}a`), enc.encode("now an object"));
  });

  t("list returns every key under a prefix, recursively and sorted", async ({ store }) => {
    const p = uid();
    const keys = [`${p}b`, `${p}a/2`, `${p}a/1/deep/er`, `${p}ab`, `${p}ac/x`, `${p}Z`, `${p}é`, `${p}😀`, `${p}ｚ`];
    for (const k of keys) await store!.put(B, k, k);
    const expected = [...keys].sort((x, y) => Buffer.compare(Buffer.from(x), Buffer.from(y)));
    assert.equal(await store!.list(B, p), expected);
    assert.equal(await store!.list(B, `${p}a`), [`${p}a/1/deep/er`, `${p}a/2`, `${p}ab`, `${p}ac/x`]);
    assert.equal(await store!.list(B, `${p}a/`), [`${p}a/1/deep/er`, `${p}a/2`]);
    assert.equal(await store!.list(B, `${p}a/1/deep/er`), [`${p}a/1/deep/er`]);
    assert.equal(await store!.list(B, `${p}nothing`), []);
    assert.equal(await store!.list(B, `${p}nothing/at/all/`), []);
    assert.equal(await store!.list("metadata", p), [], "buckets are separate");
  });

  t("list paginates past one page", async ({ store }) => {
    const p = uid();
    const keys = Array.from({ length: 23 }, (_, i) => `${p}k${String(i).padStart(3, "0")}`);
    await Promise.all(keys.map((k) => store!.put(B, k, "v")));
    assert.equal(await store!.list(B, p), keys);
  });

  t("unusual but valid keys round trip", async ({ store }) => {
    const p = uid();
    const keys = [
      `${p}space in name`,
      `${p}plus+and%percent%2F`,
      `${p}q?hash#amp&eq=semi;colon:at@`,
      `${p}ünï/cödé/😀`,
      `${p}.hidden/..dots/...`,
      `${p}${"s".repeat(200)}/${"t".repeat(200)}`,
    ];
    for (const k of keys) {
      await store!.put(B, k, k);
      assert.equal(await store!.get(B, k), enc.encode(k), k);
    }
    assert.equal((await store!.list(B, p)).length, keys.length);
  });

  t("every bucket is usable and isolated", async ({ store }) => {
    const p = uid();
    for (const bucket of BUCKETS) await store!.put(bucket, `${p}obj`, bucket);
    for (const bucket of BUCKETS) assert.equal(await store!.get(bucket, `${p}obj`), enc.encode(bucket));
    for (const bucket of BUCKETS) await store!.delete(bucket, `${p}obj`);
  });

  t("invalid keys are refused by every operation", async ({ store }) => {
    for (const key of INVALID_KEYS) {
      const label = JSON.stringify(key.length > 40 ? key.slice(0, 40) + "…" : key);
      await rejectsInvalid(() => store!.put(B, key, "x"), `put ${label}`);
      await rejectsInvalid(() => store!.get(B, key), `get ${label}`);
      await rejectsInvalid(() => store!.head(B, key), `head ${label}`);
      await rejectsInvalid(() => store!.delete(B, key), `delete ${label}`);
      await rejectsInvalid(() => store!.presign(B, key, "GET", 60), `presign ${label}`);
    }
    await rejectsInvalid(() => store!.list(B, "/abs"), "list /abs");
    await rejectsInvalid(() => store!.list(B, "a\\b"), "list backslash");
  });

  t("unknown buckets are refused", async ({ store }) => {
    await rejectsInvalid(() => store!.put("nope" as Bucket, "k", "x"), "put");
    await rejectsInvalid(() => store!.get("../states" as Bucket, "k"), "get");
    await rejectsInvalid(() => store!.list("" as Bucket, ""), "list");
  });

  t("presign validates its expiry", async ({ store }) => {
    for (const bad of [0, -1, 1.5, 604_801, Number.NaN]) {
      try {
        await store!.presign(B, "k", "GET", bad);
        assert.unreachable(`expiry ${bad} accepted`);
      } catch (err) {
        assert.instance(err, RangeError);
      }
    }
  });

  t("presigned PUT then GET via HTTP", async ({ h, store }) => {
    if (!h!.fetch) return skipped("presigned URLs: no way to follow them in this harness");
    const p = uid();
    const key = `${p}up load/ü+%.bin`;
    const body = randomBytes(70 * 1024);
    const putUrl = await store!.presign(B, key, "PUT", 300);
    assert.match(new URL(putUrl).protocol, /^https?:$/);
    const put = await h!.fetch(putUrl, { method: "PUT", body });
    await put.arrayBuffer();
    assert.is(put.status, 200, "presigned PUT accepted");
    assert.equal(await store!.get(B, key), new Uint8Array(body));

    const get = await h!.fetch(await store!.presign(B, key, "GET", 300));
    assert.is(get.status, 200);
    assert.equal(new Uint8Array(await get.arrayBuffer()), new Uint8Array(body));
  });

  t("expired presigned URLs are refused with 403", async (ctx) => {
    const { h, store } = ctx;
    if (!h!.fetch) return skipped("presigned URLs: no way to follow them in this harness");
    const p = uid();
    await store!.put(B, `${p}obj`, "secret");
    const past = await h!.open({ now: () => Date.now() - 3_600_000 });
    ctx.extra.push(past);
    for (const method of ["GET", "PUT"] as const) {
      const url = await past.presign(B, `${p}obj`, method, 60);
      const res = await h!.fetch(url, method === "PUT" ? { method, body: "overwrite" } : undefined);
      await res.arrayBuffer();
      assert.is(res.status, 403, `expired ${method}`);
    }
    assert.equal(await store!.get(B, `${p}obj`), enc.encode("secret"));
  });

  t("tampered or misused presigned URLs are refused with 403", async ({ h, store }) => {
    if (!h!.fetch || !h!.verifiesSignatures) return skipped("tampered and wrong-method URLs: this server does not verify signatures");
    const p = uid();
    await store!.put(B, `${p}obj`, "secret");
    const getUrl = await store!.presign(B, `${p}obj`, "GET", 300);

    const tampered = new URL(getUrl);
    for (const [name, value] of tampered.searchParams) {
      if (name.toLowerCase().endsWith("signature")) {
        tampered.searchParams.set(name, value.slice(0, -1) + (value.endsWith("0") ? "1" : "0"));
      }
    }
    const otherKey = getUrl.replace(`${p}obj`, `${p}other`);
    const wrongMethod = () => h!.fetch!(getUrl, { method: "PUT", body: "overwrite" });
    for (const [label, req] of [
      ["tampered signature", () => h!.fetch!(tampered.toString())],
      ["other key", () => h!.fetch!(otherKey)],
      ["wrong method", wrongMethod],
    ] as const) {
      const res = await req();
      await res.arrayBuffer();
      assert.is(res.status, 403, label);
    }
    assert.equal(await store!.get(B, `${p}obj`), enc.encode("secret"));
  });

  t.run();
}

function skipped(reason: string): void {
  console.log(`SKIP: ${reason}`);
}
