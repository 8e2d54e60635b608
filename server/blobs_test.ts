import { randomBytes } from "node:crypto";
import * as fs from "node:fs/promises";
import * as os from "node:os";
import * as path from "node:path";
import type { AddressInfo } from "node:net";
import { serve } from "@hono/node-server";
import { Hono } from "hono";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { objectStoreContract } from "../shared/storage/contract.ts";
import { FilesystemObjectStore } from "../shared/storage/filesystem.ts";
import { blobRoutes } from "./blobs.ts";

const PUBLIC_URL = "http://gantry.test";
const signingKey = randomBytes(32);

function appFor(store: FilesystemObjectStore, maxBodyBytes?: number): Hono {
  const app = new Hono();
  app.route("/blobs", blobRoutes(store, { maxBodyBytes }));
  return app;
}

// The shared behavioural suite, including presigned PUT/GET/expiry/tampering through this route.
objectStoreContract("filesystem via /blobs", async () => {
  const root = await fs.mkdtemp(path.join(os.tmpdir(), "gantry-blobs-contract-"));
  const main = new FilesystemObjectStore({ root, publicUrl: PUBLIC_URL, signingKey });
  const app = appFor(main);
  return {
    open: (opts) => new FilesystemObjectStore({ root, publicUrl: PUBLIC_URL, signingKey, now: opts?.now }),
    fetch: async (url, init) => app.request(url, init),
    verifiesSignatures: true,
    atomicConcurrentWrites: true,
    close: () => fs.rm(root, { recursive: true, force: true }),
  };
});

async function withApp(fn: (app: Hono, store: FilesystemObjectStore, root: string) => Promise<void>, maxBodyBytes?: number) {
  const root = await fs.mkdtemp(path.join(os.tmpdir(), "gantry-blobs-"));
  const store = new FilesystemObjectStore({ root, publicUrl: PUBLIC_URL, signingKey });
  try {
    await fn(appFor(store, maxBodyBytes), store, root);
  } finally {
    await store.close();
    await fs.rm(root, { recursive: true, force: true });
  }
}

async function errorOf(res: Response): Promise<{ code: string; message: string }> {
  assert.match(res.headers.get("content-type") ?? "", /application\/json/);
  const body = (await res.json()) as { error: { code: string; message: string } };
  return body.error;
}

test("signed PUT then signed GET returns identical bytes", () =>
  withApp(async (app, store) => {
    const body = randomBytes(300 * 1024);
    const put = await app.request(await store.presign("states", "stack/a.tfstate", "PUT", 60), { method: "PUT", body });
    assert.is(put.status, 200);
    const get = await app.request(await store.presign("states", "stack/a.tfstate", "GET", 60));
    assert.is(get.status, 200);
    assert.is(get.headers.get("content-length"), String(body.length));
    assert.is(get.headers.get("content-type"), "application/octet-stream");
    assert.is(get.headers.get("x-content-type-options"), "nosniff");
    assert.equal(new Uint8Array(await get.arrayBuffer()), new Uint8Array(body));

    const head = await app.request(await store.presign("states", "stack/a.tfstate", "GET", 60), { method: "HEAD" });
    assert.is(head.status, 200);
    assert.is(head.headers.get("content-length"), String(body.length));
    assert.is((await head.arrayBuffer()).byteLength, 0);
  }));

test("tampered signature → 403 without echoing it", () =>
  withApp(async (app, store) => {
    await store.put("states", "k", "v");
    const url = new URL(await store.presign("states", "k", "GET", 60));
    const sig = url.searchParams.get("signature")!;
    const forged = (sig[0] === "a" ? "b" : "a") + sig.slice(1);
    url.searchParams.set("signature", forged);
    const res = await app.request(url.toString());
    assert.is(res.status, 403);
    const text = await res.text();
    assert.not.match(text, forged);
    assert.not.match(text, sig);
    assert.is(JSON.parse(text).error.code, "SignatureInvalid");

    // Same signature on a different key or expiry → 403 too.
    const moved = new URL(await store.presign("states", "k", "GET", 60));
    moved.pathname = "/blobs/states/other";
    assert.is((await app.request(moved.toString())).status, 403);
    const extended = new URL(await store.presign("states", "k", "GET", 60));
    extended.searchParams.set("expires", String(Number(extended.searchParams.get("expires")) + 3600));
    assert.is((await app.request(extended.toString())).status, 403);
  }));

test("wrong method → 403", () =>
  withApp(async (app, store) => {
    await store.put("states", "k", "v");
    const getUrl = await store.presign("states", "k", "GET", 60);
    const res = await app.request(getUrl, { method: "PUT", body: "overwrite" });
    assert.is(res.status, 403);
    assert.is((await errorOf(res)).code, "SignatureMethodMismatch");
    const putUrl = await store.presign("states", "k", "PUT", 60);
    const res2 = await app.request(putUrl);
    assert.is(res2.status, 403);
    assert.is((await errorOf(res2)).code, "SignatureMethodMismatch");
    assert.equal(await store.get("states", "k"), new TextEncoder().encode("v"));
  }));

test("expired URL → 403", () =>
  withApp(async (app, store, root) => {
    await store.put("states", "k", "v");
    const past = new FilesystemObjectStore({ root, publicUrl: PUBLIC_URL, signingKey, now: () => Date.now() - 120_000 });
    const res = await app.request(await past.presign("states", "k", "GET", 60));
    assert.is(res.status, 403);
    assert.is((await errorOf(res)).code, "SignatureExpired");
  }));

test("unsigned or partially signed → 403", () =>
  withApp(async (app, store) => {
    await store.put("states", "k", "v");
    for (const url of [
      `${PUBLIC_URL}/blobs/states/k`,
      `${PUBLIC_URL}/blobs/states/k?method=GET`,
      `${PUBLIC_URL}/blobs/states/k?method=GET&expires=9999999999`,
    ]) {
      const res = await app.request(url);
      assert.is(res.status, 403, url);
      assert.is((await errorOf(res)).code, "SignatureRequired");
    }
    const garbage = await app.request(`${PUBLIC_URL}/blobs/states/k?method=GET&expires=x&signature=zz`);
    assert.is(garbage.status, 403);
    assert.is((await errorOf(garbage)).code, "SignatureInvalid");
    const put = await app.request(`${PUBLIC_URL}/blobs/states/k`, { method: "PUT", body: "x" });
    assert.is(put.status, 403);
  }));

test("traversal or invalid keys and buckets → 400", () =>
  withApp(async (app) => {
    for (const p of [
      "/blobs/states/..%2F..%2Fetc%2Fpasswd",
      "/blobs/states/a/..%2F..%2Fx",
      "/blobs/states/%2Fetc%2Fpasswd",
      "/blobs/states/a%5C..%5Cx",
      "/blobs/states/a%00b",
      "/blobs/states/a//b",
      "/blobs/nope/k",
      "/blobs/..%2Fstates/k",
    ]) {
      const res = await app.request(`${PUBLIC_URL}${p}?method=GET&expires=9999999999&signature=${"0".repeat(64)}`);
      assert.is(res.status, 400, p);
      assert.is((await errorOf(res)).code, "Invalid");
    }
  }));

test("GET of a missing object → 404", () =>
  withApp(async (app, store) => {
    const res = await app.request(await store.presign("states", "missing/obj", "GET", 60));
    assert.is(res.status, 404);
    assert.is((await errorOf(res)).code, "NotFound");
  }));

test("bodies over the limit → 413 and nothing stored", () =>
  withApp(async (app, store, root) => {
    const url = await store.presign("uploads", "big", "PUT", 60);
    const declared = await app.request(url, { method: "PUT", body: new Uint8Array(2048) });
    assert.is(declared.status, 413);
    assert.is((await errorOf(declared)).code, "TooLarge");
    // Streamed without a content-length: enforced while writing.
    const stream = new ReadableStream<Uint8Array>({
      start(c) {
        c.enqueue(new Uint8Array(700));
        c.enqueue(new Uint8Array(700));
        c.close();
      },
    });
    const streamed = await app.request(url, { method: "PUT", body: stream, duplex: "half" } as RequestInit);
    assert.is(streamed.status, 413);
    assert.is(await store.get("uploads", "big"), null);
    assert.equal(await fs.readdir(path.join(root, "uploads")), []);
    const ok = await app.request(url, { method: "PUT", body: new Uint8Array(1024) });
    assert.is(ok.status, 200);
  }, 1024));

test("other methods → 405", () =>
  withApp(async (app, store) => {
    const res = await app.request(await store.presign("states", "k", "PUT", 60), { method: "DELETE" });
    assert.is(res.status, 405);
  }));

test("works over real HTTP with @hono/node-server (streamed upload and download)", () =>
  withApp(async (app, store, root) => {
    const server = serve({ fetch: app.fetch, port: 0, hostname: "127.0.0.1" });
    try {
      await new Promise<void>((resolve) => (server.listening ? resolve() : server.once("listening", resolve)));
      const { port } = server.address() as AddressInfo;
      const onWire = new FilesystemObjectStore({ root, publicUrl: `http://127.0.0.1:${port}/`, signingKey });
      const body = randomBytes(3 * 1024 * 1024 + 11);
      const put = await fetch(await onWire.presign("workspace", "run/ws.tar.gz", "PUT", 60), { method: "PUT", body });
      assert.is(put.status, 200);
      await put.arrayBuffer();
      const get = await fetch(await onWire.presign("workspace", "run/ws.tar.gz", "GET", 60));
      assert.is(get.status, 200);
      assert.equal(new Uint8Array(await get.arrayBuffer()), new Uint8Array(body));
      assert.equal(await store.get("workspace", "run/ws.tar.gz"), new Uint8Array(body));
    } finally {
      await new Promise<void>((resolve, reject) => server.close((err) => (err ? reject(err) : resolve())));
    }
  }));

test.run();
