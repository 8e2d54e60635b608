// Provider webhook payloads as one shape: a push (branch or tag, with the files it touched when the
// payload lists them all) or a pull/merge request change. Everything else is ignored with a reason.
// Field names are the providers' documented ones (GitHub: docs.github.com/webhooks/webhook-events-and-payloads;
// GitLab: docs.gitlab.com/user/project/integrations/webhook_events).
import type { HookProvider } from "./integration.ts";

export type Repo = Readonly<{ namespace: string; name: string }>;
export type CommitInfo = Readonly<{ sha: string; message: string | null; author: string | null }>;

export type PushEvent = Readonly<{
  kind: "push";
  repo: Repo;
  branch: string | null;
  tag: string | null;
  before: string;
  after: string;
  /** The ref was deleted (after is all zeros). */
  deleted: boolean;
  /** Files touched by the pushed commits; null when the payload does not list them all (truncated). */
  files: readonly string[] | null;
  commit: CommitInfo;
  sender: string | null;
  /** GitHub App installation that sent the event, if any. */
  installationId: number | null;
}>;

/** opened, synchronize (new commits), reopened, closed, or anything else the provider says. */
export type PullRequestAction = "opened" | "synchronize" | "reopened" | "closed" | "other";

export type PullRequestEvent = Readonly<{
  kind: "pull_request";
  repo: Repo;
  number: number;
  action: PullRequestAction;
  rawAction: string;
  headBranch: string;
  headSha: string;
  baseBranch: string;
  /** From another repository (a fork). */
  fork: boolean;
  draft: boolean;
  title: string;
  author: string | null;
  /** The head commit's message and author when the payload carries them (GitLab does, GitHub does not). */
  commit: CommitInfo;
  sender: string | null;
  installationId: number | null;
}>;

export type Ignored = Readonly<{ kind: "ignored"; reason: string }>;
export type VcsEvent = PushEvent | PullRequestEvent | Ignored;

const ZERO = /^0+$/;
type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** Events each provider sends that Gantry acts on; the rest are recorded and ignored. */
export const USED_EVENTS: Readonly<Record<HookProvider, readonly string[]>> = Object.freeze({
  GITHUB: ["push", "pull_request"],
  GITLAB: ["Push Hook", "Tag Push Hook", "Merge Request Hook"],
});

/** GitHub lists at most this many commits in a push (and 3000 files per commit); beyond, ask git. */
export const GITHUB_MAX_PUSH_COMMITS = 2048;
export const GITHUB_MAX_FILES = 3000;

function filesOf(commits: readonly Json[]): string[] {
  const files = new Set<string>();
  for (const c of commits) for (const list of [c.added, c.modified, c.removed]) for (const f of list ?? []) files.add(String(f));
  return [...files];
}

const splitPath = (path: string): Repo => {
  const at = path.lastIndexOf("/");
  return { namespace: path.slice(0, at), name: path.slice(at + 1) };
};

export function parseGithub(event: string, p: Json): VcsEvent {
  if (event === "push") {
    const ref = String(p.ref ?? "");
    const commits: Json[] = Array.isArray(p.commits) ? p.commits : [];
    const head: Json = p.head_commit ?? commits[commits.length - 1] ?? {};
    const truncated = commits.length >= GITHUB_MAX_PUSH_COMMITS || commits.some((c) => (c.added?.length ?? 0) + (c.modified?.length ?? 0) + (c.removed?.length ?? 0) >= GITHUB_MAX_FILES);
    return {
      kind: "push",
      repo: { namespace: String(p.repository?.owner?.login ?? p.repository?.owner?.name ?? ""), name: String(p.repository?.name ?? "") },
      branch: ref.startsWith("refs/heads/") ? ref.slice("refs/heads/".length) : null,
      tag: ref.startsWith("refs/tags/") ? ref.slice("refs/tags/".length) : null,
      before: String(p.before ?? ""),
      after: String(p.after ?? ""),
      deleted: p.deleted === true || ZERO.test(String(p.after ?? "")),
      files: truncated ? null : filesOf(commits),
      commit: { sha: String(p.after ?? ""), message: head.message ?? null, author: head.author?.username ?? head.author?.name ?? null },
      sender: p.sender?.login ?? p.pusher?.name ?? null,
      installationId: typeof p.installation?.id === "number" ? p.installation.id : null,
    };
  }
  if (event === "pull_request") {
    const pr: Json = p.pull_request ?? {};
    const raw = String(p.action ?? "");
    const action: PullRequestAction = raw === "opened" || raw === "synchronize" || raw === "reopened" || raw === "closed" ? raw : "other";
    const base = String(pr.base?.repo?.full_name ?? p.repository?.full_name ?? "");
    return {
      kind: "pull_request",
      repo: { namespace: String(p.repository?.owner?.login ?? ""), name: String(p.repository?.name ?? "") },
      number: Number(p.number ?? pr.number),
      action,
      rawAction: raw,
      headBranch: String(pr.head?.ref ?? ""),
      headSha: String(pr.head?.sha ?? ""),
      baseBranch: String(pr.base?.ref ?? ""),
      fork: pr.head?.repo?.full_name !== undefined && pr.head?.repo?.full_name !== base,
      draft: pr.draft === true,
      title: String(pr.title ?? ""),
      author: pr.user?.login ?? null,
      commit: { sha: String(pr.head?.sha ?? ""), message: null, author: null },
      sender: p.sender?.login ?? null,
      installationId: typeof p.installation?.id === "number" ? p.installation.id : null,
    };
  }
  return { kind: "ignored", reason: `event ${event} is not used` };
}

export function parseGitlab(event: string, p: Json): VcsEvent {
  const repo = splitPath(String(p.project?.path_with_namespace ?? ""));
  if (event === "Push Hook" || event === "Tag Push Hook") {
    const ref = String(p.ref ?? "");
    const commits: Json[] = Array.isArray(p.commits) ? p.commits : [];
    // GitLab lists at most 20 commits; total_commits_count says how many there were.
    const truncated = typeof p.total_commits_count === "number" && p.total_commits_count > commits.length;
    const head = commits.find((c) => c.id === p.checkout_sha) ?? commits[commits.length - 1] ?? {};
    return {
      kind: "push",
      repo,
      branch: ref.startsWith("refs/heads/") ? ref.slice("refs/heads/".length) : null,
      tag: ref.startsWith("refs/tags/") ? ref.slice("refs/tags/".length) : null,
      before: String(p.before ?? ""),
      after: String(p.after ?? ""),
      deleted: ZERO.test(String(p.after ?? "")),
      files: truncated ? null : filesOf(commits),
      commit: { sha: String(p.checkout_sha ?? p.after ?? ""), message: head.message ?? null, author: head.author?.name ?? p.user_username ?? null },
      sender: p.user_username ?? null,
      installationId: null,
    };
  }
  if (event === "Merge Request Hook") {
    const mr: Json = p.object_attributes ?? {};
    const raw = String(mr.action ?? "");
    // "update" is any change; only one that moved the head (oldrev set) is new commits.
    const action: PullRequestAction = raw === "open" ? "opened" : raw === "reopen" ? "reopened" : raw === "close" || raw === "merge" ? "closed" : raw === "update" && mr.oldrev ? "synchronize" : "other";
    return {
      kind: "pull_request",
      repo,
      number: Number(mr.iid),
      action,
      rawAction: raw,
      headBranch: String(mr.source_branch ?? ""),
      headSha: String(mr.last_commit?.id ?? ""),
      baseBranch: String(mr.target_branch ?? ""),
      fork: mr.source_project_id !== undefined && mr.target_project_id !== undefined && mr.source_project_id !== mr.target_project_id,
      draft: mr.draft === true || mr.work_in_progress === true,
      title: String(mr.title ?? ""),
      author: p.user?.username ?? null,
      commit: { sha: String(mr.last_commit?.id ?? ""), message: mr.last_commit?.message ?? null, author: mr.last_commit?.author?.name ?? null },
      sender: p.user?.username ?? null,
      installationId: null,
    };
  }
  return { kind: "ignored", reason: `event ${event} is not used` };
}

export function parseEvent(provider: HookProvider, event: string, payload: unknown): VcsEvent {
  if (payload === null || typeof payload !== "object") return { kind: "ignored", reason: "the payload is not a JSON object" };
  return provider === "GITHUB" ? parseGithub(event, payload as Json) : parseGitlab(event, payload as Json);
}
