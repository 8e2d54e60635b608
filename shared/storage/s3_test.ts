/**
 * The S3 backend against s3rver, an S3-compatible server started in-process.
 *
 * Limitation: s3rver does not verify SigV4 signatures (it only checks the
 * access key id and, for presigned URLs, the expiry), so the tamper and
 * wrong-method tests of the contract are skipped here. Real S3 and
 * S3-compatible stores reject those requests with 403 SignatureDoesNotMatch.
 * s3rver also writes objects in place (truncate + write), so concurrent PUTs
 * to one key can interleave; real S3 PUTs are atomic, and the contract's
 * concurrent-writers test is skipped here.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { objectStoreContract } from "./contract.ts";
import { BUCKETS, type Bucket } from "./object_store.ts";
import { S3ObjectStore, type S3ObjectStoreOptions } from "./s3.ts";
import { startS3rver } from "./s3rver_fixture.ts";

// s3rver's built-in account.
const ACCESS_KEY = "S3RVER";

const physical = Object.fromEntries(BUCKETS.map((b) => [b, `gantry-${b.replaceAll("_", "-")}`])) as Record<Bucket, string>;
const startServer = () => startS3rver(Object.values(physical));

function storeOptions(endpoint: string, extra: Partial<S3ObjectStoreOptions> = {}): S3ObjectStoreOptions {
  return {
    endpoint,
    region: "us-east-1",
    forcePathStyle: true,
    accessKeyId: ACCESS_KEY,
    secretAccessKey: ACCESS_KEY,
    buckets: physical,
    ...extra,
  };
}

objectStoreContract("s3 (s3rver)", async () => {
  const s3 = await startServer();
  return {
    // A small page size makes the contract's list test cross several ListObjectsV2 pages.
    open: (opts) => new S3ObjectStore(storeOptions(s3.endpoint, { now: opts?.now, listPageSize: 5 })),
    fetch: (url, init) => fetch(url, init),
    verifiesSignatures: false,
    atomicConcurrentWrites: false,
    close: s3.close,
  };
});

test("check() fails when a configured bucket does not exist", async () => {
  const s3 = await startServer();
  const store = new S3ObjectStore(storeOptions(s3.endpoint, { buckets: { ...physical, states: "no-such-bucket" } }));
  try {
    let failed = false;
    await store.check().catch(() => (failed = true));
    assert.ok(failed, "check() rejected");
  } finally {
    await store.close();
    await s3.close();
  }
});

test("presigned URLs are path-style with forcePathStyle", async () => {
  const store = new S3ObjectStore(storeOptions("http://127.0.0.1:9"));
  try {
    const url = new URL(await store.presign("states", "a b/c", "GET", 60));
    assert.is(url.host, "127.0.0.1:9");
    assert.is(url.pathname, "/gantry-states/a%20b/c");
    assert.is(url.searchParams.get("X-Amz-Expires"), "60");
  } finally {
    await store.close();
  }
});

test("constructor validates its configuration", () => {
  assert.throws(() => new S3ObjectStore(storeOptions("http://x", { secretAccessKey: undefined })), /together/);
  const { states: _, ...missing } = physical;
  assert.throws(() => new S3ObjectStore(storeOptions("http://x", { buckets: missing as Record<Bucket, string> })), /states/);
});

test.run();
