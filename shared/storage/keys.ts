/**
 * Key rules shared by every backend, so a key valid for one store is valid
 * for all of them and can never name a path outside the storage root.
 */
import { InvalidKeyError } from "./errors.ts";
import { isBucket, type Bucket } from "./object_store.ts";

export const MAX_KEY_BYTES = 1024;
/** Longest single path segment (the usual filesystem NAME_MAX). */
export const MAX_SEGMENT_BYTES = 255;
/** Segments with this prefix are reserved for the filesystem backend's temp files. */
export const RESERVED_SEGMENT_PREFIX = ".gantry-tmp-";

const encoder = new TextEncoder();
// Control characters (C0, DEL, C1) and lone UTF-16 surrogates (not encodable as UTF-8).
const FORBIDDEN_CHARS = /[\p{Cc}\p{Cs}]/u;

function byteLength(s: string): number {
  return encoder.encode(s).length;
}

/** Throws InvalidKeyError unless `key` follows every key rule. */
export function validateKey(key: string): void {
  if (typeof key !== "string" || key.length === 0) throw new InvalidKeyError("key must be a non-empty string");
  if (byteLength(key) > MAX_KEY_BYTES) throw new InvalidKeyError(`key is longer than ${MAX_KEY_BYTES} bytes`);
  if (FORBIDDEN_CHARS.test(key)) throw new InvalidKeyError("key contains control or invalid characters");
  if (key.includes("\\")) throw new InvalidKeyError("key contains a backslash");
  if (key.startsWith("/")) throw new InvalidKeyError("key must not start with '/'");
  for (const segment of key.split("/")) checkSegment(segment);
}

function checkSegment(segment: string): void {
  if (segment === "") throw new InvalidKeyError("key contains an empty segment ('//' or a trailing '/')");
  if (segment === "." || segment === "..") throw new InvalidKeyError("key contains a '.' or '..' segment");
  if (segment.startsWith(RESERVED_SEGMENT_PREFIX)) {
    throw new InvalidKeyError(`key segments must not start with '${RESERVED_SEGMENT_PREFIX}'`);
  }
  if (byteLength(segment) > MAX_SEGMENT_BYTES) {
    throw new InvalidKeyError(`key segment is longer than ${MAX_SEGMENT_BYTES} bytes`);
  }
}

/**
 * Throws InvalidKeyError unless `prefix` could start a valid key. Only the
 * character rules apply; the empty prefix lists the whole bucket.
 */
export function validatePrefix(prefix: string): void {
  if (typeof prefix !== "string") throw new InvalidKeyError("prefix must be a string");
  if (byteLength(prefix) > MAX_KEY_BYTES) throw new InvalidKeyError(`prefix is longer than ${MAX_KEY_BYTES} bytes`);
  if (FORBIDDEN_CHARS.test(prefix)) throw new InvalidKeyError("prefix contains control or invalid characters");
  if (prefix.includes("\\")) throw new InvalidKeyError("prefix contains a backslash");
  if (prefix.startsWith("/")) throw new InvalidKeyError("prefix must not start with '/'");
}

/** Throws InvalidKeyError unless `bucket` is one of BUCKETS (values arrive from HTTP too). */
export function assertBucket(bucket: string): asserts bucket is Bucket {
  if (!isBucket(bucket)) throw new InvalidKeyError(`unknown bucket '${String(bucket).slice(0, 64)}'`);
}

/** Percent-encodes each segment, keeping '/' separators: "a b/c" → "a%20b/c". */
export function encodeKeyPath(key: string): string {
  return key.split("/").map(encodeURIComponent).join("/");
}

/** Orders keys by their UTF-8 bytes, the order S3 lists them in. */
export function compareKeys(a: string, b: string): number {
  const x = encoder.encode(a);
  const y = encoder.encode(b);
  const n = Math.min(x.length, y.length);
  for (let i = 0; i < n; i++) {
    if (x[i] !== y[i]) return x[i]! - y[i]!;
  }
  return x.length - y.length;
}
