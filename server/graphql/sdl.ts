// The GraphQL schema's type definitions. Names (types, fields, arguments, inputs, enums) are
// Spacelift's, so spacectl and the Terraform provider validate against it. Every field here has a
// resolver (resolvers_*.ts); schema.graphql is this, printed, and a test keeps the two equal.
export const SDL = /* GraphQL */ `
type Query {
  "The caller, or null without a valid session."
  viewer: Viewer
  debugInfo: DebugInfo!
  spaces: [Space!]!
  space(id: ID!): Space
  stack(id: ID!): Stack
  stacks: [Stack!]!
  searchStacks(input: SearchInput!): StacksConnection!
  runStack(runId: ID!): Stack
  apiKey(id: ID!): ApiKey
  apiKeys: [ApiKey!]!
  searchAuditTrailEntries(input: SearchInput!): AuditTrailEntryConnection!
  "Private worker pools the caller can read."
  workerPools: [WorkerPool!]!
  workerPool(id: ID!): WorkerPool
}

type Mutation {
  apiKeyUser(id: ID!, secret: String!): User
  apiKeyCreate(input: ApiKeyInput!): ApiKey!
  apiKeyDelete(id: ID!): ApiKey
  spaceCreate(input: SpaceInput!): Space!
  spaceUpdate(space: ID!, input: SpaceInput!): Space!
  spaceDelete(space: ID!): Space
  stackCreate(input: StackInput!, manageState: Boolean!, slug: String): Stack!
  stackUpdate(id: ID!, input: StackInput!): Stack!
  stackDelete(id: ID!, destroyResources: Boolean): Stack
  stackLock(id: ID!, note: String): Stack!
  stackUnlock(id: ID!): Stack!
  stackEnable(id: ID!): Stack!
  stackDisable(id: ID!): Stack!
  runTrigger(stack: ID!, commitSha: String, runType: RunType, runtimeConfig: RuntimeConfigInput, forceApply: ForceApplyMode): Run!
  taskCreate(stack: ID!, command: String!, skipInitialization: Boolean): Run!
  runConfirm(stack: ID!, run: ID, note: String): Run!
  runDiscard(stack: ID!, run: ID, note: String): Run!
  runCancel(stack: ID!, run: ID!, note: String): Run!
  runStop(stack: ID!, run: ID!, note: String): Run!
  runRetry(stack: ID!, run: ID!): Run!
  runPromote(stack: ID!, run: ID!): Run!
  "The answer's config is the pool token, shown this once. Gantry's tokens carry a secret, not a certificate: a certificateSigningRequest is accepted and not used."
  workerPoolCreate(name: String!, certificateSigningRequest: String, description: String, labels: [String!], space: ID): WorkerPool!
  "A new token (in config); workers registered with the old one stop working."
  workerPoolReset(id: ID!, certificateSigningRequest: String): WorkerPool!
  "Asks every worker of the pool to exit once its current run is done."
  workerPoolCycle(id: ID!): Boolean
  "Refused while stacks use the pool."
  workerPoolDelete(id: ID!): WorkerPool
  "A drained worker keeps its current run and gets no new one."
  workerDrainSet(workerPool: ID!, id: ID!, drain: Boolean!): Worker!
}

type Viewer {
  id: ID!
  name: String!
  admin: Boolean!
}

type User {
  id: ID!
  jwt: String!
  validUntil: Int!
}

type DebugInfo {
  "Empty: clients enable their newest command variants, as for SaaS."
  selfHostedVersion: String!
}

enum SpaceAccessLevel {
  READ
  WRITE
  ADMIN
}

type Space {
  id: ID!
  name: String!
  description: String!
  parentSpace: ID
  inheritEntities: Boolean!
  labels: [String!]!
  "The caller's access level in this space (inherited from parent spaces)."
  accessLevel: SpaceAccessLevel
}

input SpaceInput {
  name: String!
  description: String
  inheritEntities: Boolean
  parentSpace: ID!
  labels: [String!]
}

type ApiKeyAccessRule {
  space: ID!
  spaceAccessLevel: SpaceAccessLevel!
}

type ApiKey {
  id: ID!
  name: String!
  description: String!
  type: String!
  admin: Boolean!
  creator: String!
  createdAt: Int!
  lastUsedAt: Int
  expiresAt: Int
  deleted: Boolean!
  teams: [String!]!
  teamCount: Int!
  spaceCount: Int!
  isMachineUser: Boolean!
  accessRules: [ApiKeyAccessRule!]!
  "Only in apiKeyCreate's answer; never readable afterwards."
  secret: String
}

input ApiKeyAccessRuleInput {
  space: ID!
  spaceAccessLevel: SpaceAccessLevel!
}

input ApiKeyInput {
  name: String!
  admin: Boolean!
  description: String
  accessRules: [ApiKeyAccessRuleInput!]
}

input QueryFieldConstraint {
  booleanEquals: [Boolean!]
  enumEquals: [String!]
  stringMatches: [String!]
}

input QueryPredicate {
  field: String!
  constraint: QueryFieldConstraint!
  exclude: Boolean
}

input QueryOrder {
  field: String!
  direction: String!
}

input SearchInput {
  first: Int
  after: String
  fullTextSearch: String
  predicates: [QueryPredicate!]
  orderBy: QueryOrder
}

type PageInfo {
  endCursor: String
  hasNextPage: Boolean!
  hasPreviousPage: Boolean!
}

type StackEdge {
  cursor: String!
  node: Stack!
}

type StacksConnection {
  edges: [StackEdge!]!
  pageInfo: PageInfo!
}

type AuditTrailEntry {
  id: ID!
  action: String!
  actor: String!
  targetType: String!
  targetId: String
  outcome: String!
  error: String
  createdAt: Int!
}

type AuditTrailEntryEdge {
  cursor: String!
  node: AuditTrailEntry!
}

type AuditTrailEntryConnection {
  edges: [AuditTrailEntryEdge!]!
  pageInfo: PageInfo!
}

enum VCSProvider {
  GITHUB
  GITHUB_ENTERPRISE
  GITLAB
  BITBUCKET_CLOUD
  BITBUCKET_DATACENTER
  AZURE_DEVOPS
  GIT
  SHOWCASE
  SPACELIFT
}

enum StackState {
  NONE
  QUEUED
  READY
  PREPARING
  INITIALIZING
  PLANNING
  PENDING_REVIEW
  UNCONFIRMED
  CONFIRMED
  REPLAN_REQUESTED
  PREPARING_REPLAN
  PREPARING_APPLY
  APPLYING
  PERFORMING
  DESTROYING
  FINISHED
  FAILED
  STOPPED
  CANCELED
  DISCARDED
  SKIPPED
}

type Commit {
  authorLogin: String
  authorName: String
  "Null when the run was triggered without a sha (no VCS integration yet)."
  hash: String
  message: String
  timestamp: Int
  url: String
}

type WorkerPool {
  id: ID!
  name: String!
  description: String
  labels: [String!]!
  space: ID!
  spaceDetails: Space!
  "The pool token: only in the answers of workerPoolCreate and workerPoolReset."
  config: String
  createdAt: Int!
  updatedAt: Int!
  deleted: Boolean!
  "READY runs of the pool's stacks."
  pendingRuns: Int!
  busyWorkers: Int!
  workersCount: Int!
  "Registered workers that have not left."
  workers: [Worker!]!
  "The pool's queue: READY runs waiting for a worker, in scheduling order (orderBy position ASC only; no predicates)."
  searchSchedulableRuns(input: SearchInput!): SchedulableRunsConnection!
}

type SchedulableRun {
  stackId: ID!
  run: Run!
  "1-based place in the pool's queue."
  position: Int!
}

type SchedulableRunEdge {
  cursor: String!
  node: SchedulableRun!
}

type SchedulableRunsConnection {
  edges: [SchedulableRunEdge!]!
  pageInfo: PageInfo!
}

enum WorkerStatus {
  IDLE
  BUSY
  DRAINED
}

type Worker {
  id: ID!
  busy: Boolean!
  drained: Boolean!
  status: WorkerStatus!
  "JSON object of what the worker reported about itself (GANTRY_METADATA_* variables)."
  metadata: String!
  createdAt: Int!
  "When the worker was last heard from (a heartbeat or an API call)."
  lastSeenAt: Int
}

type ConfigElement {
  id: ID!
  checksum: String!
  runtime: Boolean!
  type: String!
  writeOnly: Boolean!
}

type StackContextAttachment {
  contextId: ID!
  contextName: String!
  priority: Int!
  config: [ConfigElement!]!
}

type PolicyStackAttachment {
  policyId: ID!
  policyName: String!
  policyType: String!
}

type ModuleOwner {
  id: ID!
  name: String!
  owner: String!
}

type ModuleVersionUsed {
  id: ID!
  number: String!
  module: ModuleOwner!
}

type Stack {
  id: ID!
  name: String!
  description: String
  labels: [String!]!
  space: ID!
  spaceDetails: Space!
  administrative: Boolean!
  autodeploy: Boolean!
  autoretry: Boolean!
  githubActionDeploy: Boolean!
  localPreviewEnabled: Boolean!
  protectFromDeletion: Boolean!
  managesStateFile: Boolean!
  isDisabled: Boolean!
  deleted: Boolean!
  deleting: Boolean!
  starred: Boolean!
  canWrite: Boolean!
  provider: VCSProvider!
  namespace: String!
  repository: String!
  branch: String!
  projectRoot: String
  additionalProjectGlobs: [String!]!
  runnerImage: String
  terraformVersion: String
  vendorConfig: StackConfigVendor!
  workerPool: WorkerPool
  beforeInit: [String!]!
  afterInit: [String!]!
  beforePlan: [String!]!
  afterPlan: [String!]!
  beforeApply: [String!]!
  afterApply: [String!]!
  beforeDestroy: [String!]!
  afterDestroy: [String!]!
  beforePerform: [String!]!
  afterPerform: [String!]!
  afterRun: [String!]!
  lockedBy: String
  lockedAt: Int
  lockNote: String
  "The run holding the stack's exclusive lock."
  blocker: Run
  state: StackState!
  stateSetAt: Int
  createdAt: Int!
  trackedCommit: Commit
  trackedCommitSetBy: String
  "Environment variables and mounted files (none until contexts and configuration arrive)."
  config: [ConfigElement!]!
  attachedContexts: [StackContextAttachment!]!
  attachedPolicies: [PolicyStackAttachment!]!
  moduleVersionsUsed: [ModuleVersionUsed!]!
  "Tracked and destroy runs, newest first, 50 a page."
  runs(before: ID): [Run!]!
  proposedRuns(before: ID): [Run!]!
  tasks(before: ID): [Run!]!
  run(id: ID!): Run
}

union StackConfigVendor = StackConfigVendorAnsible | StackConfigVendorCloudFormation | StackConfigVendorKubernetes | StackConfigVendorOpenTofu | StackConfigVendorPulumi | StackConfigVendorTerraform | StackConfigVendorTerragrunt

type StackConfigVendorAnsible {
  playbook: String!
}

type StackConfigVendorCloudFormation {
  entryTemplateFile: String!
  templateBucket: String!
  stackName: String!
  region: String!
}

type StackConfigVendorKubernetes {
  namespace: String!
  kubectlVersion: String
  kubernetesWorkflowTool: String
}

type StackConfigVendorOpenTofu {
  version: String
  workspace: String
  workflowTool: String
  useSmartSanitization: Boolean!
  externalStateAccessEnabled: Boolean!
  concise: Boolean!
}

type StackConfigVendorPulumi {
  loginURL: String!
  stackName: String!
}

type StackConfigVendorTerraform {
  version: String
  workspace: String
  workflowTool: String
  useSmartSanitization: Boolean!
  externalStateAccessEnabled: Boolean!
}

type StackConfigVendorTerragrunt {
  terraformVersion: String
  terragruntVersion: String
  tool: String!
  useRunAll: Boolean!
  useSmartSanitization: Boolean!
  useStateManagement: Boolean!
  skipReplan: Boolean!
  skipReplanWhenRunAll: Boolean!
  prefixResourceNamesWithModuleName: Boolean!
}

input AnsibleInput {
  playbook: String!
}

input CloudFormationInput {
  entryTemplateFile: String!
  templateBucket: String!
  stackName: String!
  region: String!
}

input KubernetesInput {
  namespace: String
  kubectlVersion: String
  kubernetesWorkflowTool: String
}

input OpenTofuInput {
  version: String
  workspace: String
  workflowTool: String
  useSmartSanitization: Boolean
  externalStateAccessEnabled: Boolean
  concise: Boolean
}

input PulumiInput {
  loginURL: String!
  stackName: String!
}

input TerraformInput {
  version: String
  workspace: String
  workflowTool: String
  useSmartSanitization: Boolean
  externalStateAccessEnabled: Boolean
}

input TerragruntInput {
  terraformVersion: String
  terragruntVersion: String
  tool: String
  useRunAll: Boolean
  useSmartSanitization: Boolean
  useStateManagement: Boolean
  skipReplan: Boolean
  skipReplanWhenRunAll: Boolean
  prefixResourceNamesWithModuleName: Boolean
}

input VendorConfigInput {
  ansible: AnsibleInput
  cloudFormation: CloudFormationInput
  kubernetes: KubernetesInput
  opentofu: OpenTofuInput
  pulumi: PulumiInput
  terraform: TerraformInput
  terragrunt: TerragruntInput
}

input StackInput {
  name: String!
  description: String
  labels: [String!]
  space: ID
  provider: VCSProvider
  namespace: String
  repository: String!
  branch: String!
  projectRoot: String
  additionalProjectGlobs: [String!]
  vendorConfig: VendorConfigInput
  workerPool: ID
  runnerImage: String
  autodeploy: Boolean
  autoretry: Boolean
  githubActionDeploy: Boolean
  localPreviewEnabled: Boolean
  protectFromDeletion: Boolean
  beforeInit: [String!]
  afterInit: [String!]
  beforePlan: [String!]
  afterPlan: [String!]
  beforeApply: [String!]
  afterApply: [String!]
  beforeDestroy: [String!]
  afterDestroy: [String!]
  beforePerform: [String!]
  afterPerform: [String!]
  afterRun: [String!]
}

enum RunType {
  TRACKED
  PROPOSED
  TASK
  DESTROY
}

enum RunState {
  QUEUED
  READY
  PREPARING
  INITIALIZING
  PLANNING
  PENDING_REVIEW
  UNCONFIRMED
  CONFIRMED
  REPLAN_REQUESTED
  PREPARING_REPLAN
  PREPARING_APPLY
  APPLYING
  PERFORMING
  DESTROYING
  FINISHED
  FAILED
  STOPPED
  CANCELED
  DISCARDED
  SKIPPED
}

enum ForceApplyMode {
  SINGLE
  CASCADE
}

input RuntimeConfigInput {
  yaml: String
}

type RunStateTransition {
  state: RunState!
  stateVersion: Int!
  timestamp: Int!
  terminal: Boolean!
  hasLogs: Boolean!
  note: String
  username: String
}

type RunComment {
  body: String!
  createdAt: Int!
  username: String!
}

type RunDelta {
  addCount: Int!
  changeCount: Int!
  deleteCount: Int!
  resources: Int!
}

type Run {
  id: ID!
  type: RunType!
  state: RunState!
  title: String!
  branch: String!
  commit: Commit!
  command: String
  note: String
  createdAt: Int!
  updatedAt: Int!
  triggeredBy: String
  finished: Boolean!
  canRetry: Boolean!
  driftDetection: Boolean!
  expired: Boolean!
  isMostRecent: Boolean!
  needsApproval: Boolean!
  "Plan summary; null until a worker has planned the run."
  delta: RunDelta
  comments: [RunComment!]!
  "Newest first."
  history: [RunStateTransition!]!
  "For a QUEUED blocking run: the run holding the stack's lock ahead of it."
  blockedBy: Run
}
`;
