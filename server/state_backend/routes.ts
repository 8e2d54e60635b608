// Terraform's `http` state backend, mounted at /state: /state/:stackId answers GET (the current
// state; 204 before the first write), POST (a new version; ?ID= is the lock ID Terraform holds),
// DELETE (no current state any more), LOCK and UNLOCK (Terraform's default lock methods, the lock
// info JSON in the body; `terraform force-unlock` sends UNLOCK without one, which releases any
// lock). A lock held by another answers 423 with the holder's lock info; a write with the wrong
// lock ID 409. Basic auth: a run's credentials, or an API key to read
// (shared/state/credentials.ts). Handlers parse, call shared/state and answer; other errors go
// through the app's onError.
import { Hono, type Context as HonoContext } from "hono";
import { createHash } from "node:crypto";
import type { Sql } from "../../shared/db/connect.ts";
import { GantryError, invalid } from "../../shared/errors.ts";
import type { ObjectStore } from "../../shared/storage/object_store.ts";
import { recordAudit } from "../../shared/audit/queries.ts";
import { authenticateStateCaller } from "../../shared/state/credentials.ts";
import { acquireStateLock, forceReleaseStateLock, MAX_LOCK_INFO_BYTES, parseLockInfo, releaseStateLock, StateLockedError } from "../../shared/state/lock.ts";
import { authorizeStateRequest, managedStack, STATE_METHODS, type StateMethod } from "../../shared/state/operations.ts";
import { getCurrentVersion, purgeState, readVersion, writeState } from "../../shared/state/versions.ts";

export type StateBackendDeps = Readonly<{
  sql: Sql;
  store: ObjectStore;
  /** deriveKey(secret key, "state-backend"): checks runs' credentials. */
  key: Buffer;
  /** The largest state accepted (STATE_MAX_BYTES). */
  maxBytes: number;
}>;

class TooLargeError extends Error {}

/** The request body, refused (413) past `max` bytes without reading further. */
async function readBody(request: Request, max: number): Promise<Uint8Array> {
  const declared = Number(request.headers.get("content-length") ?? "NaN");
  if (declared > max) throw new TooLargeError(`the body (${declared} bytes) is larger than ${max} bytes`);
  if (!request.body) return new Uint8Array(0);
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.length;
    if (total > max) {
      await reader.cancel().catch(() => {});
      throw new TooLargeError(`the body is larger than ${max} bytes`);
    }
    chunks.push(value);
  }
  return chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, total);
}

/** Terraform sends Content-MD5 with every body: a mismatch means it was damaged on the way. */
function checkContentMd5(c: HonoContext, bytes: Uint8Array): void {
  const given = c.req.header("content-md5");
  if (given && createHash("md5").update(bytes).digest("base64") !== given) throw invalid("Content-MD5 does not match the body: it was truncated or corrupted in transit");
}

export function stateBackendRoutes(deps: StateBackendDeps): Hono {
  const app = new Hono();
  app.on([...STATE_METHODS], "/:stackId", async (c) => {
    const method = c.req.method.toUpperCase() as StateMethod;
    const stackId = c.req.param("stackId");
    try {
      const caller = await authenticateStateCaller(deps.sql, deps.key, stackId, c.req.header("authorization"));
      const stack = await managedStack(deps.sql, stackId);
      await authorizeStateRequest(deps.sql, caller, stack, method);
      const runId = caller.kind === "run" ? caller.runId : null;
      switch (method) {
        case "GET": {
          const version = await getCurrentVersion(deps.sql, stackId);
          if (!version) return c.body(null, 204);
          const bytes = await readVersion(deps.store, version);
          return c.body(bytes as Uint8Array<ArrayBuffer>, 200, {
            "content-type": "application/json",
            "content-md5": createHash("md5").update(bytes).digest("base64"),
            "x-gantry-state-version": version.id,
          });
        }
        case "POST": {
          const bytes = await readBody(c.req.raw, deps.maxBytes);
          checkContentMd5(c, bytes);
          const { version, created } = await writeState(deps.sql, deps.store, {
            stackId,
            bytes,
            kind: "WRITE",
            runId,
            actor: caller.kind === "run" ? caller.actor : caller.actor.login,
            lockId: c.req.query("ID") ?? null,
            force: false,
          });
          return c.json({ version: version.id, serial: version.serial, created });
        }
        case "DELETE":
          await purgeState(deps.sql, stackId, runId);
          return c.json({ deleted: true });
        case "LOCK": {
          const info = parseLockInfo(await readBody(c.req.raw, MAX_LOCK_INFO_BYTES));
          const lock = await acquireStateLock(deps.sql, stackId, info, runId);
          return c.json(lock.info);
        }
        case "UNLOCK": {
          const body = await readBody(c.req.raw, MAX_LOCK_INFO_BYTES);
          const mayUnlockOthers = caller.kind === "run" && caller.runType !== "PROPOSED";
          if (body.length === 0) {
            // `terraform force-unlock ID` sends UNLOCK without a body: whatever holds the lock loses it.
            if (!mayUnlockOthers) throw new GantryError("Forbidden", "unauthorized: a proposed run only releases its own lock");
            const released = await forceReleaseStateLock(deps.sql, stackId);
            if (released) await recordAudit(deps.sql, { actor: caller.kind === "run" ? caller.actor : "anonymous", action: "stack.state.force_unlock", targetType: "stack", targetId: stackId, outcome: "success", error: null });
            return c.json({ unlocked: released !== null });
          }
          await releaseStateLock(deps.sql, stackId, parseLockInfo(body).ID, runId, mayUnlockOthers);
          return c.json({ unlocked: true });
        }
      }
    } catch (error) {
      if (error instanceof StateLockedError) return c.json(error.holder.info, 423);
      if (error instanceof TooLargeError) return c.json({ error: { code: "Invalid", message: `state refused: ${error.message} (STATE_MAX_BYTES)` } }, 413);
      if (error instanceof GantryError && error.code === "Unauthorized") {
        return c.json({ error: { code: error.code, message: error.message } }, 401, { "www-authenticate": 'Basic realm="gantry-state"' });
      }
      throw error;
    }
  });
  return app;
}
