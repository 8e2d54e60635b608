/**
 * The object storage interface shared by every Gantry component, and the
 * fixed list of logical buckets (one per storage purpose, as in Spacelift).
 *
 * Backends: ./filesystem.ts (local disk, URLs served by the Gantry server)
 * and ./s3.ts (AWS S3 or any S3-compatible store). Build one from config with
 * createObjectStore() in ./create.ts.
 */

export const BUCKETS = Object.freeze(
  [
    "deliveries",
    "large_queue_messages",
    "metadata",
    "modules",
    "policy_inputs",
    "run_logs",
    "states",
    "uploads",
    "user_uploaded_workspaces",
    "workspace",
  ] as const,
);

export type Bucket = (typeof BUCKETS)[number];

export type PresignMethod = "GET" | "PUT";

export interface PutOptions {
  /** MIME type stored with the object (S3). The filesystem backend ignores it. */
  contentType?: string;
}

export interface ObjectInfo {
  size: number;
  etag?: string;
}

/** Longest lifetime of a presigned URL, in seconds (7 days, the S3 limit). */
export const MAX_PRESIGN_SECONDS = 604_800;

export interface ObjectStore {
  /** Writes the whole object atomically, replacing any previous version. */
  put(bucket: Bucket, key: string, body: Uint8Array | string, opts?: PutOptions): Promise<void>;
  /** The object's bytes, or null when it does not exist. */
  get(bucket: Bucket, key: string): Promise<Uint8Array | null>;
  /** Size (and an opaque etag when known), or null when it does not exist. */
  head(bucket: Bucket, key: string): Promise<ObjectInfo | null>;
  /** Removes the object. Deleting a missing object succeeds. */
  delete(bucket: Bucket, key: string): Promise<void>;
  /** Every key starting with `prefix`, recursively, sorted by UTF-8 bytes. */
  list(bucket: Bucket, prefix?: string): Promise<string[]>;
  /** An absolute URL allowing exactly `method` on this object until it expires. */
  presign(bucket: Bucket, key: string, method: PresignMethod, expiresInSeconds: number): Promise<string>;
  /** Resolves when the storage is reachable and usable (for /readyz). */
  check(): Promise<void>;
  /** Releases connections; the store must not be used afterwards. */
  close(): Promise<void>;
}

export function isBucket(value: string): value is Bucket {
  return (BUCKETS as readonly string[]).includes(value);
}

/** Throws RangeError unless `seconds` is a whole number in 1..MAX_PRESIGN_SECONDS. */
export function assertPresignExpiry(seconds: number): void {
  if (!Number.isInteger(seconds) || seconds < 1 || seconds > MAX_PRESIGN_SECONDS) {
    throw new RangeError(
      `expiresInSeconds must be a whole number between 1 and ${MAX_PRESIGN_SECONDS}, got ${seconds}`,
    );
  }
}
