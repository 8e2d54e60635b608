// Sealing values at rest: AES-256-GCM under a key derived from the installation's secret key
// (shared/secret_key.ts deriveKey(key, "config-elements")). A sealed value is nonce (12 bytes) ||
// ciphertext || tag (16 bytes); the associated data binds it to where it belongs, so a sealed value
// copied to another row does not open.
import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";

export function seal(key: Buffer, plaintext: string, associated: string): Buffer {
  const nonce = randomBytes(12);
  const cipher = createCipheriv("aes-256-gcm", key, nonce);
  cipher.setAAD(Buffer.from(associated, "utf8"));
  const body = Buffer.concat([cipher.update(plaintext, "utf8"), cipher.final()]);
  return Buffer.concat([nonce, body, cipher.getAuthTag()]);
}

/** The plaintext, or an error when the value was tampered with, moved, or sealed under another key. */
export function unseal(key: Buffer, sealed: Uint8Array, associated: string): string {
  const bytes = Buffer.from(sealed);
  if (bytes.length < 28) throw new Error("sealed value too short");
  const decipher = createDecipheriv("aes-256-gcm", key, bytes.subarray(0, 12));
  decipher.setAAD(Buffer.from(associated, "utf8"));
  decipher.setAuthTag(bytes.subarray(bytes.length - 16));
  return Buffer.concat([decipher.update(bytes.subarray(12, bytes.length - 16)), decipher.final()]).toString("utf8");
}
