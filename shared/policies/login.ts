// LOGIN policies, evaluated when an API key is exchanged for a session (apiKeyUser). Without login
// policies nothing changes. With them, for a non-admin key: `deny` refuses the session; `admin`
// makes the session admin; `roles[<space id>]` (a set of read/write/admin, any case) and the legacy
// `space_read`/`space_write`/`space_admin` sets grant roles on top of the key's own; `allow` alone
// admits the key with its own roles. Administrative keys are not subject to login policies (as
// Spacelift's root keys), so nobody locks the installation out. An evaluation error denies.
import type { Db } from "../db/connect.ts";
import { ROLES, type Role } from "../auth/roles.ts";
import { spaceTree } from "../spaces/queries.ts";
import { listSpaces } from "../spaces/queries.ts";
import { bool, evaluatePolicies, strings } from "./evaluation.ts";
import { policiesInScope } from "./queries.ts";

export type LoginKey = Readonly<{ id: string; name: string; admin: boolean; roles: Readonly<Record<string, Role>> }>;
export type LoginDecision = Readonly<{ allowed: boolean; admin: boolean; roles: Readonly<Record<string, Role>>; reason: string }>;

const RANK: Readonly<Record<Role, number>> = { read: 1, write: 2, admin: 3 };
const stronger = (a: Role | undefined, b: Role): Role => (a && RANK[a] >= RANK[b] ? a : b);

function readRoles(doc: Readonly<Record<string, unknown>>): Record<string, Role> {
  const out: Record<string, Role> = {};
  const grant = (space: string, value: string) => {
    const role = value.toLowerCase() as Role;
    if ((ROLES as readonly string[]).includes(role)) out[space] = stronger(out[space], role);
  };
  const roles = doc.roles;
  if (roles && typeof roles === "object" && !Array.isArray(roles)) {
    for (const [space, set] of Object.entries(roles)) for (const r of strings(set)) grant(space, r);
  }
  for (const [rule, role] of [["space_read", "read"], ["space_write", "write"], ["space_admin", "admin"]] as const) for (const space of strings(doc[rule])) grant(space, role);
  return out;
}

/** Evaluates the login policies for a key; null when there are none (the key's own roles apply). */
export async function decideLogin(db: Db, key: LoginKey): Promise<LoginDecision | null> {
  if (key.admin) return null;
  const tree = await spaceTree(db);
  const policies = await policiesInScope(db, tree, null, "LOGIN");
  if (policies.length === 0) return null;
  const spaces = await listSpaces(db);
  const input = {
    request: { remote_ip: "", timestamp_ns: Date.now() * 1_000_000 },
    session: { login: `api::${key.id}`, name: key.name, teams: [] as string[], member: true, admin: false, machine: true, creator_ip: "", account_name: "gantry" },
    spaces: spaces.map((s) => ({ id: s.id, name: s.name, labels: [...s.labels] })),
    roles: ROLES.map((r) => ({ id: r, name: r.toUpperCase(), slug: r, ulid: r })),
  };
  const evaluations = await evaluatePolicies(db, policies, input, (doc) => {
    const decision = { allow: bool(doc.allow), admin: bool(doc.admin), deny: bool(doc.deny), roles: readRoles(doc) };
    const outcome = decision.deny ? "deny" : decision.admin ? "admin" : decision.allow || Object.keys(decision.roles).length ? "allow" : "undecided";
    return { outcome, messages: [], decision };
  }, { kind: "LOGIN" });
  let admin = false;
  const roles: Record<string, Role> = {};
  for (const e of evaluations) {
    if (!e.verdict) return { allowed: false, admin: false, roles: {}, reason: `login policy ${e.policy.id} failed closed: ${e.error}` };
    if (e.verdict.decision.deny) return { allowed: false, admin: false, roles: {}, reason: `denied by login policy ${e.policy.id}` };
    admin ||= e.verdict.decision.admin;
    for (const [space, role] of Object.entries(e.verdict.decision.roles)) roles[space] = stronger(roles[space], role);
  }
  return { allowed: true, admin, roles, reason: "admitted" };
}

/** Stores what the policies granted, read back by actorForKey for every request of the session. */
export async function saveLoginGrant(db: Db, keyId: string, decision: LoginDecision | null): Promise<void> {
  if (!decision) {
    await db`delete from login_grants where api_key_id = ${keyId}`;
    return;
  }
  await db`
    insert into login_grants (api_key_id, admin, roles) values (${keyId}, ${decision.admin}, ${db.json(decision.roles as never)})
    on conflict (api_key_id) do update set admin = excluded.admin, roles = excluded.roles, granted_at = now()`;
}

/** The grant of the key's latest login, merged into its roles. */
export async function loginGrant(db: Db, keyId: string): Promise<Readonly<{ admin: boolean; roles: Readonly<Record<string, Role>> }> | null> {
  const [row] = await db<{ admin: boolean; roles: Record<string, Role> }[]>`select admin, roles from login_grants where api_key_id = ${keyId}`;
  return row ?? null;
}

export function mergeRoles(own: Readonly<Record<string, Role>>, granted: Readonly<Record<string, Role>>): Record<string, Role> {
  const out: Record<string, Role> = { ...own };
  for (const [space, role] of Object.entries(granted)) out[space] = stronger(out[space], role);
  return out;
}
