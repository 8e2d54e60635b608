/** Object storage configuration, filled in by the server's config loader. */
import type { Bucket } from "./object_store.ts";

export interface FilesystemStorageConfig {
  type: "filesystem";
  /** Directory holding <bucket>/<key> files; created if missing. */
  root: string;
  /** Base URL of the Gantry server, e.g. http://localhost:1983; presigned URLs point at `${publicUrl}/blobs/...`. */
  publicUrl: string;
  /** HMAC-SHA256 key for presigned URLs, at least 32 bytes. Rotating it invalidates outstanding URLs. */
  signingKey: Uint8Array;
}

export interface S3StorageConfig {
  type: "s3";
  /** Custom endpoint for S3-compatible stores (MinIO, Ceph, R2...). Omit for AWS. */
  endpoint?: string;
  region: string;
  /** Use http://host/bucket/key URLs instead of http://bucket.host/key (most S3-compatible stores need this). */
  forcePathStyle: boolean;
  /** Static credentials; when omitted the AWS SDK default credential chain is used. */
  accessKeyId?: string;
  secretAccessKey?: string;
  /** Physical bucket name for every logical bucket. */
  buckets: Record<Bucket, string>;
}

export type ObjectStorageConfig = FilesystemStorageConfig | S3StorageConfig;
