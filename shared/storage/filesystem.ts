/**
 * Filesystem object store: objects live at <root>/<bucket>/<key>.
 *
 * - Writes go to a temp file in the object's directory, are fsynced, then
 *   renamed over the object, so readers and crashes only ever see a whole
 *   object (old or new), never a partial one.
 * - Keys follow ./keys.ts (no '..', no absolute paths, ...), and every path is
 *   realpath-checked against the bucket directory, so symlinks cannot lead
 *   outside it. (Someone who can already write into the storage root could
 *   still race these checks; the root must be private to Gantry.)
 * - Presigned URLs point at the Gantry server's /blobs route
 *   (server/blobs.ts), signed as described in ./url_signing.ts.
 */
import { randomBytes } from "node:crypto";
import * as fs from "node:fs/promises";
import * as path from "node:path";
import { InvalidKeyError, KeyConflictError, ObjectTooLargeError } from "./errors.ts";
import { assertBucket, compareKeys, RESERVED_SEGMENT_PREFIX, validateKey, validatePrefix } from "./keys.ts";
import {
  assertPresignExpiry,
  BUCKETS,
  type Bucket,
  type ObjectInfo,
  type ObjectStore,
  type PresignMethod,
  type PutOptions,
} from "./object_store.ts";
import { MIN_SIGNING_KEY_BYTES, signUrl, verifySignedRequest, type SignedRequest, type VerifyResult } from "./url_signing.ts";

export { verifySignedRequest } from "./url_signing.ts";

export interface FilesystemObjectStoreOptions {
  root: string;
  publicUrl: string;
  signingKey: Uint8Array;
  /** Clock in epoch milliseconds, for tests. */
  now?: () => number;
}

/** An object opened for streaming (see openRead). */
export interface ObjectReader extends ObjectInfo {
  stream: ReadableStream<Uint8Array>;
}

const FILE_MODE = 0o600;
const DIR_MODE = 0o700;
const READ_CHUNK = 64 * 1024;

function errCode(err: unknown): string | undefined {
  return (err as { code?: string } | null)?.code;
}

function isInside(child: string, parent: string): boolean {
  return child === parent || child.startsWith(parent + path.sep);
}

function etagOf(st: { ino: number; size: number; mtimeMs: number }): string {
  // A write always renames a fresh file into place, so the inode changes with every version.
  return `"${st.ino.toString(16)}-${st.size.toString(16)}-${Math.floor(st.mtimeMs).toString(16)}"`;
}

export class FilesystemObjectStore implements ObjectStore {
  readonly #root: string;
  readonly #publicUrl: string;
  readonly #signingKey: Uint8Array;
  readonly #now: () => number;
  #ready: Promise<Map<Bucket, string>> | undefined;

  constructor(opts: FilesystemObjectStoreOptions) {
    if (!opts.root) throw new Error("filesystem storage: root is required");
    const url = new URL(opts.publicUrl); // throws on a malformed URL
    if (url.protocol !== "http:" && url.protocol !== "https:") {
      throw new Error("filesystem storage: publicUrl must be an http(s) URL");
    }
    if (!(opts.signingKey instanceof Uint8Array) || opts.signingKey.length < MIN_SIGNING_KEY_BYTES) {
      throw new Error(`filesystem storage: signingKey must be at least ${MIN_SIGNING_KEY_BYTES} bytes`);
    }
    this.#root = path.resolve(opts.root);
    this.#publicUrl = opts.publicUrl;
    this.#signingKey = Uint8Array.from(opts.signingKey);
    this.#now = opts.now ?? Date.now;
  }

  /** Creates the root and bucket directories once; returns each bucket's real path. */
  #bucketDirs(): Promise<Map<Bucket, string>> {
    this.#ready ??= (async () => {
      await fs.mkdir(this.#root, { recursive: true, mode: DIR_MODE });
      const dirs = new Map<Bucket, string>();
      for (const bucket of BUCKETS) {
        const dir = path.join(this.#root, bucket);
        await fs.mkdir(dir, { recursive: true, mode: DIR_MODE });
        dirs.set(bucket, await fs.realpath(dir));
      }
      return dirs;
    })().catch((err) => {
      this.#ready = undefined;
      throw err;
    });
    return this.#ready;
  }

  async #bucketDir(bucket: string): Promise<string> {
    assertBucket(bucket);
    return (await this.#bucketDirs()).get(bucket)!;
  }

  #escape(): never {
    throw new InvalidKeyError("key resolves outside the storage root");
  }

  /** Real path of an existing object, or null when absent. */
  async #existingFile(bucket: string, key: string): Promise<string | null> {
    validateKey(key);
    const base = await this.#bucketDir(bucket);
    let real: string;
    try {
      real = await fs.realpath(path.join(base, ...key.split("/")));
    } catch (err) {
      if (errCode(err) === "ENOENT" || errCode(err) === "ENOTDIR") return null;
      throw err;
    }
    if (!isInside(real, base) || real === base) this.#escape();
    return real;
  }

  /** Creates the object's directory (inside the bucket) and returns its real path and the object's file name. */
  async #writableDir(bucket: string, key: string): Promise<{ dir: string; name: string }> {
    validateKey(key);
    const base = await this.#bucketDir(bucket);
    const segments = key.split("/");
    const name = segments.pop()!;
    const dir = path.join(base, ...segments);
    // Check the deepest existing ancestor first, so mkdir never creates directories through a symlink leading out.
    let probe = dir;
    for (;;) {
      try {
        if (!isInside(await fs.realpath(probe), base)) this.#escape();
        break;
      } catch (err) {
        if (errCode(err) === "ENOENT" && probe !== base) probe = path.dirname(probe);
        else if (errCode(err) === "ENOTDIR") throw this.#conflict(key);
        else throw err;
      }
    }
    try {
      await fs.mkdir(dir, { recursive: true, mode: DIR_MODE });
    } catch (err) {
      if (errCode(err) === "EEXIST" || errCode(err) === "ENOTDIR") throw this.#conflict(key);
      throw err;
    }
    const realDir = await fs.realpath(dir);
    if (!isInside(realDir, base)) this.#escape();
    return { dir: realDir, name };
  }

  #conflict(key: string): KeyConflictError {
    return new KeyConflictError(`key '${key}' conflicts with an existing object or directory`);
  }

  /**
   * Atomically writes an object: `fill` writes into a fresh temp file in the
   * target directory, which is then fsynced and renamed over the object.
   * On any failure the temp file is removed and the old object is untouched.
   */
  async #writeAtomic(bucket: string, key: string, fill: (fh: fs.FileHandle) => Promise<void>): Promise<ObjectInfo> {
    let attempt = 0;
    for (;;) {
      const { dir, name } = await this.#writableDir(bucket, key);
      const tmp = path.join(dir, RESERVED_SEGMENT_PREFIX + randomBytes(8).toString("hex"));
      let fh: fs.FileHandle;
      try {
        fh = await fs.open(tmp, "wx", FILE_MODE);
      } catch (err) {
        // A concurrent delete may prune the directory between mkdir and open: retry.
        if (errCode(err) === "ENOENT" && ++attempt < 3) continue;
        throw err;
      }
      const target = path.join(dir, name);
      try {
        try {
          await fill(fh);
          await fh.sync();
        } finally {
          await fh.close();
        }
        await fs.rename(tmp, target);
      } catch (err) {
        await fs.rm(tmp, { force: true }).catch(() => {});
        if (errCode(err) === "EISDIR" || errCode(err) === "ENOTEMPTY" || errCode(err) === "EEXIST") {
          throw this.#conflict(key);
        }
        throw err;
      }
      return etagInfo(await fs.stat(target));
    }
  }

  async put(bucket: Bucket, key: string, body: Uint8Array | string, _opts?: PutOptions): Promise<void> {
    const bytes = typeof body === "string" ? new TextEncoder().encode(body) : body;
    await this.#writeAtomic(bucket, key, (fh) => writeAll(fh, bytes));
  }

  /**
   * Streams `body` into the object, failing with ObjectTooLargeError (and
   * leaving the old object intact) once more than `maxBytes` arrive.
   */
  async putStream(
    bucket: Bucket,
    key: string,
    body: ReadableStream<Uint8Array> | null,
    maxBytes: number = Number.MAX_SAFE_INTEGER,
  ): Promise<ObjectInfo> {
    return this.#writeAtomic(bucket, key, async (fh) => {
      if (!body) return;
      const reader = body.getReader();
      let total = 0;
      try {
        for (;;) {
          const { done, value } = await reader.read();
          if (done) break;
          total += value.byteLength;
          if (total > maxBytes) throw new ObjectTooLargeError(maxBytes);
          await writeAll(fh, value);
        }
      } catch (err) {
        await reader.cancel().catch(() => {});
        throw err;
      } finally {
        reader.releaseLock();
      }
    });
  }

  async get(bucket: Bucket, key: string): Promise<Uint8Array | null> {
    const file = await this.#existingFile(bucket, key);
    if (!file) return null;
    try {
      const buf = await fs.readFile(file);
      return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
    } catch (err) {
      if (errCode(err) === "ENOENT" || errCode(err) === "EISDIR") return null;
      throw err;
    }
  }

  /** Opens an object for streaming; the stream closes the file when done or cancelled. */
  async openRead(bucket: Bucket, key: string): Promise<ObjectReader | null> {
    const file = await this.#existingFile(bucket, key);
    if (!file) return null;
    let fh: fs.FileHandle;
    try {
      fh = await fs.open(file, "r");
    } catch (err) {
      if (errCode(err) === "ENOENT") return null;
      throw err;
    }
    const st = await fh.stat().catch(async (err) => {
      await fh.close();
      throw err;
    });
    if (!st.isFile()) {
      await fh.close();
      return null;
    }
    let closed = false;
    const close = async () => {
      if (!closed) {
        closed = true;
        await fh.close();
      }
    };
    const stream = new ReadableStream<Uint8Array>({
      type: "bytes",
      async pull(controller) {
        try {
          const buf = new Uint8Array(READ_CHUNK);
          const { bytesRead } = await fh.read(buf, 0, READ_CHUNK, null);
          if (bytesRead === 0) {
            await close();
            controller.close();
          } else {
            controller.enqueue(buf.subarray(0, bytesRead));
          }
        } catch (err) {
          await close().catch(() => {});
          controller.error(err);
        }
      },
      async cancel() {
        await close();
      },
    });
    return { ...etagInfo(st), stream };
  }

  async head(bucket: Bucket, key: string): Promise<ObjectInfo | null> {
    const file = await this.#existingFile(bucket, key);
    if (!file) return null;
    try {
      const st = await fs.stat(file);
      return st.isFile() ? etagInfo(st) : null;
    } catch (err) {
      if (errCode(err) === "ENOENT") return null;
      throw err;
    }
  }

  async delete(bucket: Bucket, key: string): Promise<void> {
    validateKey(key);
    const base = await this.#bucketDir(bucket);
    const segments = key.split("/");
    const name = segments.pop()!;
    let dir: string;
    try {
      dir = await fs.realpath(path.join(base, ...segments));
    } catch (err) {
      if (errCode(err) === "ENOENT" || errCode(err) === "ENOTDIR") return;
      throw err;
    }
    if (!isInside(dir, base)) this.#escape();
    try {
      await fs.unlink(path.join(dir, name)); // removes a symlink itself, never its target
    } catch (err) {
      const code = errCode(err);
      if (code === "ENOENT" || code === "ENOTDIR" || code === "EISDIR" || code === "EPERM") return;
      throw err;
    }
    // Prune now-empty directories so their names can become objects again.
    while (dir !== base && isInside(dir, base)) {
      try {
        await fs.rmdir(dir);
      } catch {
        break;
      }
      dir = path.dirname(dir);
    }
  }

  async list(bucket: Bucket, prefix: string = ""): Promise<string[]> {
    validatePrefix(prefix);
    const base = await this.#bucketDir(bucket);
    const cut = prefix.lastIndexOf("/");
    const dirPart = cut < 0 ? "" : prefix.slice(0, cut);
    const dirSegments = dirPart === "" ? [] : dirPart.split("/");
    // No valid key has an empty, '.', '..' or reserved segment, so nothing can match.
    if (dirSegments.some((s) => s === "" || s === "." || s === ".." || s.startsWith(RESERVED_SEGMENT_PREFIX))) return [];
    let start: string;
    try {
      start = await fs.realpath(path.join(base, ...dirSegments));
    } catch (err) {
      if (errCode(err) === "ENOENT" || errCode(err) === "ENOTDIR") return [];
      throw err;
    }
    if (!isInside(start, base)) this.#escape();
    const keys: string[] = [];
    await walk(start, dirPart, keys);
    return keys.filter((k) => k.startsWith(prefix)).sort(compareKeys);
  }

  async presign(bucket: Bucket, key: string, method: PresignMethod, expiresInSeconds: number): Promise<string> {
    assertBucket(bucket);
    validateKey(key);
    assertPresignExpiry(expiresInSeconds);
    if (method !== "GET" && method !== "PUT") throw new RangeError(`cannot presign method ${String(method)}`);
    const expires = Math.floor(this.#now() / 1000) + expiresInSeconds;
    return signUrl(this.#signingKey, this.#publicUrl, method, bucket, key, expires);
  }

  /** Verifies a request to a URL from presign() with this store's key and clock. */
  verifySignedRequest(req: SignedRequest): VerifyResult {
    return verifySignedRequest(this.#signingKey, req, this.#now());
  }

  async check(): Promise<void> {
    const dirs = await this.#bucketDirs();
    await Promise.all([...dirs.values()].map((d) => fs.access(d, fs.constants.R_OK | fs.constants.W_OK)));
  }

  async close(): Promise<void> {}
}

function etagInfo(st: { ino: number; size: number; mtimeMs: number }): ObjectInfo {
  return { size: st.size, etag: etagOf(st) };
}

async function writeAll(fh: fs.FileHandle, bytes: Uint8Array): Promise<void> {
  let offset = 0;
  while (offset < bytes.byteLength) {
    const { bytesWritten } = await fh.write(bytes, offset, bytes.byteLength - offset, null);
    offset += bytesWritten;
  }
}

/** Collects object keys under `dir` (whose key prefix is `keyDir`), skipping temp files and symlinks. */
async function walk(dir: string, keyDir: string, out: string[]): Promise<void> {
  let entries;
  try {
    entries = await fs.readdir(dir, { withFileTypes: true });
  } catch (err) {
    if (errCode(err) === "ENOENT" || errCode(err) === "ENOTDIR") return; // removed concurrently
    throw err;
  }
  for (const entry of entries) {
    if (entry.name.startsWith(RESERVED_SEGMENT_PREFIX)) continue;
    const key = keyDir === "" ? entry.name : `${keyDir}/${entry.name}`;
    if (entry.isDirectory()) await walk(path.join(dir, entry.name), key, out);
    else if (entry.isFile()) out.push(key);
  }
}
