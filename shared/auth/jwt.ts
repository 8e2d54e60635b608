// HS256 JSON Web Tokens for API sessions. `aud` is the public base URL: Spacelift's Terraform
// provider sends every request after the key exchange to aud[0] + "/graphql".
import { createHmac, timingSafeEqual } from "node:crypto";

export const SESSION_SECONDS = 3600;

export type Claims = Readonly<{ iss: string; sub: string; aud: readonly string[]; iat: number; exp: number }>;

const b64 = (value: string | Buffer) => Buffer.from(value).toString("base64url");
const HEADER = b64(JSON.stringify({ alg: "HS256", typ: "JWT" }));

export function signJwt(key: Buffer, claims: Claims): string {
  const body = `${HEADER}.${b64(JSON.stringify(claims))}`;
  return `${body}.${createHmac("sha256", key).update(body).digest("base64url")}`;
}

export function issueSession(key: Buffer, subject: string, audience: string, now = Math.floor(Date.now() / 1000)): { jwt: string; validUntil: number } {
  const exp = now + SESSION_SECONDS;
  return { jwt: signJwt(key, { iss: "gantry", sub: subject, aud: [audience], iat: now, exp }), validUntil: exp };
}

/** The claims of a valid, unexpired token for `audience`, else null. */
export function verifyJwt(key: Buffer, token: string, audience: string, now = Math.floor(Date.now() / 1000)): Claims | null {
  const parts = token.split(".");
  if (parts.length !== 3 || parts[0] !== HEADER) return null;
  const expected = createHmac("sha256", key).update(`${parts[0]}.${parts[1]}`).digest();
  const given = Buffer.from(parts[2], "base64url");
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return null;
  let claims: Claims;
  try {
    claims = JSON.parse(Buffer.from(parts[1], "base64url").toString("utf8"));
  } catch {
    return null;
  }
  if (typeof claims.sub !== "string" || typeof claims.exp !== "number" || !Array.isArray(claims.aud)) return null;
  if (claims.exp <= now || !claims.aud.includes(audience)) return null;
  return claims;
}
