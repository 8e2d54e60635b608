// Spaces' SQL, and the space tree that role checks walk.
import type { Db, Sql } from "../db/connect.ts";
import { conflict, fromPostgres, invalid, notFound } from "../errors.ts";
import { requireRole, type Actor, type SpaceTree } from "../auth/roles.ts";
import { checkName, checkNoCycle, checkSlug, ROOT_SPACE, slugify, type Space, type SpaceInput } from "./space.ts";

type Row = { id: string; name: string; description: string; parent_space_id: string | null; inherit_entities: boolean; labels: string[]; created_at: Date };
const toSpace = (r: Row): Space => ({
  id: r.id,
  name: r.name,
  description: r.description,
  parentSpaceId: r.parent_space_id,
  inheritEntities: r.inherit_entities,
  labels: r.labels,
  createdAt: r.created_at,
});

export async function spaceTree(db: Db): Promise<SpaceTree> {
  const rows = await db<{ id: string; parent_space_id: string | null }[]>`select id, parent_space_id from spaces`;
  return new Map(rows.map((r) => [r.id, r.parent_space_id]));
}

export async function listSpaces(db: Db): Promise<Space[]> {
  return (await db<Row[]>`select * from spaces order by id`).map(toSpace);
}

export async function getSpace(db: Db, id: string): Promise<Space | null> {
  const [row] = await db<Row[]>`select * from spaces where id = ${id}`;
  return row ? toSpace(row) : null;
}

export async function createSpace(sql: Sql, actor: Actor, input: SpaceInput): Promise<Space> {
  checkName(input.name, "space");
  const id = checkSlug(slugify(input.name), "space");
  const tree = await spaceTree(sql);
  if (!tree.has(input.parentSpace)) throw notFound(`space ${input.parentSpace}`);
  requireRole(actor, tree, input.parentSpace, "admin", "creating a space");
  try {
    const [row] = await sql<Row[]>`
      insert into spaces (id, name, description, parent_space_id, inherit_entities, labels)
      values (${id}, ${input.name}, ${input.description ?? ""}, ${input.parentSpace}, ${input.inheritEntities ?? false}, ${[...(input.labels ?? [])]})
      returning *`;
    return toSpace(row);
  } catch (error) {
    const mapped = fromPostgres(error);
    if ((mapped as { code?: string }).code === "Conflict") throw conflict(`a space with id "${id}" already exists`);
    throw mapped;
  }
}

export async function updateSpace(sql: Sql, actor: Actor, id: string, input: SpaceInput): Promise<Space> {
  checkName(input.name, "space");
  const tree = await spaceTree(sql);
  if (!tree.has(id)) throw notFound(`space ${id}`);
  requireRole(actor, tree, id, "admin", "updating a space");
  if (id === ROOT_SPACE && input.parentSpace !== ROOT_SPACE) throw invalid("the root space has no parent");
  const parent = id === ROOT_SPACE ? null : input.parentSpace;
  if (parent !== null) {
    if (!tree.has(parent)) throw notFound(`space ${parent}`);
    checkNoCycle(tree, id, parent);
    requireRole(actor, tree, parent, "admin", "moving a space");
  }
  const [row] = await sql<Row[]>`
    update spaces set name = ${input.name}, description = ${input.description ?? ""}, parent_space_id = ${parent},
      inherit_entities = ${input.inheritEntities ?? false}, labels = ${[...(input.labels ?? [])]}
    where id = ${id} returning *`;
  return toSpace(row);
}

export async function deleteSpace(sql: Sql, actor: Actor, id: string): Promise<Space> {
  const tree = await spaceTree(sql);
  if (!tree.has(id)) throw notFound(`space ${id}`);
  if (id === ROOT_SPACE) throw invalid("the root space cannot be deleted");
  requireRole(actor, tree, id, "admin", "deleting a space");
  try {
    const [row] = await sql<Row[]>`delete from spaces where id = ${id} returning *`;
    return toSpace(row);
  } catch (error) {
    if ((error as { code?: string }).code === "23503") throw conflict(`space ${id} still holds stacks or subspaces`);
    throw fromPostgres(error);
  }
}
