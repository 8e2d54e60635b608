// Who is calling and what they may do. Roles are bound to spaces and inherited by subspaces: a
// caller's role in a space is the strongest role bound to that space or any of its ancestors. An
// administrative API key is an admin of the root space, hence of every space.
import { GantryError } from "../errors.ts";

export const ROLES = Object.freeze(["read", "write", "admin"] as const);
export type Role = (typeof ROLES)[number];
const RANK: Readonly<Record<Role, number>> = Object.freeze({ read: 1, write: 2, admin: 3 });

export type Actor = Readonly<{
  /** API key id (or "system"). */
  id: string;
  /** How the actor appears in run history, triggeredBy and the audit trail: api::<key id>. */
  login: string;
  name: string;
  admin: boolean;
  roles: Readonly<Record<string, Role>>;
}>;

/** Space id → parent id (null for root). */
export type SpaceTree = ReadonlyMap<string, string | null>;

export const SYSTEM_ACTOR: Actor = Object.freeze({ id: "system", login: "system", name: "Gantry", admin: true, roles: Object.freeze({ root: "admin" as Role }) });

export const atLeast = (role: Role | null, needed: Role): boolean => role !== null && RANK[role] >= RANK[needed];

export function roleIn(actor: Actor, tree: SpaceTree, spaceId: string): Role | null {
  if (actor.admin) return "admin";
  let best: Role | null = null;
  const seen = new Set<string>();
  for (let at: string | null | undefined = spaceId; at != null && !seen.has(at); at = tree.get(at)) {
    seen.add(at);
    const bound = actor.roles[at];
    if (bound && (best === null || RANK[bound] > RANK[best])) best = bound;
  }
  return best;
}

/** Throws Forbidden ("unauthorized: …", the word clients look for) unless the actor has `needed` in the space. */
export function requireRole(actor: Actor, tree: SpaceTree, spaceId: string, needed: Role, doing: string): Role {
  const role = roleIn(actor, tree, spaceId);
  if (!atLeast(role, needed)) throw new GantryError("Forbidden", `unauthorized: ${doing} needs the ${needed} role in space ${spaceId}`);
  return role as Role;
}

export function readableSpaces(actor: Actor, tree: SpaceTree): string[] {
  return [...tree.keys()].filter((id) => roleIn(actor, tree, id) !== null);
}

export const parseRole = (value: string): Role => {
  const role = value.toLowerCase();
  if (!(ROLES as readonly string[]).includes(role)) throw new GantryError("Invalid", `unknown access level "${value}" (READ, WRITE or ADMIN)`);
  return role as Role;
};
