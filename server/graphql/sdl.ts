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
  "VCS integrations the caller can read (GitHub, GitLab, raw Git). Credentials and webhook secrets are never returned."
  vcsIntegrations: [VCSIntegration!]!
  "By id, or the provider's default integration without one."
  vcsIntegration(provider: VCSProvider!, id: ID): VCSIntegration
  githubEnterpriseIntegration(id: ID): VCSIntegration
  gitlabIntegration(id: ID): VCSIntegration
  "Where GitHub sends webhooks (the integration's own URL with an id)."
  githubEnterpriseWebhooksEndpoint(id: ID): String!
  gitlabWebhooksEndpoint(id: ID): String!
  "Policies the caller can read (docs/policies.md)."
  policies: [Policy!]!
  policy(id: ID!): Policy
  "Policies the caller can read; predicates: type (enumEquals), label (stringMatches), space (stringMatches)."
  searchPolicies(input: SearchInput!): PoliciesConnection!
  namedWebhooksIntegration(id: ID!): NamedWebhooksIntegration
  "Gantry: the notification inbox (notification policies' inbox rules, policy failures) of the spaces the caller administers, newest first, 14 days."
  notifications: [Notification!]!
}

type Mutation {
  apiKeyUser(id: ID!, secret: String!): User
  apiKeyCreate(input: ApiKeyInput!): ApiKey!
  apiKeyDelete(id: ID!): ApiKey
  spaceCreate(input: SpaceInput!): Space!
  spaceUpdate(space: ID!, input: SpaceInput!): Space!
  spaceDelete(space: ID!): Space
  "stackObjectID: an objectId from stateUploadUrl, imported as the new stack's state (manageState must be true)."
  stackCreate(input: StackInput!, manageState: Boolean!, stackObjectID: String, slug: String): Stack!
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
  "Stops an initializing or planning run: STOPPED, and SIGINT to the tool's process group on its worker."
  runStop(stack: ID!, run: ID!, note: String): Run!
  "Kills a run a worker is executing: FAILED at once, and SIGKILL to the tool's process group."
  runKill(stack: ID!, run: ID!, note: String): Run!
  "Adds an environment variable or mounted file to the stack, or replaces the one with the same id (admin)."
  stackConfigAdd(stack: ID!, config: ConfigInput!): ConfigElement!
  "Null when the stack has no such element."
  stackConfigDelete(stack: ID!, id: ID!): ConfigElement
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
  "A GitHub integration (github.com or Enterprise Server): a token, or a GitHub App (appID and privateKey). Without webhookSecret one is generated and returned this once."
  githubEnterpriseIntegrationCreate(apiHost: String!, userFacingHost: String, appID: String, privateKey: String, token: String, webhookSecret: String, customInput: CustomVCSInput): VCSIntegration!
  "Credentials and the webhook secret change only when given. Without id: customInput.id, else the default integration."
  githubEnterpriseIntegrationUpdate(id: ID, apiHost: String, userFacingHost: String, appID: String, privateKey: String, token: String, webhookSecret: String, customInput: CustomVCSUpdateInput): VCSIntegration!
  githubEnterpriseIntegrationDelete(id: ID): VCSIntegration
  "A new webhook secret, returned this once."
  githubEnterpriseIntegrationRegenerateWebhookSecret(id: ID): VCSIntegration!
  "A GitLab integration. Without webhookSecret one is generated and returned this once."
  gitlabIntegrationCreate(apiHost: String!, userFacingHost: String, privateToken: String!, webhookSecret: String, customInput: CustomVCSInput): VCSIntegration!
  gitlabIntegrationUpdate(id: ID, privateToken: String, apiHost: String, userFacingHost: String, webhookSecret: String, customInput: CustomVCSUpdateInput): VCSIntegration!
  gitlabIntegrationDelete(id: ID): VCSIntegration
  gitlabIntegrationRegenerateWebhookSecret(id: ID): VCSIntegration!
  "A raw Git integration: stacks using it are polled for new commits on their tracked branch; username and password (optional) are for https clones."
  gitIntegrationCreate(username: String, password: String, customInput: CustomVCSInput!): VCSIntegration!
  gitIntegrationUpdate(id: ID!, username: String, password: String, customInput: CustomVCSUpdateInput): VCSIntegration!
  gitIntegrationDelete(id: ID!): VCSIntegration
  "A pre-signed GET of the stack's managed state (current, or versionId), valid 5 minutes: for writers of the stack's space, or readers when external state access is on."
  stateDownloadUrl(input: StateDownloadUrlInput!): StateDownloadUrl!
  "A pre-signed PUT for a state file (5 minutes), imported with stackCreate(stackObjectID) or stackManagedStateImport."
  stateUploadUrl: StateUploadUrl!
  "Makes an uploaded state the stack's current state (admin). A lower serial or another lineage only with force; refused while the state is locked."
  stackManagedStateImport(id: ID!, stackObjectID: String!, force: Boolean): StateVersion!
  "Makes an older state version current again, stored as a new ROLLBACK version (admin); refused while the state is locked."
  stackManagedStateRollback(id: ID!, version: ID!): StateVersion!
  "Releases Terraform's lock on the stack's managed state, whoever holds it (admin)."
  stackManagedStateForceUnlock(id: ID!): Stack!
  "A policy (admin of its space; LOGIN: admin of root). A body that does not parse or compile is refused with its line and column."
  policyCreate(name: String!, body: String!, type: PolicyType!, labels: [String!], space: ID, description: String, engineType: PolicyEngineType): Policy!
  policyCreatev2(input: PolicyCreateInput!): Policy!
  policyUpdate(id: ID!, name: String!, body: String!, labels: [String!], space: ID, description: String, engineType: PolicyEngineType): Policy!
  policyUpdatev2(id: ID!, input: PolicyUpdateInput!): Policy!
  "force is accepted; attachments go with the policy."
  policyDelete(id: ID!, force: Boolean): Policy
  "Attaches a policy to a stack of its space or a subspace (admin of the stack's space)."
  policyAttach(id: ID!, stack: ID!): PolicyStackAttachment!
  "id: the attachment's id."
  policyDetach(id: ID!): PolicyStackAttachment
  "Evaluates a body against an input (JSON text), without recording: the package's document as JSON text."
  policySimulate(body: String!, input: String!, type: PolicyType!): String
  "A review for the run's approval policies (without run: the stack's blocker); the newest review per reviewer counts."
  runReview(stack: ID!, run: ID, decision: RunReviewDecision!, note: String): Run!
  "An endpoint notification policies send to (endpoint_id = its id). Signing secrets are not supported yet."
  namedWebhooksIntegrationCreate(input: NamedWebhooksIntegrationInput!): NamedWebhooksIntegration!
  namedWebhooksIntegrationDelete(id: ID!): NamedWebhooksIntegration
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

enum ConfigType {
  ENVIRONMENT_VARIABLE
  FILE_MOUNT
}

"An environment variable (id: its name) or a mounted file (id: its path relative to the workspace root; value base64)."
type ConfigElement {
  id: ID!
  "hex SHA-256 of the value."
  checksum: String!
  createdAt: Int!
  description: String
  runtime: Boolean!
  type: ConfigType!
  "Null when write-only."
  value: String
  writeOnly: Boolean!
}

input ConfigInput {
  id: ID!
  type: ConfigType!
  value: String!
  writeOnly: Boolean!
  description: String
}

type ConfigElementContext {
  id: ID!
  contextName: String!
}

"An element of the stack's effective configuration; context is null for the stack's own elements."
type ConfigElementWithSource {
  context: ConfigElementContext
  element: ConfigElement!
}

"An output of the stack's last apply; a sensitive output's value is never stored."
type StackOutput {
  id: ID!
  sensitive: Boolean!
  description: String
  "JSON text; null when sensitive."
  value: String
}

type StackContextAttachment {
  contextId: ID!
  contextName: String!
  priority: Int!
  isAutoattached: Boolean!
  config: [ConfigElement!]!
}

type PolicyStackAttachment {
  "The attachment's id (for policyDetach); null when the policy attaches by label."
  id: ID
  policyId: ID!
  policyName: String!
  policyType: String!
  stackId: ID!
  stackName: String!
  isModule: Boolean!
  "Attached by an autoattach:<label> label of the policy."
  isAutoattached: Boolean!
}

enum PolicyType {
  ACCESS
  APPROVAL
  GIT_PUSH
  INITIALIZATION
  INTENT
  LOGIN
  NOTIFICATION
  PLAN
  TASK
  TRIGGER
  STACK_ACCESS
  TERRAFORM_PLAN
  TASK_RUN
}

enum PolicyEngineType {
  REGO_V0
  REGO_V1
}

enum RunReviewDecision {
  APPROVE
  REJECT
}

type Policy {
  id: ID!
  name: String!
  description: String!
  "Rego, package spacelift."
  body: String!
  type: PolicyType!
  engineType: PolicyEngineType!
  labels: [String!]!
  space: ID!
  spaceDetails: Space!
  createdAt: Int!
  updatedAt: Int!
  "Stacks the policy applies to: attached directly or by label (empty for LOGIN and NOTIFICATION policies)."
  attachedStacks: [PolicyStackAttachment!]!
  attachedStack(id: ID!): PolicyStackAttachment
  "The 100 newest evaluations."
  evaluationRecords: [PolicyEvaluationRecord!]!
  "One evaluation's input and the body evaluated (key: an evaluation record's key)."
  evaluationSample(key: String!): PolicyEvaluationSample
  searchEvaluationRecords(input: SearchInput!): PolicyEvaluationRecordsConnection!
}

input PolicyCreateInput {
  name: String!
  body: String!
  type: PolicyType!
  labels: [String!]
  space: ID
  description: String
  engineType: PolicyEngineType
}

input PolicyUpdateInput {
  name: String!
  body: String!
  labels: [String!]
  space: ID
  description: String
  engineType: PolicyEngineType
}

type PolicyEdge {
  cursor: String!
  node: Policy!
}

type PoliciesConnection {
  edges: [PolicyEdge!]!
  pageInfo: PageInfo!
}

type PolicyEvaluationRecord {
  key: String!
  "allow, deny, warn, approve, reject, undecided, track, propose, ignore, trigger, notify, none, error…"
  outcome: String!
  timestamp: Int!
  kind: String!
  stackId: ID
  runId: ID
  messages: [String!]!
  durationMs: Float!
  error: String
}

type PolicyEvaluationSample {
  "JSON text."
  input: String!
  body: String!
  "JSON text of what the policy decided."
  decision: String!
}

type PolicyEvaluationRecordEdge {
  cursor: String!
  node: PolicyEvaluationRecord!
}

type PolicyEvaluationRecordsConnection {
  edges: [PolicyEvaluationRecordEdge!]!
  pageInfo: PageInfo!
}

type NamedWebhooksIntegration {
  id: ID!
  name: String!
  endpoint: String!
  space: ID!
  labels: [String!]!
  enabled: Boolean!
  createdAt: Int!
  "The 50 newest deliveries."
  deliveries: [WebhookDelivery!]!
}

input NamedWebhooksIntegrationInput {
  name: String!
  endpoint: String!
  space: ID!
  labels: [String!]
  enabled: Boolean!
  "Not supported yet: refused unless empty."
  secret: String
}

type WebhookDelivery {
  id: ID!
  "pending, delivered or failed."
  status: String!
  responseStatus: Int
  error: String
  attempts: Int!
  createdAt: Int!
}

enum NotificationSeverity {
  INFO
  WARNING
  ERROR
}

type Notification {
  id: ID!
  title: String!
  body: String!
  severity: NotificationSeverity!
  space: ID!
  stackId: ID
  runId: ID
  policyId: ID
  createdAt: Int!
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
  "The VCS integration the stack uses: the one it names, or its provider's default."
  vcsIntegration: VCSIntegration
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
  "The stack's own environment variables and mounted files."
  config: [ConfigElement!]!
  "The effective configuration runs get: the stack's elements (contexts are not available yet)."
  runtimeConfig: [ConfigElementWithSource!]!
  "Outputs of the last apply."
  outputs: [StackOutput!]!
  "Why the stack needs attention (an apply or destroy whose worker was lost); null otherwise. Cleared when a tracked run finishes."
  needsAttention: String
  attachedContexts: [StackContextAttachment!]!
  attachedPolicies: [PolicyStackAttachment!]!
  moduleVersionsUsed: [ModuleVersionUsed!]!
  "Tracked and destroy runs, newest first, 50 a page."
  runs(before: ID): [Run!]!
  proposedRuns(before: ID): [Run!]!
  tasks(before: ID): [Run!]!
  run(id: ID!): Run
  "Versions of the managed state, newest first, 50 a page; pass the last id received as before."
  stateVersions(before: ID): [StateVersion!]!
  "The current managed state version; null before the first write."
  currentStateVersion: StateVersion
  "Terraform's lock on the managed state; null when unlocked."
  stateLock: StateLock
  "The managed state's resources: Terraform resource instances (values sanitised), their modules, and the outputs."
  entities: [ManagedEntity!]!
}

input StateDownloadUrlInput {
  stackId: ID!
  "Gantry: one version of the state; the current one by default."
  versionId: ID
}

type StateDownloadUrl {
  url: String!
}

type StateUploadUrl {
  objectId: String!
  url: String!
}

enum StateVersionKind {
  WRITE
  IMPORT
  ROLLBACK
}

"A version of a stack's managed state: WRITE by a run, IMPORT of an upload, ROLLBACK to an older version (rolledBackFrom)."
type StateVersion {
  id: ID!
  serial: Int!
  lineage: String!
  terraformVersion: String!
  "Bytes."
  size: Int!
  "hex SHA-256 of the state file."
  checksum: String!
  kind: StateVersionKind!
  "An admin accepted a lower serial or another lineage."
  forced: Boolean!
  rolledBackFrom: ID
  run: Run
  actor: String!
  createdAt: Int!
  current: Boolean!
}

"Terraform's lock: its ID (for terraform force-unlock), the run holding it, and what Terraform said about itself."
type StateLock {
  id: ID!
  run: Run
  "Terraform's Who (user@host)."
  holder: String
  "Terraform's Operation (OperationTypePlan, OperationTypeApply, …)."
  operation: String
  "The lock info JSON as Terraform sent it."
  info: String!
  createdAt: Int!
}

type ManagedEntity {
  id: ID!
  address: String!
  name: String!
  "The enclosing module's address; empty at the root."
  parent: String!
  type: String!
  "Always null: drift detection is not available yet."
  drifted: Int
  "The run whose state write first held the resource; null for imported states."
  creator: Run
  "The run whose state write last changed it."
  updater: Run
  thirdPartyMetadata: String
  vendor: EntityVendor!
}

union EntityVendor = EntityVendorAnsible | EntityVendorCloudFormation | EntityVendorKubernetes | EntityVendorPulumi | EntityVendorTerraform

type EntityVendorAnsible {
  ansible: AnsibleEntity!
}

union AnsibleEntity = AnsibleResource

type AnsibleResource {
  data: String!
}

type EntityVendorCloudFormation {
  cloudFormation: CloudFormationEntity!
}

union CloudFormationEntity = CloudFormationResource | CloudFormationOutput

type CloudFormationResource {
  logicalResourceId: String!
  physicalResourceId: String!
  template: String!
}

type CloudFormationOutput {
  description: String
  export: String
  value: String!
}

type EntityVendorKubernetes {
  kubernetes: KubernetesEntity!
}

union KubernetesEntity = KubernetesResource | KubernetesRoot

type KubernetesResource {
  data: String!
}

type KubernetesRoot {
  phantom: Boolean!
}

type EntityVendorPulumi {
  pulumi: PulumiEntity!
}

union PulumiEntity = PulumiOutput | PulumiStack | PulumiResource

type PulumiOutput {
  sensitive: Boolean!
  value: String
  hash: String!
}

type PulumiStack {
  phantom: Boolean!
}

type PulumiResource {
  urn: String!
  id: String
  provider: String
  parent: String
  outputs: String
}

type EntityVendorTerraform {
  terraform: TerraformEntity!
}

union TerraformEntity = TerraformResource | TerraformModule | TerraformOutput

type TerraformResource {
  address: String!
  "managed or data."
  mode: String!
  "The module address; empty at the root."
  module: String!
  provider: String!
  tainted: Boolean!
  "JSON of the attributes, sanitised: sensitive ones (smart sanitisation) or every string, as the first 7 hex characters of their SHA-256."
  values: String!
}

type TerraformModule {
  phantom: Boolean!
}

type TerraformOutput {
  sensitive: Boolean!
  "JSON text; null when sensitive."
  value: String
  "hex SHA-256 of the value's JSON text; empty when sensitive (the value is never stored)."
  hash: String!
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
  "A VCS integration of the stack's provider; null: the provider's default."
  vcsIntegrationId: ID
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

input RunChangesInput {
  dummy: Boolean
}

type RunResourceChangeMetadata {
  "The change: CREATE, UPDATE, DELETE, REPLACE, READ or NO_OP."
  type: String!
}

type RunResourceChange {
  address: String!
  previousAddress: String
  metadata: RunResourceChangeMetadata!
}

type RunChangesGroup {
  resources: [RunResourceChange!]!
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
  "Its approval policies have not decided yet for its current state."
  needsApproval: Boolean!
  "Plan summary; null until a worker has planned the run."
  delta: RunDelta
  "The planned resource changes (input is accepted and not used)."
  changesV3(input: RunChangesInput): [RunChangesGroup!]!
  comments: [RunComment!]!
  "Newest first."
  history: [RunStateTransition!]!
  "For a QUEUED blocking run: the run holding the stack's lock ahead of it."
  blockedBy: Run
  "One page of a state's logs (stateVersion: the latest version by default). First call token null, then the previous nextToken; poll while hasMore is false until finished."
  logs(state: RunState!, token: String, stateVersion: Int): RunLogs
}

type LogMessage {
  "One line (with its newline), as the tool wrote it; secrets masked."
  message: String!
  "Unix seconds."
  timestamp: Int!
}

type RunLogs {
  "Some output of this state version was stored."
  exists: Boolean!
  "Always false: Gantry keeps logs until the bucket's lifecycle removes them."
  expired: Boolean!
  "The stream is complete and everything was returned: stop polling."
  finished: Boolean!
  "More can be read right now: ask again at once with nextToken."
  hasMore: Boolean!
  messages: [LogMessage!]!
  "Where the next call continues; opaque, never null."
  nextToken: String
}

"A VCS integration. Credentials and webhook secrets are write-only: sealed at rest, never returned (except a webhook secret Gantry generates, once)."
type VCSIntegration {
  id: ID!
  name: String!
  description: String
  labels: [String!]!
  space: Space!
  provider: VCSProvider!
  isDefault: Boolean!
  apiHost: String!
  userFacingHost: String!
  appID: String
  "Where the provider sends webhooks; null for raw Git."
  webhookURL: String
  "Only in the answer of the call that generated it; otherwise null."
  webhookSecret: String
  hasCredentials: Boolean!
  createdAt: Int!
  updatedAt: Int!
}

input CustomVCSInput {
  name: String!
  spaceID: ID!
  labels: [String!]
  description: String
  isDefault: Boolean
  "Accepted for compatibility; Gantry reports one check per stack."
  vcsChecks: String
  "Accepted for compatibility; workers always clone with git."
  useGitCheckout: Boolean
}

input CustomVCSUpdateInput {
  id: ID
  space: ID
  labels: [String!]
  description: String
  vcsChecks: String
  useGitCheckout: Boolean
}
`;
