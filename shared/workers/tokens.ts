// Tokens the server gives workers, signed with keys derived from the installation's secret key
// (never stored): a worker token for /worker/* calls, and a run token scoped to one run and one
// worker, which expires. Either is also refused once the database says the worker left or no
// longer holds the run (see operations.ts).
import { signJwt, verifyJwt } from "../auth/jwt.ts";

export const WORKER_TOKEN_SECONDS = 30 * 24 * 3600;

const now = () => Math.floor(Date.now() / 1000);

export function issueWorkerToken(key: Buffer, workerId: string, poolId: string): string {
  const iat = now();
  return signJwt(key, { iss: "gantry", sub: workerId, aud: [`worker:${poolId}`], iat, exp: iat + WORKER_TOKEN_SECONDS });
}

/** The worker and pool a worker token names, or null when it is bad or expired. */
export function verifyWorkerToken(key: Buffer, token: string): { workerId: string; poolId: string } | null {
  const claims = decodeUnverifiedAudience(token);
  if (!claims?.startsWith("worker:")) return null;
  const verified = verifyJwt(key, token, claims);
  return verified ? { workerId: verified.sub, poolId: claims.slice("worker:".length) } : null;
}

/**
 * A run token: for one run, one worker and one hand-over (the n-th time a worker accepted the run:
 * planning is 1, the apply after confirmation 2, …), so a token from planning cannot speak for the
 * apply even when the same worker takes both. It lives as long as the run may (`seconds`).
 */
export function issueRunToken(key: Buffer, runId: string, workerId: string, handover: number, seconds: number): string {
  const iat = now();
  return signJwt(key, { iss: "gantry", sub: runId, aud: [`run-worker:${workerId}:${handover}`], iat, exp: iat + seconds });
}

/** The worker and hand-over a run token was issued for, when it is valid for `runId`; else null. */
export function verifyRunToken(key: Buffer, token: string, runId: string): { workerId: string; handover: number } | null {
  const audience = decodeUnverifiedAudience(token);
  const parts = /^run-worker:([0-9A-Z]{26}):([0-9]{1,6})$/.exec(audience ?? "");
  if (!parts) return null;
  const verified = verifyJwt(key, token, audience as string);
  if (!verified || verified.sub !== runId) return null;
  return { workerId: parts[1], handover: Number(parts[2]) };
}

/** The first audience of a token, read before its signature is checked (only to choose what to check). */
function decodeUnverifiedAudience(token: string): string | null {
  try {
    const claims = JSON.parse(Buffer.from(token.split(".")[1] ?? "", "base64url").toString("utf8"));
    return Array.isArray(claims?.aud) && typeof claims.aud[0] === "string" ? claims.aud[0] : null;
  } catch {
    return null;
  }
}
