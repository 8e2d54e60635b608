/**
 * /blobs: serves the filesystem object store's presigned URLs
 * (shared/storage/url_signing.ts). Mount with app.route("/blobs", blobRoutes(store)).
 *
 *   GET|HEAD /blobs/<bucket>/<key>?method=GET&expires=…&signature=…  → object bytes
 *   PUT      /blobs/<bucket>/<key>?method=PUT&expires=…&signature=…  → stores the body
 *
 * Errors are JSON {error: {code, message}}: 400 bad bucket/key, 403 missing,
 * invalid, expired or wrong-method signature, 404 missing object, 409 key
 * conflict, 413 body too large. Nothing here logs or echoes the signature.
 */
import { Hono, type Context } from "hono";
import { ObjectStoreError } from "../shared/storage/errors.ts";
import type { FilesystemObjectStore } from "../shared/storage/filesystem.ts";
import { assertBucket, validateKey } from "../shared/storage/keys.ts";

export const DEFAULT_MAX_BLOB_BYTES = 512 * 1024 * 1024;

export interface BlobRoutesOptions {
  /** Largest accepted PUT body in bytes (default 512 MiB). */
  maxBodyBytes?: number;
}

type ErrorStatus = 400 | 403 | 404 | 405 | 409 | 413 | 500;

function fail(c: Context, status: ErrorStatus, code: string, message: string): Response {
  return c.json({ error: { code, message } }, status);
}

const STATUS_BY_CODE: Record<string, ErrorStatus> = { Invalid: 400, Conflict: 409, TooLarge: 413 };

export function blobRoutes(store: FilesystemObjectStore, opts: BlobRoutesOptions = {}): Hono {
  const maxBytes = opts.maxBodyBytes ?? DEFAULT_MAX_BLOB_BYTES;
  const app = new Hono();

  app.onError((err, c) => {
    if (err instanceof ObjectStoreError) return fail(c, STATUS_BY_CODE[err.code] ?? 400, err.code, err.message);
    console.error("blobs: request failed:", err instanceof Error ? err.message : err);
    return fail(c, 500, "Internal", "internal error");
  });

  // Hono routes HEAD to GET handlers (and drops the body).
  app.on(["GET", "PUT"], "/:bucket/:key{.+}", async (c) => {
    const bucket = c.req.param("bucket");
    const key = c.req.param("key");
    assertBucket(bucket);
    validateKey(key);

    const verdict = store.verifySignedRequest({
      method: c.req.method,
      bucket,
      key,
      query: { method: c.req.query("method"), expires: c.req.query("expires"), signature: c.req.query("signature") },
    });
    if (!verdict.ok) return fail(c, 403, verdict.code, verdict.message);

    if (c.req.method === "PUT") {
      const declared = c.req.header("content-length");
      if (declared !== undefined && Number(declared) > maxBytes) {
        return fail(c, 413, "TooLarge", `object exceeds the size limit of ${maxBytes} bytes`);
      }
      const info = await store.putStream(bucket, key, c.req.raw.body, maxBytes);
      return c.body(null, 200, info.etag ? { etag: info.etag } : {});
    }

    const headers = (size: number, etag?: string): Record<string, string> => ({
      "content-type": "application/octet-stream",
      "content-length": String(size),
      "x-content-type-options": "nosniff",
      "cache-control": "private, no-store",
      ...(etag ? { etag } : {}),
    });
    if (c.req.method === "HEAD") {
      const info = await store.head(bucket, key);
      if (!info) return fail(c, 404, "NotFound", "object not found");
      return c.body(null, 200, headers(info.size, info.etag));
    }
    const object = await store.openRead(bucket, key);
    if (!object) return fail(c, 404, "NotFound", "object not found");
    return c.body(object.stream, 200, headers(object.size, object.etag));
  });

  app.all("/:bucket/:key{.+}", (c) => fail(c, 405, "MethodNotAllowed", "only GET, HEAD and PUT are supported"));
  app.notFound((c) => fail(c, 400, "Invalid", "expected /blobs/<bucket>/<key>"));
  return app;
}
