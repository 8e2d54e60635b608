// API keys' SQL and the operations on them: create (the secret is returned this once), exchange a
// key for a session, load the actor behind a session, list, delete.
import type { Db, Sql } from "../db/connect.ts";
import { invalid, notFound } from "../errors.ts";
import { ulid } from "../runs/ulid.ts";
import { checkName } from "../spaces/space.ts";
import { spaceTree } from "../spaces/queries.ts";
import { hashSecret, newSecret, secretMatches } from "./api_key.ts";
import { issueSession } from "./jwt.ts";
import { requireRole, type Actor, type Role } from "./roles.ts";
import { decideLogin, loginGrant, mergeRoles, saveLoginGrant } from "../policies/login.ts";

export type ApiKey = Readonly<{
  id: string;
  name: string;
  description: string;
  admin: boolean;
  createdBy: string;
  createdAt: Date;
  lastUsedAt: Date | null;
  deleted: boolean;
  accessRules: ReadonlyArray<Readonly<{ space: string; role: Role }>>;
}>;

export type NewApiKey = Readonly<{ name: string; description?: string | null; admin: boolean; accessRules?: ReadonlyArray<Readonly<{ space: string; role: Role }>> | null }>;

type Row = { id: string; name: string; description: string; admin: boolean; created_by: string; created_at: Date; last_used_at: Date | null; deleted_at: Date | null; rules: Array<{ space: string; role: Role }> | null };

const toKey = (r: Row): ApiKey => ({
  id: r.id,
  name: r.name,
  description: r.description,
  admin: r.admin,
  createdBy: r.created_by,
  createdAt: r.created_at,
  lastUsedAt: r.last_used_at,
  deleted: r.deleted_at !== null,
  accessRules: r.rules ?? [],
});

const selectKeys = (db: Db) => db`
  select k.id, k.name, k.description, k.admin, k.created_by, k.created_at, k.last_used_at, k.deleted_at,
    (select json_agg(json_build_object('space', r.space_id, 'role', r.role) order by r.space_id) from api_key_roles r where r.api_key_id = k.id) as rules
  from api_keys k`;

/** Inserts a key and its roles; returns the key and its secret, which is never readable again. */
export async function insertApiKey(db: Db, createdBy: string, input: NewApiKey): Promise<{ key: ApiKey; secret: string }> {
  checkName(input.name, "API key");
  const id = ulid();
  const secret = newSecret();
  const { salt, hash } = await hashSecret(secret);
  await db`insert into api_keys (id, name, description, secret_salt, secret_hash, admin, created_by)
    values (${id}, ${input.name}, ${input.description ?? ""}, ${salt}, ${hash}, ${input.admin}, ${createdBy})`;
  const rules = input.accessRules ?? [];
  if (new Set(rules.map((r) => r.space)).size !== rules.length) throw invalid("one access rule per space");
  if (rules.length > 0) {
    await db`insert into api_key_roles (api_key_id, space_id, role)
      select ${id}, space, role from unnest(${rules.map((r) => r.space)}::text[], ${rules.map((r) => r.role)}::text[]) as t(space, role)`;
  }
  const [row] = await db<Row[]>`${selectKeys(db)} where k.id = ${id}`;
  return { key: toKey(row), secret };
}

/** apiKeyCreate: root-space admins only. */
export async function createApiKey(sql: Sql, actor: Actor, input: NewApiKey): Promise<{ key: ApiKey; secret: string }> {
  const tree = await spaceTree(sql);
  requireRole(actor, tree, "root", "admin", "creating an API key");
  for (const rule of input.accessRules ?? []) if (!tree.has(rule.space)) throw notFound(`space ${rule.space}`);
  return sql.begin((tx) => insertApiKey(tx, actor.login, input));
}

export async function getApiKey(db: Db, id: string): Promise<ApiKey | null> {
  const [row] = await db<Row[]>`${selectKeys(db)} where k.id = ${id}`;
  return row ? toKey(row) : null;
}

export async function listApiKeys(db: Db): Promise<ApiKey[]> {
  return (await db<Row[]>`${selectKeys(db)} where k.deleted_at is null order by k.id`).map(toKey);
}

export async function deleteApiKey(sql: Sql, actor: Actor, id: string): Promise<ApiKey> {
  requireRole(actor, await spaceTree(sql), "root", "admin", "deleting an API key");
  const [row] = await sql<{ id: string }[]>`update api_keys set deleted_at = now() where id = ${id} and deleted_at is null returning id`;
  if (!row) throw notFound(`API key ${id}`);
  return (await getApiKey(sql, id)) as ApiKey;
}

/**
 * apiKeyUser: a session for a live key whose secret matches, else null (the provider reads null as
 * "no such API user").
 */
export async function exchangeApiKey(db: Db, id: string, secret: string, jwtKey: Buffer, audience: string): Promise<{ id: string; jwt: string; validUntil: number } | null> {
  const [row] = await db<{ secret_salt: Buffer; secret_hash: Buffer }[]>`
    select secret_salt, secret_hash from api_keys where id = ${id} and deleted_at is null`;
  if (!row || !(await secretMatches(secret, row.secret_salt, row.secret_hash))) return null;
  // Login policies (shared/policies/login.ts): a denied key gets no session; grants are kept for actorForKey.
  const key = await getApiKey(db, id);
  if (!key) return null;
  const login = await decideLogin(db, { id, name: key.name, admin: key.admin, roles: Object.fromEntries(key.accessRules.map((r) => [r.space, r.role])) });
  if (login && !login.allowed) return null;
  await saveLoginGrant(db, id, login);
  await db`update api_keys set last_used_at = now() where id = ${id}`;
  return { id, ...issueSession(jwtKey, id, audience) };
}

/** The actor behind a session's key id, or null when the key is gone. */
export async function actorForKey(db: Db, id: string): Promise<Actor | null> {
  const key = await getApiKey(db, id);
  if (!key || key.deleted) return null;
  const own = Object.fromEntries(key.accessRules.map((r) => [r.space, r.role]));
  const grant = key.admin ? null : await loginGrant(db, id);
  return {
    id: key.id,
    login: `api::${key.id}`,
    name: key.name,
    admin: key.admin || (grant?.admin ?? false),
    roles: grant ? mergeRoles(own, grant.roles) : own,
  };
}
