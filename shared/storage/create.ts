/** Builds the configured object store. */
import type { FilesystemStorageConfig, ObjectStorageConfig, S3StorageConfig } from "./config.ts";
import { FilesystemObjectStore } from "./filesystem.ts";
import { S3ObjectStore } from "./s3.ts";

export function createObjectStore(cfg: FilesystemStorageConfig): FilesystemObjectStore;
export function createObjectStore(cfg: S3StorageConfig): S3ObjectStore;
export function createObjectStore(cfg: ObjectStorageConfig): FilesystemObjectStore | S3ObjectStore;
export function createObjectStore(cfg: ObjectStorageConfig): FilesystemObjectStore | S3ObjectStore {
  switch (cfg.type) {
    case "filesystem":
      return new FilesystemObjectStore({ root: cfg.root, publicUrl: cfg.publicUrl, signingKey: cfg.signingKey });
    case "s3": {
      const { type: _type, ...rest } = cfg;
      return new S3ObjectStore(rest);
    }
    default:
      throw new Error(`unknown object storage type '${(cfg as { type?: unknown }).type}'`);
  }
}
