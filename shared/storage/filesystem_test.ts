import { Buffer } from "node:buffer";
import { randomBytes } from "node:crypto";
import * as fs from "node:fs/promises";
import * as os from "node:os";
import * as path from "node:path";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { objectStoreContract } from "./contract.ts";
import { InvalidKeyError, KeyConflictError, ObjectTooLargeError } from "./errors.ts";
import { FilesystemObjectStore } from "./filesystem.ts";
import { RESERVED_SEGMENT_PREFIX } from "./keys.ts";

const signingKey = randomBytes(32);

async function tempDir(): Promise<string> {
  return fs.mkdtemp(path.join(os.tmpdir(), "gantry-fs-store-"));
}

function makeStore(root: string, now?: () => number): FilesystemObjectStore {
  return new FilesystemObjectStore({ root, publicUrl: "http://gantry.test", signingKey, now });
}

// Shared behaviour (presigned URLs over HTTP are covered in server/blobs_test.ts).
objectStoreContract("filesystem", async () => {
  const root = await tempDir();
  return {
    open: (opts) => makeStore(root, opts?.now),
    verifiesSignatures: true,
    atomicConcurrentWrites: true,
    close: () => fs.rm(root, { recursive: true, force: true }),
  };
});

/** Runs `fn` with a store on a fresh root plus a sibling "outside" directory. */
async function withStore(fn: (store: FilesystemObjectStore, root: string, outside: string) => Promise<void>) {
  const dir = await tempDir();
  const root = path.join(dir, "root");
  const outside = path.join(dir, "outside");
  await fs.mkdir(outside);
  await fs.writeFile(path.join(outside, "secret"), "outside secret");
  const store = makeStore(root);
  try {
    await store.check();
    await fn(store, root, outside);
  } finally {
    await store.close();
    await fs.rm(dir, { recursive: true, force: true });
  }
}

async function rejects(fn: () => Promise<unknown>, type: Function, label: string) {
  try {
    await fn();
  } catch (err) {
    assert.instance(err, type, `${label}: ${String(err)}`);
    return;
  }
  assert.unreachable(`${label}: accepted`);
}

test("objects are plain files under <root>/<bucket>/<key>", () =>
  withStore(async (store, root) => {
    await store.put("states", "stack-1/terraform.tfstate", "{}");
    assert.is(await fs.readFile(path.join(root, "states", "stack-1", "terraform.tfstate"), "utf8"), "{}");
    const st = await fs.stat(path.join(root, "states", "stack-1", "terraform.tfstate"));
    assert.is(st.mode & 0o777, 0o600);
  }));

test("traversal keys are refused and write nothing outside the root", () =>
  withStore(async (store, root, outside) => {
    for (const key of ["../x", "a/../../x", "../../outside/pwned", "/etc/passwd", path.join(outside, "abs"), "a\\..\\..\\x", "..\\x"]) {
      await rejects(() => store.put("states", key, "pwned"), InvalidKeyError, `put ${key}`);
      await rejects(() => store.get("states", key), InvalidKeyError, `get ${key}`);
      await rejects(() => store.delete("states", key), InvalidKeyError, `delete ${key}`);
    }
    assert.equal((await fs.readdir(outside)).sort(), ["secret"]);
    assert.equal((await fs.readdir(path.dirname(root))).sort(), ["outside", "root"]);
  }));

test("symlinks pointing out of the root are refused", () =>
  withStore(async (store, root, outside) => {
    await fs.symlink(outside, path.join(root, "states", "dirlink"));
    await fs.symlink(path.join(outside, "secret"), path.join(root, "states", "filelink"));
    await rejects(() => store.get("states", "dirlink/secret"), InvalidKeyError, "get through dir link");
    await rejects(() => store.head("states", "dirlink/secret"), InvalidKeyError, "head through dir link");
    await rejects(() => store.get("states", "filelink"), InvalidKeyError, "get file link");
    await rejects(() => store.openRead("states", "filelink"), InvalidKeyError, "openRead file link");
    await rejects(() => store.put("states", "dirlink/new", "x"), InvalidKeyError, "put through dir link");
    await rejects(() => store.put("states", "dirlink/new/deeper", "x"), InvalidKeyError, "put creating dirs through link");
    await rejects(() => store.delete("states", "dirlink/secret"), InvalidKeyError, "delete through dir link");
    await rejects(() => store.list("states", "dirlink/"), InvalidKeyError, "list through dir link");
    assert.equal((await fs.readdir(outside)).sort(), ["secret"], "nothing created outside");
    assert.is(await fs.readFile(path.join(outside, "secret"), "utf8"), "outside secret");
    assert.equal(await store.list("states", ""), [], "links are not listed");
    // Overwriting the link replaces the link itself, never its target.
    await store.put("states", "filelink", "inside now");
    assert.is(await fs.readFile(path.join(outside, "secret"), "utf8"), "outside secret");
    assert.is((await fs.lstat(path.join(root, "states", "filelink"))).isFile(), true);
  }));

test("overwrite is atomic: readers see whole versions and no temp files remain", () =>
  withStore(async (store, root) => {
    const a = new Uint8Array(512 * 1024).fill(0xaa);
    const b = new Uint8Array(512 * 1024 + 7).fill(0xbb);
    await store.put("states", "s/obj", a);
    const ino = (await fs.stat(path.join(root, "states", "s", "obj"))).ino;
    const reads: Promise<Uint8Array | null>[] = [];
    const writes: Promise<void>[] = [];
    for (let i = 0; i < 10; i++) {
      writes.push(store.put("states", "s/obj", i % 2 ? a : b));
      reads.push(store.get("states", "s/obj"));
    }
    await Promise.all(writes);
    for (const got of await Promise.all(reads)) {
      assert.ok(got && (Buffer.compare(got, a) === 0 || Buffer.compare(got, b) === 0), "whole version");
    }
    assert.equal(await fs.readdir(path.join(root, "states", "s")), ["obj"], "no temp files left");
    assert.is.not((await fs.stat(path.join(root, "states", "s", "obj"))).ino, ino, "replaced by rename");
  }));

test("a failed or oversized streamed write leaves the old object intact", () =>
  withStore(async (store, root) => {
    await store.put("uploads", "u/obj", "old");
    const failing = new ReadableStream<Uint8Array>({
      start(c) {
        c.enqueue(new Uint8Array(1000).fill(1));
        c.error(new Error("connection reset"));
      },
    });
    await rejects(() => store.putStream("uploads", "u/obj", failing), Error, "failing stream");
    const big = new ReadableStream<Uint8Array>({
      pull(c) {
        c.enqueue(new Uint8Array(4096));
      },
    });
    await rejects(() => store.putStream("uploads", "u/obj", big, 10_000), ObjectTooLargeError, "too large");
    assert.equal(await store.get("uploads", "u/obj"), new TextEncoder().encode("old"));
    assert.equal(await fs.readdir(path.join(root, "uploads", "u")), ["obj"]);
  }));

test("leftover temp files from a crash are invisible", () =>
  withStore(async (store, root) => {
    await store.put("states", "x/obj", "v");
    await fs.writeFile(path.join(root, "states", "x", `${RESERVED_SEGMENT_PREFIX}deadbeef`), "half");
    assert.equal(await store.list("states", ""), ["x/obj"]);
  }));

test("filesystem limitation: an object and a directory cannot share a name", () =>
  withStore(async (store) => {
    await store.put("states", "a", "file");
    await rejects(() => store.put("states", "a/b", "x"), KeyConflictError, "dir over file");
    await store.put("states", "d/e", "x");
    await rejects(() => store.put("states", "d", "x"), KeyConflictError, "file over dir");
    assert.is(await store.get("states", "d"), null, "a directory is not an object");
    assert.equal(await store.list("states", ""), ["a", "d/e"]);
  }));

test("openRead streams the object and closes the file", () =>
  withStore(async (store) => {
    const body = randomBytes(200 * 1024);
    await store.put("run_logs", "r/log", body);
    const r = await store.openRead("run_logs", "r/log");
    assert.ok(r);
    assert.is(r.size, body.length);
    assert.equal(new Uint8Array(await new Response(r.stream).arrayBuffer()), new Uint8Array(body));
    assert.is(await store.openRead("run_logs", "r/missing"), null);
  }));

test("presigned URL format", () =>
  withStore(async (store) => {
    const url = new URL(await store.presign("states", "a b/ü", "PUT", 60));
    assert.is(url.origin + url.pathname, "http://gantry.test/blobs/states/a%20b/%C3%BC");
    assert.is(url.searchParams.get("method"), "PUT");
    const expires = Number(url.searchParams.get("expires"));
    assert.ok(Math.abs(expires - (Date.now() / 1000 + 60)) < 5);
    assert.match(url.searchParams.get("signature")!, /^[0-9a-f]{64}$/);
  }));

test("constructor rejects weak keys and bad URLs", () => {
  assert.throws(() => new FilesystemObjectStore({ root: "/tmp/x", publicUrl: "http://x", signingKey: new Uint8Array(8) }));
  assert.throws(() => new FilesystemObjectStore({ root: "/tmp/x", publicUrl: "not a url", signingKey }));
});

test.run();
