/**
 * Test fixture: an in-process s3rver (S3-compatible server) on a free port
 * with a temp directory, started and stopped by the tests that use it.
 *
 * s3rver builds ListObjectsV2 continuation tokens with single DES, which
 * OpenSSL 3 (Node >= 17) only offers through the legacy provider, so every
 * truncated listing would fail with a 500. While a fixture is running, "des"
 * ciphers are swapped for an identity transform: s3rver only ever decrypts
 * its own tokens, so pagination works and nothing else is affected.
 * s3rver also does not verify SigV4 signatures (see s3_test.ts).
 */
import { Buffer } from "node:buffer";
import crypto from "node:crypto";
import * as fs from "node:fs/promises";
import * as os from "node:os";
import * as path from "node:path";
import S3rver from "s3rver";

export interface S3rverFixture {
  endpoint: string;
  close(): Promise<void>;
}

type CipherFactory = (algorithm: string, ...rest: unknown[]) => unknown;
const cryptoExports = crypto as unknown as Record<"createCipheriv" | "createDecipheriv", CipherFactory>;
let shimUsers = 0;
let restore: (() => void) | undefined;

function installDesShim(): void {
  if (shimUsers++ > 0) return;
  const { createCipheriv, createDecipheriv } = cryptoExports;
  const identity = () => ({
    update: (data: string | Uint8Array, encoding?: BufferEncoding) =>
      typeof data === "string" ? Buffer.from(data, encoding ?? "utf8") : Buffer.from(data),
    final: () => Buffer.alloc(0),
  });
  cryptoExports.createCipheriv = (alg, ...rest) => (alg === "des" ? identity() : createCipheriv(alg, ...rest));
  cryptoExports.createDecipheriv = (alg, ...rest) => (alg === "des" ? identity() : createDecipheriv(alg, ...rest));
  restore = () => {
    cryptoExports.createCipheriv = createCipheriv;
    cryptoExports.createDecipheriv = createDecipheriv;
  };
}

function removeDesShim(): void {
  if (--shimUsers === 0) restore?.();
}

/** Starts s3rver on 127.0.0.1 with the given (physical) buckets. */
export async function startS3rver(buckets: string[]): Promise<S3rverFixture> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), "gantry-s3rver-"));
  installDesShim();
  const server = new S3rver({
    port: 0,
    address: "127.0.0.1",
    silent: true,
    directory: dir,
    configureBuckets: buckets.map((name) => ({ name })),
  });
  try {
    const addr = await server.run();
    return {
      endpoint: `http://${addr.address}:${addr.port}`,
      async close() {
        try {
          await server.close();
        } finally {
          removeDesShim();
          await fs.rm(dir, { recursive: true, force: true });
        }
      },
    };
  } catch (err) {
    removeDesShim();
    await fs.rm(dir, { recursive: true, force: true });
    throw err;
  }
}
