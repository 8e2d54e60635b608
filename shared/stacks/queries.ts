// Stacks' SQL. Reads carry the stack's state (its newest tracked run's state, or NONE) and the run
// holding its lock (the blocker), both from the runs table.
import type { Db } from "../db/connect.ts";
import { conflict, fromPostgres, GantryError, invalid, notFound } from "../errors.ts";
import { HOOKS, type Hook, type Stack, type StackFields, type VendorConfig, type VcsProvider } from "./stack.ts";

export type StackView = Stack & Readonly<{ state: string; stateSetAt: Date | null; blockerId: string | null; needsAttention: string | null }>;

type Row = Record<string, unknown> & { id: string };
const HOOK_COLUMNS: Readonly<Record<Hook, string>> = Object.freeze(Object.fromEntries(HOOKS.map((h) => [h, h.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`)])) as Record<Hook, string>);

export function toStack(r: Row): StackView {
  return {
    id: r.id,
    spaceId: r.space_id as string,
    name: r.name as string,
    description: r.description as string,
    labels: r.labels as string[],
    provider: r.provider as VcsProvider,
    namespace: r.namespace as string,
    repository: r.repository as string,
    branch: r.branch as string,
    projectRoot: r.project_root as string,
    additionalProjectGlobs: r.additional_project_globs as string[],
    vcsIntegrationId: (r.vcs_integration_id as string | null) ?? null,
    vendorConfig: { vendor: r.vendor, ...(r.vendor_config as object) } as VendorConfig,
    workerPoolId: r.worker_pool_id as string | null,
    runnerImage: r.runner_image as string | null,
    autodeploy: r.autodeploy as boolean,
    autoretry: r.autoretry as boolean,
    allowRunPromotion: r.allow_run_promotion as boolean,
    localPreviewEnabled: r.local_preview_enabled as boolean,
    protectFromDeletion: r.protect_from_deletion as boolean,
    managesState: r.manages_state as boolean,
    isDisabled: r.is_disabled as boolean,
    hooks: Object.fromEntries(HOOKS.map((h) => [h, r[HOOK_COLUMNS[h]] as string[]])) as Record<Hook, string[]>,
    lockedBy: r.locked_by as string | null,
    lockedAt: r.locked_at as Date | null,
    lockNote: r.lock_note as string | null,
    createdAt: r.created_at as Date,
    updatedAt: r.updated_at as Date,
    state: (r.run_state as string | null) ?? "NONE",
    stateSetAt: (r.state_set_at as Date | null) ?? null,
    blockerId: (r.blocker_id as string | null) ?? null,
    needsAttention: (r.needs_attention as string | null) ?? null,
  };
}

/** The select list and joins every stack read uses. */
const selectStacks = (db: Db) => db`
  select s.*, st.state as run_state, st.updated_at as state_set_at, b.id as blocker_id
  from stacks s
  left join lateral (select state, updated_at from runs r where r.stack_id = s.id and r.type in ('TRACKED', 'DESTROY') order by r.id desc limit 1) st on true
  left join lateral (select id from runs r where r.stack_id = s.id and not r.terminal and r.type in ('TRACKED', 'TASK', 'DESTROY') order by r.id limit 1) b on true`;

export async function getStack(db: Db, id: string): Promise<StackView | null> {
  const [row] = await db<Row[]>`${selectStacks(db)} where s.id = ${id}`;
  return row ? toStack(row) : null;
}

/** Every stack in `spaces` (null: every space), by id. */
export async function listStacks(db: Db, spaces: readonly string[] | null): Promise<StackView[]> {
  const rows = await db<Row[]>`${selectStacks(db)} ${spaces === null ? db`` : db`where s.space_id = any(${[...spaces]}::text[])`} order by s.id`;
  return rows.map(toStack);
}

/** Locks the stack's row for the rest of the transaction (lock, unlock, trigger, delete serialise on it). */
export async function lockStackRow(db: Db, id: string): Promise<Stack> {
  const [row] = await db<Row[]>`select * from stacks where id = ${id} for update`;
  if (!row) throw notFound(`stack ${id}`);
  return toStack(row);
}

function fieldValues(f: StackFields) {
  const { vendor, ...vendorRest } = f.vendorConfig;
  return {
    space_id: f.spaceId,
    name: f.name,
    description: f.description,
    labels: [...f.labels],
    provider: f.provider,
    namespace: f.namespace,
    repository: f.repository,
    branch: f.branch,
    project_root: f.projectRoot,
    additional_project_globs: [...f.additionalProjectGlobs],
    vcs_integration_id: f.vcsIntegrationId,
    vendor,
    vendor_config: vendorRest,
    worker_pool_id: f.workerPoolId,
    runner_image: f.runnerImage,
    autodeploy: f.autodeploy,
    autoretry: f.autoretry,
    allow_run_promotion: f.allowRunPromotion,
    local_preview_enabled: f.localPreviewEnabled,
    protect_from_deletion: f.protectFromDeletion,
    ...Object.fromEntries(HOOKS.map((h) => [HOOK_COLUMNS[h], [...f.hooks[h]]])),
  };
}

function mapWriteError(error: unknown, id: string, spaceId: string): unknown {
  const mapped = fromPostgres(error);
  if (mapped instanceof GantryError && mapped.code === "Conflict") return conflict(`a stack with id "${id}" already exists; choose another name or slug`);
  if (mapped instanceof GantryError && mapped.code === "Invalid" && (error as { code?: string }).code === "23503") {
    const constraint = (error as { constraint_name?: string }).constraint_name;
    if (constraint === "stacks_vcs_integration_fk") return notFound("VCS integration");
    return constraint === "stacks_worker_pool_fk" ? notFound("worker pool") : notFound(`space ${spaceId}`);
  }
  return mapped;
}

export async function insertStack(db: Db, id: string, fields: StackFields, managesState: boolean): Promise<void> {
  const values = { id, manages_state: managesState, ...fieldValues(fields) };
  (values as Record<string, unknown>).vendor_config = db.json(values.vendor_config as never);
  try {
    await db`insert into stacks ${db(values as unknown as Record<string, never>)}`;
  } catch (error) {
    throw mapWriteError(error, id, fields.spaceId);
  }
}

export async function updateStackRow(db: Db, id: string, fields: StackFields): Promise<void> {
  const values = { ...fieldValues(fields), updated_at: new Date() };
  (values as Record<string, unknown>).vendor_config = db.json(values.vendor_config as never);
  try {
    await db`update stacks set ${db(values as unknown as Record<string, never>)} where id = ${id}`;
  } catch (error) {
    throw mapWriteError(error, id, fields.spaceId);
  }
}

export async function setStackLock(db: Db, id: string, lockedBy: string | null, note: string | null): Promise<void> {
  await db`update stacks set locked_by = ${lockedBy}, locked_at = ${lockedBy ? new Date() : null}, lock_note = ${lockedBy ? note : null}, updated_at = now() where id = ${id}`;
}

export async function setStackDisabled(db: Db, id: string, disabled: boolean): Promise<void> {
  await db`update stacks set is_disabled = ${disabled}, updated_at = now() where id = ${id}`;
}

export async function deleteStackRow(db: Db, id: string): Promise<void> {
  await db`delete from stacks where id = ${id}`;
}

// ---- search (searchStacks) ----

export type Predicate = Readonly<{
  field: string;
  constraint: Readonly<{ booleanEquals?: readonly boolean[] | null; enumEquals?: readonly string[] | null; stringMatches?: readonly string[] | null }>;
  exclude?: boolean | null;
}>;
export type StackSearch = Readonly<{
  first?: number | null;
  after?: string | null;
  fullTextSearch?: string | null;
  predicates?: readonly Predicate[] | null;
  orderBy?: Readonly<{ field: string; direction: string }> | null;
}>;
export type StackPage = Readonly<{ edges: Array<{ cursor: string; stack: StackView }>; endCursor: string | null; hasNextPage: boolean; hasPreviousPage: boolean }>;

export const MAX_PAGE = 100;
const STRING_COLUMNS: Readonly<Record<string, string>> = Object.freeze({
  name: "name",
  repository: "repository",
  branch: "branch",
  projectRoot: "project_root",
  space: "space_id",
  workerPool: "worker_pool_id",
  vendor: "vendor",
});
const ORDER_COLUMNS: Readonly<Record<string, string>> = Object.freeze({ name: "name", createdAt: "created_at", id: "id" });

function encodeCursor(value: unknown, id: string): string {
  return Buffer.from(JSON.stringify([value instanceof Date ? value.toISOString() : value, id])).toString("base64url");
}
function decodeCursor(cursor: string): [string, string] {
  try {
    const parsed = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8"));
    if (Array.isArray(parsed) && parsed.length === 2 && typeof parsed[0] === "string" && typeof parsed[1] === "string") return parsed as [string, string];
  } catch {
    // fall through
  }
  throw invalid("the cursor in `after` is not one this server issued");
}

function predicateSql(db: Db, p: Predicate) {
  const c = p.constraint;
  const strings = [...(c.stringMatches ?? []), ...(c.enumEquals ?? [])];
  const booleans = [...(c.booleanEquals ?? [])];
  let condition;
  if (STRING_COLUMNS[p.field]) condition = db`s.${db(STRING_COLUMNS[p.field])} = any(${strings}::text[])`;
  else if (p.field === "label") condition = db`s.labels && ${strings}::text[]`;
  else if (p.field === "state") condition = db`coalesce(st.state, 'NONE') = any(${strings}::text[])`;
  else if (p.field === "locked") condition = db`(s.locked_by is not null) = any(${booleans}::boolean[])`;
  else if (p.field === "disabled") condition = db`s.is_disabled = any(${booleans}::boolean[])`;
  else if (p.field === "administrative") condition = db`false = any(${booleans}::boolean[])`;
  else throw invalid(`searchStacks cannot filter on "${p.field}"`);
  return p.exclude ? db`and not (${condition})` : db`and (${condition})`;
}

/** A page of the stacks in `spaces` (null: every space), filtered and ordered as asked. */
export async function searchStacks(db: Db, spaces: readonly string[] | null, input: StackSearch): Promise<StackPage> {
  const first = input.first ?? 50;
  if (!Number.isInteger(first) || first < 1 || first > MAX_PAGE) throw invalid(`first must be between 1 and ${MAX_PAGE}`);
  const orderField = input.orderBy?.field ?? "name";
  const column = ORDER_COLUMNS[orderField];
  if (!column) throw invalid(`searchStacks cannot order by "${orderField}"`);
  const direction = (input.orderBy?.direction ?? "ASC").toUpperCase();
  if (direction !== "ASC" && direction !== "DESC") throw invalid("orderBy.direction must be ASC or DESC");
  const desc = direction === "DESC";
  const col = db(column);
  const spaceFilter = spaces === null ? db`` : db`and s.space_id = any(${[...spaces]}::text[])`;
  const text = input.fullTextSearch?.trim();
  const like = text ? `%${text.replace(/[\\%_]/g, (m) => `\\${m}`)}%` : null;
  const textFilter = like ? db`and (s.name ilike ${like} or s.id ilike ${like} or s.description ilike ${like})` : db``;
  const predicates = (input.predicates ?? []).map((p) => predicateSql(db, p));
  const predicateFilter = predicates.reduce((acc, p) => db`${acc} ${p}`, db``);
  let cursorFilter = db``;
  if (input.after) {
    const [value, id] = decodeCursor(input.after);
    const typed = column === "created_at" ? db`${value}::timestamptz` : db`${value}::text`;
    cursorFilter = desc ? db`and (s.${col}, s.id) < (${typed}, ${id})` : db`and (s.${col}, s.id) > (${typed}, ${id})`;
  }
  const order = desc ? db`order by s.${col} desc, s.id desc` : db`order by s.${col}, s.id`;
  const rows = await db<Row[]>`
    ${selectStacks(db)}
    where true ${spaceFilter} ${textFilter} ${predicateFilter} ${cursorFilter}
    ${order} limit ${first + 1}`;
  const edges = rows.slice(0, first).map((r) => ({ cursor: encodeCursor(r[column], r.id), stack: toStack(r) }));
  return {
    edges,
    endCursor: edges.length > 0 ? edges[edges.length - 1].cursor : null,
    hasNextPage: rows.length > first,
    hasPreviousPage: Boolean(input.after),
  };
}
