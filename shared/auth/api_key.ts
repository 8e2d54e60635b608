// API key secrets: random, shown once, stored as scrypt(secret, per-key salt); compared in
// constant time.
import { randomBytes, scrypt, timingSafeEqual } from "node:crypto";

const KEY_LENGTH = 32;

export function newSecret(): string {
  return randomBytes(32).toString("base64url");
}

export function hashSecret(secret: string, salt: Buffer = randomBytes(16)): Promise<{ salt: Buffer; hash: Buffer }> {
  return new Promise((resolve, reject) =>
    scrypt(secret, salt, KEY_LENGTH, (error, hash) => (error ? reject(error) : resolve({ salt, hash }))),
  );
}

export async function secretMatches(secret: string, salt: Buffer, hash: Buffer): Promise<boolean> {
  const candidate = await hashSecret(secret, salt);
  return candidate.hash.length === hash.length && timingSafeEqual(candidate.hash, hash);
}
