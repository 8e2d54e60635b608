// State versions: every accepted write is a new object in the states bucket and a row here; one
// version per stack is current. Writing checks the bytes first, stores them under a new key (the
// current object is never overwritten), then decides in one short transaction on the stack's
// state row: Terraform's lock, then lineage and serial against the current version. A refused
// write leaves the current version as it was and removes its own object. The stack's outputs and
// resources follow the current version.
import type { Db, Sql } from "../db/connect.ts";
import { conflict, invalid, notFound, unavailable } from "../errors.ts";
import { ulid } from "../runs/ulid.ts";
import { replaceOutputs } from "../runs/results.ts";
import type { ObjectStore } from "../storage/object_store.ts";
import { ensureStateRow } from "./lock.ts";
import { parseStateFile, sanitisedValues, sha256, stateInstances, stateOutputs, type StateFile } from "./state_file.ts";

export const VERSION_KINDS = Object.freeze(["WRITE", "IMPORT", "ROLLBACK"] as const);
export type VersionKind = (typeof VERSION_KINDS)[number];

export type StateVersion = Readonly<{
  id: string;
  stackId: string;
  serial: number;
  lineage: string;
  terraformVersion: string;
  size: number;
  checksum: string;
  kind: VersionKind;
  forced: boolean;
  sourceVersionId: string | null;
  runId: string | null;
  actor: string;
  createdAt: Date;
}>;

/** Where a version's bytes live. */
export const versionObject = (stackId: string, versionId: string) => ({ bucket: "states" as const, key: `managed/${stackId}/${versionId}.tfstate` });

type Row = Record<string, unknown>;
const toVersion = (r: Row): StateVersion => ({
  id: r.id as string,
  stackId: r.stack_id as string,
  serial: Number(r.serial),
  lineage: r.lineage as string,
  terraformVersion: r.terraform_version as string,
  size: Number(r.size_bytes),
  checksum: r.checksum as string,
  kind: r.kind as VersionKind,
  forced: r.forced as boolean,
  sourceVersionId: r.source_version_id as string | null,
  runId: r.run_id as string | null,
  actor: r.actor as string,
  createdAt: r.created_at as Date,
});

export async function getCurrentVersion(db: Db, stackId: string): Promise<StateVersion | null> {
  const [row] = await db<Row[]>`select v.* from stack_states s join state_versions v on v.id = s.current_version_id where s.stack_id = ${stackId}`;
  return row ? toVersion(row) : null;
}

export async function getVersion(db: Db, stackId: string, versionId: string): Promise<StateVersion | null> {
  const [row] = await db<Row[]>`select * from state_versions where stack_id = ${stackId} and id = ${versionId}`;
  return row ? toVersion(row) : null;
}

export const VERSIONS_PAGE = 50;

/** Newest first, 50 a page; `before` is the id of the last version of the previous page. */
export async function listVersions(db: Db, stackId: string, before: string | null): Promise<StateVersion[]> {
  const rows = await db<Row[]>`
    select * from state_versions where stack_id = ${stackId} ${before ? db`and id < ${before}` : db``}
    order by id desc limit ${VERSIONS_PAGE}`;
  return rows.map(toVersion);
}

/** A version's bytes, checked against its checksum: storage that lost or changed them is an error, never a wrong state. */
export async function readVersion(store: ObjectStore, version: StateVersion): Promise<Uint8Array> {
  const { bucket, key } = versionObject(version.stackId, version.id);
  const bytes = await store.get(bucket, key);
  if (!bytes) throw unavailable(`the object of state version ${version.id} is missing from storage`);
  if (sha256(bytes) !== version.checksum) throw unavailable(`the object of state version ${version.id} does not match its checksum`);
  return bytes;
}

export type StateWrite = Readonly<{
  stackId: string;
  bytes: Uint8Array;
  kind: VersionKind;
  /** The run writing (WRITE), else null. */
  runId: string | null;
  /** Who, for the version's record: run::<id> or api::<key>. */
  actor: string;
  /**
   * WRITE: the lock ID Terraform sent (?ID=), or null for a write without one. The write must
   * carry the ID of the lock the state holds, and none when it holds none. IMPORT and ROLLBACK
   * (undefined) are refused while anything holds the lock.
   */
  lockId?: string | null;
  /** Accept a lower serial or another lineage (admins only). */
  force: boolean;
  sourceVersionId?: string | null;
}>;

export type WriteResult = Readonly<{ version: StateVersion; created: boolean }>;

/** Checks, stores and makes current a state; see the file's header. */
export async function writeState(sql: Sql, store: ObjectStore, write: StateWrite, parsed?: StateFile): Promise<WriteResult> {
  const state = parsed ?? parseStateFile(write.bytes);
  const id = ulid();
  const target = versionObject(write.stackId, id);
  await store.put(target.bucket, target.key, write.bytes, { contentType: "application/json" });
  let result: WriteResult;
  try {
    result = await sql.begin((tx) => commitVersion(tx, id, state, write));
  } catch (error) {
    await store.delete(target.bucket, target.key).catch(() => {});
    throw error;
  }
  if (!result.created) await store.delete(target.bucket, target.key).catch(() => {});
  return result;
}

async function commitVersion(tx: Db, id: string, state: StateFile, write: StateWrite): Promise<WriteResult> {
  await ensureStateRow(tx, write.stackId);
  const [row] = await tx<Row[]>`select * from stack_states where stack_id = ${write.stackId} for update`;
  checkLock(write, row);
  const current = row.current_version_id ? await getVersion(tx, write.stackId, row.current_version_id as string) : null;
  const refusal = current ? serialRefusal(current, state) : null;
  if (current && !refusal && current.serial === state.serial) return { version: current, created: false }; // the same bytes again
  if (refusal && !write.force) throw conflict(`${refusal}; the current version ${current!.id} stays`);
  const [inserted] = await tx<Row[]>`
    insert into state_versions (id, stack_id, serial, lineage, terraform_version, size_bytes, checksum, kind, forced, source_version_id, run_id, actor)
    values (${id}, ${write.stackId}, ${state.serial}, ${state.lineage}, ${state.terraformVersion}, ${state.size}, ${state.checksum}, ${write.kind},
      ${refusal !== null}, ${write.sourceVersionId ?? null}, ${write.runId}, ${write.actor})
    returning *`;
  await tx`update stack_states set current_version_id = ${id} where stack_id = ${write.stackId}`;
  await deriveFromState(tx, write.stackId, write.runId, state);
  return { version: toVersion(inserted), created: true };
}

function checkLock(write: StateWrite, row: Row): void {
  const held = row.lock_id as string | null;
  if (write.lockId === undefined) {
    if (held) throw conflict(`the state of stack ${write.stackId} is locked (lock ${held}${row.lock_run_id ? `, run ${row.lock_run_id}` : ""}); unlock it first`);
    return;
  }
  if (held && write.lockId !== held) {
    throw conflict(write.lockId ? `the state of stack ${write.stackId} is locked with another lock ID (${held}), not ${write.lockId}` : `the state of stack ${write.stackId} is locked (lock ${held}) and this write carries no lock ID`);
  }
  if (!held && write.lockId) throw conflict(`lock ${write.lockId} no longer holds the state of stack ${write.stackId} (it was released or force-unlocked)`);
}

/** Why Terraform's own rules refuse `next` over `current`, or null when they accept it. */
export function serialRefusal(current: Pick<StateVersion, "serial" | "lineage" | "checksum">, next: Pick<StateFile, "serial" | "lineage" | "checksum">): string | null {
  if (next.lineage !== current.lineage) return `the state's lineage ${next.lineage} differs from the current lineage ${current.lineage}`;
  if (next.serial < current.serial) return `the state's serial ${next.serial} is lower than the current serial ${current.serial}`;
  if (next.serial === current.serial && next.checksum !== current.checksum) return `serial ${next.serial} is already taken by a different state`;
  return null;
}

/** DELETE: the stack has no current state any more (its versions stay, for a rollback). */
export async function purgeState(sql: Sql, stackId: string, lockRunId: string | null): Promise<void> {
  await sql.begin(async (tx) => {
    await ensureStateRow(tx, stackId);
    const [row] = await tx<Row[]>`select * from stack_states where stack_id = ${stackId} for update`;
    if (row.lock_id && row.lock_run_id !== lockRunId) throw conflict(`the state of stack ${stackId} is locked (lock ${row.lock_id}) by another run`);
    await tx`update stack_states set current_version_id = null where stack_id = ${stackId}`;
    await replaceOutputs(tx, stackId, lockRunId, []);
    await tx`delete from stack_resources where stack_id = ${stackId}`;
  });
}

/** The stack's outputs and resources, from its new current state. */
async function deriveFromState(tx: Db, stackId: string, runId: string | null, state: StateFile): Promise<void> {
  const [stack] = await tx<{ vendor_config: Record<string, unknown> }[]>`select vendor_config from stacks where id = ${stackId}`;
  if (!stack) throw notFound(`stack ${stackId}`);
  await replaceOutputs(tx, stackId, runId, stateOutputs(state));
  const instances = stateInstances(state);
  const smartSanitization = stack.vendor_config.useSmartSanitization === true;
  const seen = new Set<string>();
  for (const i of instances) {
    if (seen.has(i.address)) throw invalid(`the state holds resource instance ${i.address} twice`);
    seen.add(i.address);
  }
  // Only what changed is written: most applies touch a few of a state's many resources.
  const existing = new Map((await tx<{ address: string; values_hash: string; tainted: boolean }[]>`select address, values_hash, tainted from stack_resources where stack_id = ${stackId}`).map((r) => [r.address, r]));
  const removed = [...existing.keys()].filter((a) => !seen.has(a));
  if (removed.length > 0) await tx`delete from stack_resources where stack_id = ${stackId} and address = any(${removed}::text[])`;
  const changed = instances.filter((i) => {
    const before = existing.get(i.address);
    return !before || before.values_hash !== i.valuesHash || before.tainted !== i.tainted;
  });
  if (changed.length === 0) return;
  const rows = changed.map((i) => ({ address: i.address, mode: i.mode, type: i.type, name: i.name, module: i.module, provider: i.provider, tainted: i.tainted, values: sanitisedValues(i, { smartSanitization }), values_hash: i.valuesHash }));
  await tx`
    insert into stack_resources (stack_id, address, mode, type, name, module, provider, tainted, "values", values_hash, created_by_run_id, updated_by_run_id)
    select ${stackId}, t.address, t.mode, t.type, t.name, t.module, t.provider, t.tainted, coalesce(t."values", 'null'::jsonb), t.values_hash, ${runId}, ${runId}
    from jsonb_to_recordset(${tx.json(rows as never)}) as t(address text, mode text, type text, name text, module text, provider text, tainted boolean, "values" jsonb, values_hash text)
    on conflict (stack_id, address) do update set
      mode = excluded.mode, type = excluded.type, name = excluded.name, module = excluded.module, provider = excluded.provider,
      "values" = excluded."values", tainted = excluded.tainted, values_hash = excluded.values_hash,
      updated_by_run_id = excluded.updated_by_run_id, updated_at = now()`;
}

export type StackResource = Readonly<{
  address: string;
  mode: string;
  type: string;
  name: string;
  module: string;
  provider: string;
  tainted: boolean;
  values: unknown;
  createdByRunId: string | null;
  updatedByRunId: string | null;
}>;

export async function listResources(db: Db, stackId: string): Promise<StackResource[]> {
  const rows = await db<Row[]>`select * from stack_resources where stack_id = ${stackId} order by address`;
  return rows.map((r) => ({
    address: r.address as string,
    mode: r.mode as string,
    type: r.type as string,
    name: r.name as string,
    module: r.module as string,
    provider: r.provider as string,
    tainted: r.tainted as boolean,
    values: r.values,
    createdByRunId: r.created_by_run_id as string | null,
    updatedByRunId: r.updated_by_run_id as string | null,
  }));
}
