// Verifying webhook deliveries, in constant time. GitHub signs the raw body:
// X-Hub-Signature-256: sha256=<hex HMAC-SHA256(secret, body)>. GitLab sends the secret token itself
// in X-Gitlab-Token; it is compared through SHA-256 digests so lengths leak nothing either.
import { createHash, createHmac, timingSafeEqual } from "node:crypto";
import type { WebhookSecret } from "./queries.ts";

export function githubSignature(secret: string, body: Uint8Array): string {
  return `sha256=${createHmac("sha256", secret).update(body).digest("hex")}`;
}

/** The integration whose secret signed the body, or null. Every candidate is checked (no early exit on a match's position). */
export function verifyGithub(secrets: readonly WebhookSecret[], body: Uint8Array, header: string | null | undefined): string | null {
  if (!header || !/^sha256=[0-9a-f]{64}$/i.test(header)) return null;
  const given = Buffer.from(header.slice(7).toLowerCase(), "hex");
  let found: string | null = null;
  for (const s of secrets) {
    const expected = createHmac("sha256", s.secret).update(body).digest();
    if (timingSafeEqual(expected, given) && found === null) found = s.integrationId;
  }
  return found;
}

const digest = (value: string) => createHash("sha256").update(value, "utf8").digest();

export function verifyGitlab(secrets: readonly WebhookSecret[], header: string | null | undefined): string | null {
  if (!header) return null;
  const given = digest(header);
  let found: string | null = null;
  for (const s of secrets) if (timingSafeEqual(digest(s.secret), given) && found === null) found = s.integrationId;
  return found;
}
