// What callers do with a stack's managed state, each checking who may: the HTTP backend's
// requests (a run, or a person reading with an API key), and the API's reads, download and upload
// URLs, imports, rollbacks and force-unlocks (admins of the stack's space).
import type { Sql } from "../db/connect.ts";
import { conflict, GantryError, invalid, notFound } from "../errors.ts";
import { atLeast, requireRole, roleIn, type Actor } from "../auth/roles.ts";
import { spaceTree } from "../spaces/queries.ts";
import { getStack, type StackView } from "../stacks/queries.ts";
import { createStack } from "../stacks/operations.ts";
import type { StackSettings } from "../stacks/stack.ts";
import { ulid, isUlid } from "../runs/ulid.ts";
import type { ObjectStore } from "../storage/object_store.ts";
import type { StateCaller } from "./credentials.ts";
import { forceReleaseStateLock, getStateLock, type StateLock } from "./lock.ts";
import { parseStateFile } from "./state_file.ts";
import { getCurrentVersion, getVersion, readVersion, writeState, type StateVersion } from "./versions.ts";

/** How long the URLs of stateDownloadUrl and stateUploadUrl live. */
export const STATE_URL_SECONDS = 300;
/** The largest state imported from an upload (Spacelift's limit). */
export const MAX_IMPORT_BYTES = 100 * 1024 * 1024;

/** Stacks whose state Gantry keeps: they asked for it at creation, and their tool speaks Terraform's http backend. */
export function usesManagedState(stack: Pick<StackView, "managesState" | "vendorConfig">): boolean {
  return stack.managesState && (stack.vendorConfig.vendor === "OPENTOFU" || stack.vendorConfig.vendor === "TERRAFORM");
}

const externalAccess = (stack: StackView): boolean =>
  (stack.vendorConfig.vendor === "OPENTOFU" || stack.vendorConfig.vendor === "TERRAFORM") && stack.vendorConfig.externalStateAccessEnabled;

/** The stack behind /state/:stackId, when it manages its state. */
export async function managedStack(sql: Sql, stackId: string): Promise<StackView> {
  const stack = await getStack(sql, stackId);
  if (!stack) throw notFound(`stack ${stackId}`);
  if (!usesManagedState(stack)) throw notFound(`managed state of stack ${stackId} (the stack does not manage its state)`);
  return stack;
}

export const STATE_METHODS = Object.freeze(["GET", "POST", "DELETE", "LOCK", "UNLOCK"] as const);
export type StateMethod = (typeof STATE_METHODS)[number];

/** Throws Forbidden unless `caller` may make this request on the stack's state. */
export async function authorizeStateRequest(sql: Sql, caller: StateCaller, stack: StackView, method: StateMethod): Promise<void> {
  if (caller.kind === "run") {
    if ((method === "POST" || method === "DELETE") && caller.runType === "PROPOSED") throw new GantryError("Forbidden", "unauthorized: a proposed run reads and locks the state but does not change it");
    return;
  }
  if (method !== "GET") throw new GantryError("Forbidden", "unauthorized: with an API key the state can only be read (GET); runs change it");
  if (!externalAccess(stack)) throw new GantryError("Forbidden", `unauthorized: external state access is off for stack ${stack.id}`);
  if (!roleIn(caller.actor, await spaceTree(sql), stack.spaceId)) throw new GantryError("Forbidden", `unauthorized: reading the state of stack ${stack.id} needs the read role in space ${stack.spaceId}`);
}

/** A stack the actor may read (NotFound otherwise, as for a missing one), and the actor's role there. */
async function readable(sql: Sql, actor: Actor, stackId: string) {
  const stack = await getStack(sql, stackId);
  const role = stack ? roleIn(actor, await spaceTree(sql), stack.spaceId) : null;
  if (!stack || !role) throw notFound(`stack ${stackId}`);
  return { stack, role };
}

async function administered(sql: Sql, actor: Actor, stackId: string, doing: string): Promise<StackView> {
  const stack = await getStack(sql, stackId);
  if (!stack) throw notFound(`stack ${stackId}`);
  requireRole(actor, await spaceTree(sql), stack.spaceId, "admin", doing);
  if (!usesManagedState(stack)) throw invalid(`stack ${stackId} does not manage its state`);
  return stack;
}

export async function readStateLock(sql: Sql, stackId: string): Promise<StateLock | null> {
  return getStateLock(sql, stackId);
}

/**
 * stateDownloadUrl: a pre-signed GET of the current state (or of one version), for a writer of the
 * stack's space, or a reader when external state access is on.
 */
export async function stateDownloadUrl(sql: Sql, store: ObjectStore, actor: Actor, stackId: string, versionId: string | null): Promise<string> {
  const { stack, role } = await readable(sql, actor, stackId);
  if (!atLeast(role, "write") && !externalAccess(stack)) throw new GantryError("Forbidden", `unauthorized: downloading the state of stack ${stackId} needs the write role in space ${stack.spaceId} (or external state access)`);
  const version = versionId ? await getVersion(sql, stackId, versionId) : await getCurrentVersion(sql, stackId);
  if (!version) throw notFound(versionId ? `state version ${versionId} of stack ${stackId}` : `state of stack ${stackId} (none written yet)`);
  return store.presign("states", `managed/${stackId}/${version.id}.tfstate`, "GET", STATE_URL_SECONDS);
}

/** Where stateUploadUrl puts a state to import: per actor, so one caller cannot import another's upload. */
const uploadObject = (actor: Actor, objectId: string) => ({ bucket: "uploads" as const, key: `states/${actor.id}/${objectId}.tfstate` });

/** stateUploadUrl: a pre-signed PUT for a state file, imported later with its objectId. */
export async function stateUploadUrl(store: ObjectStore, actor: Actor): Promise<{ objectId: string; url: string }> {
  const objectId = ulid();
  const { bucket, key } = uploadObject(actor, objectId);
  return { objectId, url: await store.presign(bucket, key, "PUT", STATE_URL_SECONDS) };
}

async function uploaded(store: ObjectStore, actor: Actor, objectId: string, maxBytes: number): Promise<Uint8Array> {
  if (!isUlid(objectId)) throw invalid("stackObjectID must be an objectId from stateUploadUrl");
  const { bucket, key } = uploadObject(actor, objectId);
  const info = await store.head(bucket, key);
  if (!info) throw notFound(`uploaded state ${objectId}`);
  if (info.size > maxBytes) throw invalid(`the uploaded state is larger than ${maxBytes} bytes (the import limit)`);
  const bytes = await store.get(bucket, key);
  if (!bytes) throw notFound(`uploaded state ${objectId}`);
  return bytes;
}

/**
 * stackManagedStateImport: an admin makes an uploaded state current. Refused while the state is
 * locked; a lower serial or another lineage only with force.
 */
export async function importState(sql: Sql, store: ObjectStore, actor: Actor, stackId: string, objectId: string, force: boolean, maxBytes = MAX_IMPORT_BYTES): Promise<StateVersion> {
  await administered(sql, actor, stackId, "importing a state");
  const bytes = await uploaded(store, actor, objectId, maxBytes);
  const { version } = await writeState(sql, store, { stackId, bytes, kind: "IMPORT", runId: null, actor: actor.login, force });
  const { bucket, key } = uploadObject(actor, objectId);
  await store.delete(bucket, key).catch(() => {});
  return version;
}

/** stackCreate with stackObjectID: the uploaded state is checked first, then the stack is created and the state imported. */
export async function createStackWithState(
  sql: Sql,
  store: ObjectStore | null,
  actor: Actor,
  input: StackSettings,
  options: Readonly<{ manageState?: boolean; slug?: string | null; stackObjectID?: string | null; maxBytes?: number }>,
): Promise<StackView> {
  if (!options.stackObjectID) return createStack(sql, actor, input, options);
  if (options.manageState === false) throw invalid("stackObjectID imports a state into a stack that manages its state (manageState: true)");
  if (!store) throw invalid("no object storage to import a state from");
  const maxBytes = options.maxBytes ?? MAX_IMPORT_BYTES;
  parseStateFile(await uploaded(store, actor, options.stackObjectID, maxBytes));
  const stack = await createStack(sql, actor, input, options);
  if (!usesManagedState(stack)) throw invalid(`stack ${stack.id} was created, but its vendor keeps no managed state: nothing was imported`);
  await importState(sql, store, actor, stack.id, options.stackObjectID, false, maxBytes);
  return stack;
}

/**
 * stackManagedStateRollback: an admin makes an older version current again. The version's bytes
 * are checked against their checksum and stored as a new ROLLBACK version; refused while locked.
 */
export async function rollbackState(sql: Sql, store: ObjectStore, actor: Actor, stackId: string, versionId: string): Promise<StateVersion> {
  await administered(sql, actor, stackId, "rolling back the state");
  const source = await getVersion(sql, stackId, versionId);
  if (!source) throw notFound(`state version ${versionId} of stack ${stackId}`);
  const current = await getCurrentVersion(sql, stackId);
  if (current?.id === source.id) throw conflict(`state version ${versionId} is already current`);
  const bytes = await readVersion(store, source);
  const { version } = await writeState(sql, store, { stackId, bytes, kind: "ROLLBACK", runId: null, actor: actor.login, force: true, sourceVersionId: source.id });
  return version;
}

/** An admin releases Terraform's lock, whoever holds it. Returns the released lock (null: it was not locked). */
export async function forceUnlockState(sql: Sql, actor: Actor, stackId: string): Promise<StateLock | null> {
  await administered(sql, actor, stackId, "force-unlocking the state");
  return forceReleaseStateLock(sql, stackId);
}
