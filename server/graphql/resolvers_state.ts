// Managed state in the API: download and upload URLs, import, rollback, force-unlock (audited),
// and on Stack its versions, its lock and its resources (entities). Thin wrappers over shared/state.
import { GantryError } from "../../shared/errors.ts";
import { getRunById } from "../../shared/runs/queries.ts";
import { listOutputs } from "../../shared/runs/results.ts";
import type { StackView } from "../../shared/stacks/queries.ts";
import type { StateLock } from "../../shared/state/lock.ts";
import { forceUnlockState, importState, readStateLock, rollbackState, stateDownloadUrl, stateUploadUrl } from "../../shared/state/operations.ts";
import { moduleAddresses, parentModule, sha256 } from "../../shared/state/state_file.ts";
import { getCurrentVersion, listResources, listVersions, type StateVersion } from "../../shared/state/versions.ts";
import type { ObjectStore } from "../../shared/storage/object_store.ts";
import { readStack } from "../../shared/stacks/operations.ts";
import { audited, requireActor, seconds, type Context } from "./context.ts";

type Args = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const storeOf = (ctx: Context): ObjectStore => {
  if (!ctx.store) throw new GantryError("Unavailable", "object storage is not configured");
  return ctx.store;
};

type VersionView = StateVersion & { current: boolean };
type Entity = Readonly<{ id: string; address: string; name: string; parent: string; type: string; creatorId: string | null; updaterId: string | null; vendor: unknown }>;

const terraform = (terraform: Record<string, unknown>) => ({ __typename: "EntityVendorTerraform", terraform });

export const stateResolvers = {
  Mutation: {
    stateDownloadUrl: (_: unknown, { input }: Args, ctx: Context) =>
      audited(ctx, "stack.state.download_url", "stack", input.stackId, async () => ({
        url: await stateDownloadUrl(ctx.sql, storeOf(ctx), requireActor(ctx), input.stackId, input.versionId ?? null),
      })),
    stateUploadUrl: (_: unknown, __: Args, ctx: Context) =>
      audited(ctx, "stack.state.upload_url", "state_upload", null, () => stateUploadUrl(storeOf(ctx), requireActor(ctx)), (r) => r.objectId),
    stackManagedStateImport: (_: unknown, { id, stackObjectID, force }: Args, ctx: Context) =>
      audited(ctx, "stack.state.import", "stack", id, async () => ({ ...(await importState(ctx.sql, storeOf(ctx), requireActor(ctx), id, stackObjectID, force === true)), current: true })),
    stackManagedStateRollback: (_: unknown, { id, version }: Args, ctx: Context) =>
      audited(ctx, "stack.state.rollback", "stack", id, async () => ({ ...(await rollbackState(ctx.sql, storeOf(ctx), requireActor(ctx), id, version)), current: true })),
    stackManagedStateForceUnlock: (_: unknown, { id }: Args, ctx: Context) =>
      audited(ctx, "stack.state.force_unlock", "stack", id, async () => {
        const actor = requireActor(ctx);
        await forceUnlockState(ctx.sql, actor, id);
        return readStack(ctx.sql, actor, id);
      }),
  },
  Stack: {
    stateVersions: async (s: StackView, { before }: Args, ctx: Context): Promise<VersionView[]> => {
      const current = await getCurrentVersion(ctx.sql, s.id);
      return (await listVersions(ctx.sql, s.id, before ?? null)).map((v) => ({ ...v, current: v.id === current?.id }));
    },
    currentStateVersion: async (s: StackView, _: Args, ctx: Context) => {
      const current = await getCurrentVersion(ctx.sql, s.id);
      return current && { ...current, current: true };
    },
    stateLock: (s: StackView, _: Args, ctx: Context) => readStateLock(ctx.sql, s.id),
    entities: async (s: StackView, _: Args, ctx: Context): Promise<Entity[]> => {
      const resources = await listResources(ctx.sql, s.id);
      const outputs = await listOutputs(ctx.sql, s.id);
      const modules = moduleAddresses(resources.map((r) => r.module).filter((m) => m !== ""));
      return [
        ...modules.map((m) => ({
          id: m, address: m, name: m.slice(m.lastIndexOf("module.") + "module.".length), parent: parentModule(m), type: "module", creatorId: null, updaterId: null,
          vendor: terraform({ __typename: "TerraformModule", phantom: true }),
        })),
        ...resources.map((r) => ({
          id: r.address, address: r.address, name: r.name, parent: r.module, type: r.type, creatorId: r.createdByRunId, updaterId: r.updatedByRunId,
          vendor: terraform({ __typename: "TerraformResource", address: r.address, mode: r.mode, module: r.module, provider: r.provider, tainted: r.tainted, values: JSON.stringify(r.values) }),
        })),
        ...outputs.map((o) => ({
          id: `output.${o.id}`, address: `output.${o.id}`, name: o.id, parent: "", type: "output", creatorId: null, updaterId: null,
          vendor: terraform({ __typename: "TerraformOutput", sensitive: o.sensitive, value: o.value, hash: o.value === null ? "" : sha256(o.value) }),
        })),
      ];
    },
  },
  StateVersion: {
    rolledBackFrom: (v: VersionView) => v.sourceVersionId,
    run: (v: VersionView, _: Args, ctx: Context) => (v.runId ? getRunById(ctx.sql, v.runId) : null),
    createdAt: (v: VersionView) => seconds(v.createdAt),
  },
  StateLock: {
    run: (l: StateLock, _: Args, ctx: Context) => (l.runId ? getRunById(ctx.sql, l.runId) : null),
    holder: (l: StateLock) => (typeof l.info.Who === "string" ? l.info.Who : null),
    operation: (l: StateLock) => (typeof l.info.Operation === "string" ? l.info.Operation : null),
    info: (l: StateLock) => JSON.stringify(l.info),
    createdAt: (l: StateLock) => seconds(l.lockedAt),
  },
  ManagedEntity: {
    creator: (e: Entity, _: Args, ctx: Context) => (e.creatorId ? getRunById(ctx.sql, e.creatorId) : null),
    updater: (e: Entity, _: Args, ctx: Context) => (e.updaterId ? getRunById(ctx.sql, e.updaterId) : null),
    drifted: () => null,
    thirdPartyMetadata: () => null,
  },
};
