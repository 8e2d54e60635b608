// Who may use a stack's state backend (HTTP basic auth):
//   - a run, with the credentials in its RunSpec: username = the run id, password =
//     "<hand-over>.<HMAC-SHA256 under deriveKey(secret key, "state-backend") of the run, stack and
//     hand-over>". Checked against the database on every request: the run has not ended and a
//     worker holds it for that hand-over. They die with the run (or the hand-over) without any
//     revocation list.
//   - a person, with an API key (username = key id, password = secret), for reading only, when
//     the stack's external state access is on and the key has at least read in the stack's space.
import { createHmac, timingSafeEqual } from "node:crypto";
import type { Db } from "../db/connect.ts";
import { GantryError } from "../errors.ts";
import { secretMatches } from "../auth/api_key.ts";
import { actorForKey } from "../auth/queries.ts";
import type { Actor } from "../auth/roles.ts";
import type { RunType } from "../runs/run.ts";
import type { StateBackend } from "../workers/protocol.ts";

export type StateBackendKeys = Readonly<{ key: Buffer; publicUrl: string }>;

export type StateCaller =
  | Readonly<{ kind: "run"; runId: string; runType: RunType; actor: string }>
  | Readonly<{ kind: "user"; actor: Actor }>;

const unauthorized = (why: string) => new GantryError("Unauthorized", `unauthorized: ${why}`);
const forbidden = (why: string) => new GantryError("Forbidden", `unauthorized: ${why}`);

function mac(key: Buffer, runId: string, stackId: string, handover: number): string {
  return createHmac("sha256", key).update(`state-backend\n${runId}\n${stackId}\n${handover}`).digest("base64url");
}

/** The state backend address of a stack. */
export const stateAddress = (publicUrl: string, stackId: string): string => `${publicUrl.replace(/\/+$/, "")}/state/${encodeURIComponent(stackId)}`;

/**
 * The `http` backend settings for a run's hand-over `handover` (how many times a worker has
 * accepted the run, as in its run token). For RunSpec.stateBackend.
 */
export function stateBackendFor(keys: StateBackendKeys, runId: string, stackId: string, handover: number): StateBackend {
  const address = stateAddress(keys.publicUrl, stackId);
  return { address, lockAddress: address, unlockAddress: address, username: runId, password: `${handover}.${mac(keys.key, runId, stackId, handover)}` };
}

export function parseBasicAuth(header: string | null | undefined): { username: string; password: string } | null {
  const encoded = /^Basic\s+([A-Za-z0-9+/=_-]+)\s*$/i.exec(header ?? "")?.[1];
  if (!encoded) return null;
  const decoded = Buffer.from(encoded, "base64").toString("utf8");
  const colon = decoded.indexOf(":");
  return colon < 0 ? null : { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

const RUN_PASSWORD = /^(\d{1,6})\.([A-Za-z0-9_-]{43})$/;

/** The caller behind an Authorization header on the state of `stackId`, or Unauthorized / Forbidden. */
export async function authenticateStateCaller(db: Db, key: Buffer, stackId: string, authorization: string | null | undefined): Promise<StateCaller> {
  const basic = parseBasicAuth(authorization);
  if (!basic) throw unauthorized("basic auth is required: a run's state credentials, or an API key id and secret");
  const run = RUN_PASSWORD.exec(basic.password);
  if (run) {
    const handover = Number(run[1]);
    const expected = Buffer.from(mac(key, basic.username, stackId, handover));
    const given = Buffer.from(run[2]);
    if (expected.length === given.length && timingSafeEqual(expected, given)) return activeRun(db, basic.username, stackId, handover);
  }
  const [row] = await db<{ secret_salt: Buffer; secret_hash: Buffer }[]>`select secret_salt, secret_hash from api_keys where id = ${basic.username} and deleted_at is null`;
  if (!row || !(await secretMatches(basic.password, row.secret_salt, row.secret_hash))) throw unauthorized("invalid state credentials");
  const actor = await actorForKey(db, basic.username);
  if (!actor) throw unauthorized("invalid state credentials");
  return { kind: "user", actor };
}

async function activeRun(db: Db, runId: string, stackId: string, handover: number): Promise<StateCaller> {
  const [row] = await db<{ stack_id: string; type: RunType; terminal: boolean; held: boolean; handovers: number }[]>`
    select r.stack_id, r.type, r.terminal,
      exists (select 1 from workers w join worker_pools p on p.id = w.pool_id
        where w.run_id = r.id and w.run_accepted and w.exited_at is null and w.generation = p.generation) as held,
      (select count(*)::int from run_transitions t where t.run_id = r.id and t.state in ('PREPARING', 'PREPARING_APPLY')) as handovers
    from runs r where r.id = ${runId}`;
  if (!row || row.stack_id !== stackId) throw unauthorized("invalid state credentials");
  if (row.terminal) throw forbidden(`run ${runId} has ended: its state credentials are no longer valid`);
  if (!row.held || row.handovers !== handover) throw forbidden(`no worker holds run ${runId} for these credentials any more`);
  return { kind: "run", runId, runType: row.type, actor: `run::${runId}` };
}
