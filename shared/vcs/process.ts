// Turning a stored delivery into runs (the drain's webhooks handler calls this): parse the event,
// find the stacks on that repository that use the delivering integration, learn the changed files
// (from the payload, the provider's API for pull requests, or `git diff` in a clone when the
// payload is truncated), ask the push policy per stack, create the runs (one per stack, commit and
// type) and supersede older proposed runs on the same branch. Safe to run again: runs are
// deduplicated and superseding is idempotent.
import type { Sql } from "../db/connect.ts";
import type { Logger } from "../log.ts";
import type { ClientOptions, VcsClient } from "./client.ts";
import { clientForIntegration } from "./clients.ts";
import { getDelivery, markProcessed } from "./deliveries.ts";
import { parseEvent, type CommitInfo, type PullRequestEvent, type PushEvent } from "./events.ts";
import { changedFiles, diffNames, mergeBase, withClone } from "./git.ts";
import { vcsKey, type HookProvider, type Integration } from "./integration.ts";
import { deriveKey } from "../secret_key.ts";
import { decidePush, type PushDecision, type PushPolicyInput } from "./push_policy.ts";
import { pushPolicyDecider } from "../policies/push.ts";
import { getIntegration } from "./queries.ts";
import { createVcsRun, supersedeProposedRuns } from "./runs.ts";

export type VcsDeps = Readonly<{
  /** vcsKey(configKey): unseals integration credentials. */
  key: Buffer;
  /** Where people see runs (commit status links). */
  publicUrl: string;
  clientOptions?: ClientOptions;
  /** The push policy; Spacelift's default unless a test (or, later, Rego) says otherwise. */
  decide?: (input: PushPolicyInput) => PushDecision;
}>;

const ZERO = /^0+$/;

type MatchedStack = Readonly<{ id: string; branch: string; projectRoot: string; additionalProjectGlobs: readonly string[] }>;

/** Stacks of this repository that use the integration: they name it, or name none and it is the default. */
async function stacksFor(sql: Sql, integration: Integration, namespace: string, repository: string): Promise<MatchedStack[]> {
  const rows = await sql<{ id: string; branch: string; project_root: string; additional_project_globs: string[] }[]>`
    select id, branch, project_root, additional_project_globs from stacks
    where provider = ${integration.provider} and namespace = ${namespace} and repository = ${repository}
      and (vcs_integration_id = ${integration.id} or (vcs_integration_id is null and ${integration.isDefault}))
    order by id`;
  return rows.map((r) => ({ id: r.id, branch: r.branch, projectRoot: r.project_root, additionalProjectGlobs: r.additional_project_globs }));
}

async function inProgress(sql: Sql, stackIds: readonly string[]): Promise<Map<string, PushPolicyInput["in_progress"]>> {
  const rows = await sql<{ id: string; stack_id: string; type: string; commit_branch: string; state: string }[]>`
    select id, stack_id, type, commit_branch, state from runs
    where stack_id = any(${[...stackIds]}::text[]) and state in ('QUEUED', 'READY', 'UNCONFIRMED')`;
  const byStack = new Map<string, Array<PushPolicyInput["in_progress"][number]>>();
  for (const r of rows) byStack.set(r.stack_id, [...(byStack.get(r.stack_id) ?? []), { id: r.id, type: r.type, branch: r.commit_branch, state: r.state }]);
  return byStack;
}

export type DeliveryResult = Readonly<{ outcome: string; created: string[] }>;

export async function processDelivery(sql: Sql, deps: VcsDeps, log: Logger, provider: HookProvider, deliveryId: string): Promise<DeliveryResult> {
  const delivery = await getDelivery(sql, provider, deliveryId);
  if (!delivery) return { outcome: "gone", created: [] };
  if (delivery.processedAt) return { outcome: delivery.outcome ?? "processed", created: [] };
  const finish = async (outcome: string, created: string[] = []) => {
    await markProcessed(sql, provider, deliveryId, outcome);
    return { outcome, created };
  };
  let payload: unknown;
  try {
    payload = JSON.parse(Buffer.from(delivery.payload).toString("utf8"));
  } catch {
    return finish("ignored: the payload is not JSON");
  }
  const event = parseEvent(provider, delivery.event, payload);
  if (event.kind === "ignored") return finish(`ignored: ${event.reason}`);
  const integration = delivery.integrationId ? await getIntegration(sql, delivery.integrationId) : null;
  if (!integration) return finish("ignored: the integration is gone");
  const stacks = await stacksFor(sql, integration, event.repo.namespace, event.repo.name);
  if (stacks.length === 0) return finish(`ignored: no stack uses ${event.repo.namespace}/${event.repo.name} through this integration`);

  let client: VcsClient | null = null;
  const api = async () => (client ??= await clientForIntegration(sql, deps.key, integration, { ...deps.clientOptions, installationId: event.installationId }));
  // Attached GIT_PUSH policies (shared/policies/push.ts) stand in for the default per stack.
  const pushPolicies = deps.decide ? null : await pushPolicyDecider(sql, stacks.map((s) => s.id));
  const decide = deps.decide ?? pushPolicies?.decide ?? decidePush;
  const running = await inProgress(sql, stacks.map((s) => s.id));
  const stackInput = (s: MatchedStack): PushPolicyInput["stack"] => ({ id: s.id, branch: s.branch, project_root: s.projectRoot, additional_project_globs: s.additionalProjectGlobs });

  let commit: CommitInfo = event.commit;
  let inputs: Array<[MatchedStack, PushPolicyInput]>;
  if (event.kind === "push") {
    const files = await pushFiles(event, api);
    // null: a new branch whose payload is truncated has no base to compare with, so every stack
    // counts as affected (a path inside its project root stands for the unknown files).
    const filesFor = (s: MatchedStack) => files ?? [s.projectRoot || "."];
    inputs = stacks.map((s) => [s, { push: pushInput(event, filesFor(s)), stack: stackInput(s), in_progress: running.get(s.id) ?? [] }]);
  } else {
    const pr = event;
    // The files cost API calls: ask for them only when some stack would propose were its files touched.
    const wouldPropose = stacks.some((s) => {
      const d = decide({ pull_request: pullRequestInput(pr, ["."]), stack: { ...stackInput(s), project_root: "", additional_project_globs: [] }, in_progress: [] });
      return d.propose && !d.ignore;
    });
    const files = wouldPropose ? await pullRequestFiles(pr, api) : [];
    inputs = stacks.map((s) => [s, { pull_request: pullRequestInput(pr, files), stack: stackInput(s), in_progress: running.get(s.id) ?? [] }]);
  }

  const created: string[] = [];
  const notes: string[] = [];
  for (const [stack, input] of inputs) {
    const d = decide(input);
    if (d.ignore || (!d.track && !d.propose)) continue;
    if (event.kind === "pull_request" && event.fork && !d.allowFork) continue;
    if (commit.message === null && event.kind === "pull_request") {
      commit = await (await api()).commit(event.repo, event.headSha).catch((error) => {
        log.warn("commit details unavailable", { delivery: deliveryId, reason: (error as Error).message });
        return commit;
      });
    }
    const branch = event.kind === "push" ? (event.branch as string) : event.headBranch;
    const pullRequest = event.kind === "pull_request" ? event.number : null;
    const by = `${provider === "GITHUB" ? "github" : "gitlab"}/${event.sender ?? "unknown"}`;
    for (const type of [...(d.track ? ["TRACKED" as const] : []), ...(d.propose ? ["PROPOSED" as const] : [])]) {
      const outcome = await createVcsRun(sql, { stackId: stack.id, type, sha: commit.sha, branch, message: commit.message, author: commit.author, triggeredBy: by, pullRequest });
      if (outcome.created) {
        created.push(outcome.run.id);
        if (type === "PROPOSED") await supersedeProposedRuns(sql, stack.id, branch, outcome.run);
      } else notes.push(`${stack.id}: ${outcome.reason}`);
    }
    if (d.cancel.length) log.info("push policy asked to cancel runs; not supported yet", { stack: stack.id, runs: d.cancel.length });
  }
  const summary = created.length ? `created ${created.length} run(s): ${created.join(", ")}` : "no runs";
  await pushPolicies?.flush();
  return finish(notes.length ? `${summary}; ${notes.join("; ")}` : summary, created);
}

function pushInput(event: PushEvent, files: readonly string[]): NonNullable<PushPolicyInput["push"]> {
  return {
    affected_files: files,
    branch: event.branch ?? "",
    tag: event.tag ?? "",
    hash: event.after,
    message: event.commit.message ?? "",
    author: event.commit.author ?? "",
    deleted: event.deleted,
  };
}

function pullRequestInput(event: PullRequestEvent, files: readonly string[]): NonNullable<PushPolicyInput["pull_request"]> {
  return {
    id: event.number,
    action: event.action,
    head: { branch: event.headBranch, sha: event.headSha },
    base: { branch: event.baseBranch },
    diff: files,
    draft: event.draft,
    fork: event.fork,
    title: event.title,
    author: event.author ?? "",
  };
}

/** The push's files: from the payload, else `git diff before after` in a clone; null for a truncated new branch. */
async function pushFiles(event: PushEvent, api: () => Promise<VcsClient>): Promise<readonly string[] | null> {
  if (event.files !== null) return event.files;
  if (event.deleted || event.tag !== null) return [];
  if (ZERO.test(event.before)) return null;
  return changedFiles(await (await api()).cloneAuth(event.repo), event.before, event.after);
}

/** The pull request's files from the provider; from a clone when the provider's list is capped. */
async function pullRequestFiles(event: PullRequestEvent, api: () => Promise<VcsClient>): Promise<readonly string[]> {
  const client = await api();
  const listed = await client.pullRequestFiles(event.repo, event.number);
  if (listed !== null) return listed;
  return withClone(await client.cloneAuth(event.repo), async (dir, env) => diffNames(dir, env, await mergeBase(dir, env, `refs/heads/${event.baseBranch}`, event.headSha), event.headSha));
}

/** The drain's VCS deps from the installation's secret key (the key is vcsKey of the configuration key). */
export function vcsDrainDeps(secretKey: string, publicUrl: string): VcsDeps {
  return { key: vcsKey(deriveKey(secretKey, "config-elements")), publicUrl };
}
