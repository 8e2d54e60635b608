// Stacks: Spacelift's settings, the vendor configuration, hooks, and the user lock as pure
// functions. SQL is in queries.ts.
import { conflict, forbidden, invalid } from "../errors.ts";
import { checkName, checkSlug, ROOT_SPACE, slugify } from "../spaces/space.ts";
import type { Actor } from "../auth/roles.ts";

export const VENDORS = Object.freeze(["OPENTOFU", "TERRAFORM", "TERRAGRUNT", "PULUMI", "KUBERNETES", "ANSIBLE", "CLOUDFORMATION"] as const);
export type Vendor = (typeof VENDORS)[number];

export const VCS_PROVIDERS = Object.freeze(["GITHUB", "GITHUB_ENTERPRISE", "GITLAB", "BITBUCKET_CLOUD", "BITBUCKET_DATACENTER", "AZURE_DEVOPS", "GIT", "SHOWCASE", "SPACELIFT"] as const);
export type VcsProvider = (typeof VCS_PROVIDERS)[number];

export const TERRAFORM_WORKFLOW_TOOLS = Object.freeze(["OPEN_TOFU", "TERRAFORM_FOSS", "CUSTOM"] as const);
export const TERRAGRUNT_TOOLS = Object.freeze(["OPEN_TOFU", "TERRAFORM_FOSS", "MANUALLY_PROVISIONED"] as const);
export const KUBERNETES_WORKFLOW_TOOLS = Object.freeze(["KUBERNETES", "CUSTOM"] as const);

export const HOOKS = Object.freeze([
  "beforeInit",
  "afterInit",
  "beforePlan",
  "afterPlan",
  "beforeApply",
  "afterApply",
  "beforeDestroy",
  "afterDestroy",
  "beforePerform",
  "afterPerform",
  "afterRun",
] as const);
export type Hook = (typeof HOOKS)[number];
export type Hooks = Readonly<Record<Hook, readonly string[]>>;

/** Vendor settings, per vendor; the field names are Spacelift's (StackConfigVendor* types). */
export type VendorConfig =
  | Readonly<{ vendor: "OPENTOFU" | "TERRAFORM"; version: string | null; workspace: string | null; workflowTool: string | null; useSmartSanitization: boolean; externalStateAccessEnabled: boolean; concise: boolean }>
  | Readonly<{ vendor: "TERRAGRUNT"; terraformVersion: string | null; terragruntVersion: string | null; tool: string; useRunAll: boolean; useSmartSanitization: boolean; useStateManagement: boolean; skipReplan: boolean; skipReplanWhenRunAll: boolean; prefixResourceNamesWithModuleName: boolean }>
  | Readonly<{ vendor: "PULUMI"; loginURL: string; stackName: string }>
  | Readonly<{ vendor: "KUBERNETES"; namespace: string; kubectlVersion: string | null; kubernetesWorkflowTool: string | null }>
  | Readonly<{ vendor: "ANSIBLE"; playbook: string }>
  | Readonly<{ vendor: "CLOUDFORMATION"; entryTemplateFile: string; templateBucket: string; stackName: string; region: string }>;

export type Stack = Readonly<{
  id: string;
  spaceId: string;
  name: string;
  description: string;
  labels: readonly string[];
  provider: VcsProvider;
  namespace: string;
  repository: string;
  branch: string;
  projectRoot: string;
  additionalProjectGlobs: readonly string[];
  /** The VCS integration (shared/vcs) the stack uses; null: its provider's default. */
  vcsIntegrationId: string | null;
  vendorConfig: VendorConfig;
  workerPoolId: string | null;
  runnerImage: string | null;
  autodeploy: boolean;
  autoretry: boolean;
  allowRunPromotion: boolean;
  localPreviewEnabled: boolean;
  protectFromDeletion: boolean;
  managesState: boolean;
  isDisabled: boolean;
  hooks: Hooks;
  lockedBy: string | null;
  lockedAt: Date | null;
  lockNote: string | null;
  createdAt: Date;
  updatedAt: Date;
}>;

/** Settings as given to create or update (StackInput); absent optional fields take defaults. */
export type StackSettings = Readonly<{
  name: string;
  description?: string | null;
  labels?: readonly string[] | null;
  space?: string | null;
  provider?: string | null;
  namespace?: string | null;
  repository: string;
  branch: string;
  projectRoot?: string | null;
  additionalProjectGlobs?: readonly string[] | null;
  vcsIntegrationId?: string | null;
  vendorConfig?: Readonly<Record<string, Readonly<Record<string, unknown>> | null | undefined>> | null;
  workerPool?: string | null;
  runnerImage?: string | null;
  autodeploy?: boolean | null;
  autoretry?: boolean | null;
  githubActionDeploy?: boolean | null;
  localPreviewEnabled?: boolean | null;
  protectFromDeletion?: boolean | null;
}> &
  Readonly<Partial<Record<Hook, readonly string[] | null>>>;

/** The normalised settings to store. */
export type StackFields = Omit<Stack, "id" | "managesState" | "isDisabled" | "lockedBy" | "lockedAt" | "lockNote" | "createdAt" | "updatedAt">;

/** VendorConfigInput member names (note Spacelift's lower-case `opentofu`) → vendor. */
const VENDOR_INPUTS: Readonly<Record<string, Vendor>> = Object.freeze({
  opentofu: "OPENTOFU",
  terraform: "TERRAFORM",
  terragrunt: "TERRAGRUNT",
  pulumi: "PULUMI",
  kubernetes: "KUBERNETES",
  ansible: "ANSIBLE",
  cloudFormation: "CLOUDFORMATION",
});

const str = (v: unknown): string | null => (typeof v === "string" ? v : null);
const bool = (v: unknown, fallback: boolean): boolean => (typeof v === "boolean" ? v : fallback);
const oneOf = (v: unknown, allowed: readonly string[], what: string, fallback: string | null): string | null => {
  if (v === null || v === undefined) return fallback;
  if (typeof v !== "string" || !allowed.includes(v)) throw invalid(`${what} must be one of ${allowed.join(", ")}`);
  return v;
};
const required = (v: unknown, what: string): string => {
  if (typeof v !== "string" || v === "") throw invalid(`${what} is required`);
  return v;
};

export function vendorConfigFrom(input: StackSettings["vendorConfig"]): VendorConfig {
  const given = Object.entries(input ?? {}).filter(([, v]) => v !== null && v !== undefined);
  if (given.length > 1) throw invalid(`vendorConfig must set exactly one vendor, got ${given.map(([k]) => k).join(", ")}`);
  if (given.length === 0) return vendorConfigFrom({ opentofu: {} });
  const [key, c] = given[0] as [string, Readonly<Record<string, unknown>>];
  const vendor = VENDOR_INPUTS[key];
  if (!vendor) throw invalid(`unknown vendor "${key}"`);
  switch (vendor) {
    case "OPENTOFU":
    case "TERRAFORM":
      return {
        vendor,
        version: str(c.version),
        workspace: str(c.workspace),
        workflowTool: oneOf(c.workflowTool, TERRAFORM_WORKFLOW_TOOLS, "workflowTool", vendor === "OPENTOFU" ? "OPEN_TOFU" : "TERRAFORM_FOSS"),
        useSmartSanitization: bool(c.useSmartSanitization, vendor === "OPENTOFU"),
        externalStateAccessEnabled: bool(c.externalStateAccessEnabled, false),
        concise: bool(c.concise, vendor === "OPENTOFU"),
      };
    case "TERRAGRUNT":
      return {
        vendor,
        terraformVersion: str(c.terraformVersion),
        terragruntVersion: str(c.terragruntVersion),
        tool: oneOf(c.tool, TERRAGRUNT_TOOLS, "terragrunt tool", "OPEN_TOFU") as string,
        useRunAll: bool(c.useRunAll, false),
        useSmartSanitization: bool(c.useSmartSanitization, false),
        useStateManagement: bool(c.useStateManagement, true),
        skipReplan: bool(c.skipReplan, false),
        skipReplanWhenRunAll: bool(c.skipReplanWhenRunAll, false),
        prefixResourceNamesWithModuleName: bool(c.prefixResourceNamesWithModuleName, false),
      };
    case "PULUMI":
      return { vendor, loginURL: required(c.loginURL, "pulumi loginURL"), stackName: required(c.stackName, "pulumi stackName") };
    case "KUBERNETES":
      return { vendor, namespace: str(c.namespace) ?? "", kubectlVersion: str(c.kubectlVersion), kubernetesWorkflowTool: oneOf(c.kubernetesWorkflowTool, KUBERNETES_WORKFLOW_TOOLS, "kubernetesWorkflowTool", "KUBERNETES") };
    case "ANSIBLE":
      return { vendor, playbook: required(c.playbook, "ansible playbook") };
    case "CLOUDFORMATION":
      return {
        vendor,
        entryTemplateFile: required(c.entryTemplateFile, "cloudFormation entryTemplateFile"),
        templateBucket: required(c.templateBucket, "cloudFormation templateBucket"),
        stackName: required(c.stackName, "cloudFormation stackName"),
        region: required(c.region, "cloudFormation region"),
      };
  }
}

function uniqueLabels(labels: readonly string[]): readonly string[] {
  if (new Set(labels).size !== labels.length) throw invalid("labels must be unique");
  return labels;
}

/** Validates and normalises settings; names and labels are kept verbatim. */
export function stackFields(input: StackSettings): StackFields {
  checkName(input.name, "stack");
  if (input.branch === "") throw invalid("branch is required");
  const hooks = Object.fromEntries(HOOKS.map((h) => [h, [...(input[h] ?? [])]])) as Record<Hook, string[]>;
  return {
    spaceId: input.space ?? ROOT_SPACE,
    name: input.name,
    description: input.description ?? "",
    labels: uniqueLabels([...(input.labels ?? [])]),
    provider: (oneOf(input.provider, VCS_PROVIDERS, "provider", "GIT") as VcsProvider),
    namespace: input.namespace ?? "",
    repository: input.repository,
    branch: input.branch,
    projectRoot: input.projectRoot ?? "",
    additionalProjectGlobs: [...(input.additionalProjectGlobs ?? [])],
    vcsIntegrationId: input.vcsIntegrationId ?? null,
    vendorConfig: vendorConfigFrom(input.vendorConfig),
    workerPoolId: input.workerPool ?? null,
    runnerImage: input.runnerImage ?? null,
    autodeploy: input.autodeploy ?? false,
    autoretry: input.autoretry ?? false,
    allowRunPromotion: input.githubActionDeploy ?? true,
    localPreviewEnabled: input.localPreviewEnabled ?? false,
    protectFromDeletion: input.protectFromDeletion ?? false,
    hooks,
  };
}

/** The immutable id: an explicit slug, or one made from the name. */
export function stackSlug(name: string, slug?: string | null): string {
  const id = slug ?? slugify(name);
  if (id === "") throw invalid(`cannot make a stack id from the name "${name}"; pass a slug`);
  return checkSlug(id, "stack");
}

type LockState = Pick<Stack, "id" | "lockedBy">;

/** stackLock: a user lock that never expires. */
export function lock(stack: LockState, actor: Actor): { lockedBy: string } {
  if (stack.lockedBy !== null) throw conflict(`stack ${stack.id} is already locked by ${stack.lockedBy}`);
  return { lockedBy: actor.login };
}

/** stackUnlock: by the lock's owner, or forced by an admin of the stack's space. */
export function unlock(stack: LockState, actor: Actor, isAdmin: boolean): { lockedBy: null } {
  if (stack.lockedBy === null) throw conflict(`stack ${stack.id} is not locked`);
  if (stack.lockedBy !== actor.login && !isAdmin) throw forbidden(`unauthorized: stack ${stack.id} is locked by ${stack.lockedBy}; only its owner or an admin can unlock it`);
  return { lockedBy: null };
}

/** Runs and tasks on a locked stack may be started by the lock's owner only; none on a disabled stack. */
export function checkCanStartRuns(stack: Pick<Stack, "id" | "lockedBy" | "isDisabled">, actor: Actor): void {
  if (stack.isDisabled) throw conflict(`stack ${stack.id} is disabled`);
  if (stack.lockedBy !== null && stack.lockedBy !== actor.login) throw conflict(`stack ${stack.id} is locked by ${stack.lockedBy}; only the lock's owner can start runs`);
}

export function checkDeletable(stack: Pick<Stack, "id" | "protectFromDeletion">): void {
  if (stack.protectFromDeletion) throw conflict(`stack ${stack.id} is protected from deletion; turn protectFromDeletion off first`);
}
