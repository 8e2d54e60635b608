/**
 * Presigned URLs of the filesystem backend.
 *
 *   ${publicUrl}/blobs/<bucket>/<percent-encoded key>?method=GET|PUT&expires=<unix s>&signature=<hex>
 *
 * signature = hex(HMAC-SHA256(signingKey, "METHOD\nbucket\nkey\nexpires")).
 * Keys cannot contain control characters, so the newline-joined fields are
 * unambiguous. A URL is bound to one method, one object and one deadline.
 */
import { Buffer } from "node:buffer";
import { createHmac, timingSafeEqual } from "node:crypto";
import { encodeKeyPath } from "./keys.ts";
import type { PresignMethod } from "./object_store.ts";

export const MIN_SIGNING_KEY_BYTES = 32;

export function signature(
  signingKey: Uint8Array,
  method: PresignMethod,
  bucket: string,
  key: string,
  expires: number,
): string {
  return createHmac("sha256", signingKey).update(`${method}\n${bucket}\n${key}\n${expires}`, "utf8").digest("hex");
}

/** Builds a signed URL. `publicUrl` is the server base URL (trailing '/' allowed). */
export function signUrl(
  signingKey: Uint8Array,
  publicUrl: string,
  method: PresignMethod,
  bucket: string,
  key: string,
  expires: number,
): string {
  const base = publicUrl.replace(/\/+$/, "");
  const sig = signature(signingKey, method, bucket, key, expires);
  return `${base}/blobs/${bucket}/${encodeKeyPath(key)}?method=${method}&expires=${expires}&signature=${sig}`;
}

export interface SignedRequest {
  /** HTTP method of the request; HEAD is accepted where GET was signed. */
  method: string;
  bucket: string;
  /** The decoded key. */
  key: string;
  /** The `method`, `expires` and `signature` query parameters, as received. */
  query: { method?: string; expires?: string; signature?: string };
}

export type SignatureErrorCode =
  | "SignatureRequired"
  | "SignatureInvalid"
  | "SignatureMethodMismatch"
  | "SignatureExpired";

export type VerifyResult = { ok: true } | { ok: false; code: SignatureErrorCode; message: string };

/**
 * Checks a request against its signed URL parameters. The signature is
 * compared in constant time before anything else is reported, so only
 * authentic URLs learn whether they expired or were used with the wrong method.
 * Messages never contain the signature.
 */
export function verifySignedRequest(signingKey: Uint8Array, req: SignedRequest, nowMs: number = Date.now()): VerifyResult {
  const { method: signedMethod, expires, signature: provided } = req.query;
  if (!signedMethod || !expires || !provided) {
    return { ok: false, code: "SignatureRequired", message: "a signed URL is required (method, expires, signature)" };
  }
  if ((signedMethod !== "GET" && signedMethod !== "PUT") || !/^\d{1,12}$/.test(expires) || !/^[0-9a-f]{64}$/.test(provided)) {
    return { ok: false, code: "SignatureInvalid", message: "malformed signed URL parameters" };
  }
  const expected = Buffer.from(signature(signingKey, signedMethod, req.bucket, req.key, Number(expires)), "hex");
  if (!timingSafeEqual(expected, Buffer.from(provided, "hex"))) {
    return { ok: false, code: "SignatureInvalid", message: "signature does not match" };
  }
  const requestMethod = req.method.toUpperCase() === "HEAD" ? "GET" : req.method.toUpperCase();
  if (requestMethod !== signedMethod) {
    return { ok: false, code: "SignatureMethodMismatch", message: `URL was signed for ${signedMethod}, not ${req.method}` };
  }
  if (nowMs / 1000 > Number(expires)) {
    return { ok: false, code: "SignatureExpired", message: "signed URL has expired" };
  }
  return { ok: true };
}
