/**
 * S3 object store (AWS S3 or any S3-compatible service). Presigned URLs are
 * plain SigV4 query-signed URLs that workers use directly against S3.
 */
import process from "node:process";
import {
  DeleteObjectCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
} from "@aws-sdk/client-s3";
import { getSignedUrl } from "@aws-sdk/s3-request-presigner";
import type { S3StorageConfig } from "./config.ts";
import { assertBucket, compareKeys, validateKey, validatePrefix } from "./keys.ts";
import {
  assertPresignExpiry,
  BUCKETS,
  type Bucket,
  type ObjectInfo,
  type ObjectStore,
  type PresignMethod,
  type PutOptions,
} from "./object_store.ts";

// The SDK warns about Node < 22 when the first client is built; Gantry supports Node 20.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";

export interface S3ObjectStoreOptions extends Omit<S3StorageConfig, "type"> {
  /** Clock in epoch milliseconds used to sign URLs, for tests. */
  now?: () => number;
  /** MaxKeys per ListObjectsV2 page (default 1000), for tests. */
  listPageSize?: number;
}

function isNotFound(err: unknown): boolean {
  const e = err as { name?: string; $metadata?: { httpStatusCode?: number } } | null;
  return e?.name === "NoSuchKey" || e?.name === "NotFound";
}

export class S3ObjectStore implements ObjectStore {
  readonly #client: S3Client;
  readonly #buckets: Record<Bucket, string>;
  readonly #now: () => number;
  readonly #pageSize: number | undefined;

  constructor(opts: S3ObjectStoreOptions) {
    if (!opts.region) throw new Error("s3 storage: region is required");
    for (const bucket of BUCKETS) {
      if (!opts.buckets?.[bucket]) throw new Error(`s3 storage: no bucket name configured for '${bucket}'`);
    }
    if (Boolean(opts.accessKeyId) !== Boolean(opts.secretAccessKey)) {
      throw new Error("s3 storage: accessKeyId and secretAccessKey must be set together");
    }
    this.#buckets = { ...opts.buckets };
    this.#now = opts.now ?? Date.now;
    this.#pageSize = opts.listPageSize;
    this.#client = new S3Client({
      region: opts.region,
      endpoint: opts.endpoint,
      forcePathStyle: opts.forcePathStyle,
      credentials:
        opts.accessKeyId && opts.secretAccessKey
          ? { accessKeyId: opts.accessKeyId, secretAccessKey: opts.secretAccessKey }
          : undefined, // default provider chain (env, profile, IMDS, IRSA, ...)
      // Only send/verify the newer flexible checksums when an operation requires
      // them: many S3-compatible stores reject them, and they would be baked into
      // presigned PUT URLs. SigV4 already covers the payload hash.
      requestChecksumCalculation: "WHEN_REQUIRED",
      responseChecksumValidation: "WHEN_REQUIRED",
    });
  }

  #bucket(bucket: string, key?: string): string {
    assertBucket(bucket);
    if (key !== undefined) validateKey(key);
    return this.#buckets[bucket];
  }

  async put(bucket: Bucket, key: string, body: Uint8Array | string, opts?: PutOptions): Promise<void> {
    const Bucket = this.#bucket(bucket, key);
    const bytes = typeof body === "string" ? new TextEncoder().encode(body) : body;
    await this.#client.send(
      new PutObjectCommand({ Bucket, Key: key, Body: bytes, ContentLength: bytes.byteLength, ContentType: opts?.contentType }),
    );
  }

  async get(bucket: Bucket, key: string): Promise<Uint8Array | null> {
    const Bucket = this.#bucket(bucket, key);
    try {
      const res = await this.#client.send(new GetObjectCommand({ Bucket, Key: key }));
      return res.Body ? await res.Body.transformToByteArray() : new Uint8Array(0);
    } catch (err) {
      if (isNotFound(err)) return null;
      throw err;
    }
  }

  async head(bucket: Bucket, key: string): Promise<ObjectInfo | null> {
    const Bucket = this.#bucket(bucket, key);
    try {
      const res = await this.#client.send(new HeadObjectCommand({ Bucket, Key: key }));
      return { size: res.ContentLength ?? 0, etag: res.ETag };
    } catch (err) {
      if (isNotFound(err)) return null;
      throw err;
    }
  }

  async delete(bucket: Bucket, key: string): Promise<void> {
    const Bucket = this.#bucket(bucket, key);
    try {
      await this.#client.send(new DeleteObjectCommand({ Bucket, Key: key }));
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }

  async list(bucket: Bucket, prefix: string = ""): Promise<string[]> {
    const Bucket = this.#bucket(bucket);
    validatePrefix(prefix);
    const keys: string[] = [];
    let token: string | undefined;
    do {
      const page = await this.#client.send(
        new ListObjectsV2Command({
          Bucket,
          Prefix: prefix === "" ? undefined : prefix,
          ContinuationToken: token,
          MaxKeys: this.#pageSize,
        }),
      );
      for (const obj of page.Contents ?? []) if (obj.Key !== undefined) keys.push(obj.Key);
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
    return keys.sort(compareKeys);
  }

  async presign(bucket: Bucket, key: string, method: PresignMethod, expiresInSeconds: number): Promise<string> {
    const Bucket = this.#bucket(bucket, key);
    assertPresignExpiry(expiresInSeconds);
    let command;
    if (method === "GET") command = new GetObjectCommand({ Bucket, Key: key });
    else if (method === "PUT") command = new PutObjectCommand({ Bucket, Key: key });
    else throw new RangeError(`cannot presign method ${String(method)}`);
    return getSignedUrl(this.#client, command, { expiresIn: expiresInSeconds, signingDate: new Date(this.#now()) });
  }

  /** HeadBucket on every configured bucket: reachable, existing and accessible. */
  async check(): Promise<void> {
    const names = [...new Set(Object.values(this.#buckets))];
    await Promise.all(names.map((Bucket) => this.#client.send(new HeadBucketCommand({ Bucket }))));
  }

  async close(): Promise<void> {
    this.#client.destroy();
  }
}
