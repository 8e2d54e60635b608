// The parts of policy inputs every type shares, in Spacelift's shape (snake_case, times in
// nanoseconds): the run, the stack, its space, the commit. Stack configuration values (variables,
// mounted files) are never part of an input, nor are credentials.
import type { Db } from "../db/connect.ts";
import { getSpace } from "../spaces/queries.ts";
import type { Run } from "../runs/queries.ts";
import type { StackView } from "../stacks/queries.ts";
import { getPlan } from "../runs/results.ts";

const ns = (d: Date): number => d.getTime() * 1_000_000;

export const requestInput = (now = Date.now()) => ({ timestamp_ns: now * 1_000_000, remote_ip: "" });

export async function stackInput(db: Db, stack: StackView) {
  const space = await getSpace(db, stack.spaceId);
  const v = stack.vendorConfig;
  return {
    id: stack.id,
    name: stack.name,
    description: stack.description,
    labels: [...stack.labels],
    administrative: false,
    autodeploy: stack.autodeploy,
    autoretry: stack.autoretry,
    branch: stack.branch,
    namespace: stack.namespace,
    repository: stack.repository,
    project_root: stack.projectRoot,
    additional_project_globs: [...stack.additionalProjectGlobs],
    locked_by: stack.lockedBy,
    state: stack.state,
    space: { id: stack.spaceId, name: space?.name ?? stack.spaceId, labels: [...(space?.labels ?? [])] },
    vcs: stack.provider,
    vendor: v.vendor,
    terraform_version: v.vendor === "OPENTOFU" || v.vendor === "TERRAFORM" ? v.version : v.vendor === "TERRAGRUNT" ? v.terraformVersion : null,
    tracked_commit: null,
    worker_pool: stack.workerPoolId ? { id: stack.workerPoolId, public: false } : null,
  };
}

export function commitInput(run: Run) {
  return {
    author: run.commitAuthor ?? "",
    branch: run.commitBranch,
    created_at: ns(run.createdAt),
    hash: run.commitSha ?? "",
    message: run.commitMessage ?? "",
    tag: "",
    url: "",
  };
}

/** The run as policies see it; changes come from the plan summary when there is one. */
export async function runInput(db: Db, run: Run) {
  const plan = await getPlan(db, run.id);
  const changes = (plan?.resources ?? []).flatMap((r) =>
    r.actions
      .filter((a) => a !== "no-op" && a !== "read")
      .map((a) => ({
        action: a === "create" ? "added" : a === "delete" ? "deleted" : "changed",
        phase: "plan",
        moved: false,
        entity: { address: r.address, name: r.name, type: r.type, entity_vendor: "terraform", entity_type: "resource", data: {} },
      })),
  );
  return {
    id: run.id,
    type: run.type,
    state: run.state,
    branch: run.commitBranch,
    commit: commitInput(run),
    changes,
    command: run.command ?? "",
    created_at: ns(run.createdAt),
    updated_at: ns(run.updatedAt),
    triggered_by: run.triggeredBy,
    drift_detection: run.driftDetection,
    flags: [] as string[],
    based_on_local_workspace: false,
    user_provided_metadata: [] as string[],
  };
}
