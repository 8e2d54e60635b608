// Talking back to a VCS host: one interface, one implementation per provider (github.ts,
// gitlab.ts). Only the few REST calls Gantry needs: commit statuses, one pull request comment per
// stack edited in place, a pull request's changed files, a commit's message and author, and the
// credentials a git clone needs. Errors never carry tokens or response bodies.
import { GantryError } from "../errors.ts";
import type { CommitInfo, Repo } from "./events.ts";

export type StatusState = "pending" | "success" | "failure" | "error";
export type CommitStatus = Readonly<{ state: StatusState; context: string; description: string; targetUrl: string }>;
export type CloneAuth = Readonly<{ url: string; credentials: Readonly<{ username: string; password: string }> | null }>;

export interface VcsClient {
  setCommitStatus(repo: Repo, sha: string, status: CommitStatus): Promise<void>;
  /** Edits comment `commentId` when given (and still there), else creates one; returns the comment's id. */
  upsertComment(repo: Repo, pullRequest: number, commentId: string | null, body: string): Promise<string>;
  /** Files the pull request changes; null when the provider's list is capped and may be incomplete. */
  pullRequestFiles(repo: Repo, pullRequest: number): Promise<string[] | null>;
  commit(repo: Repo, sha: string): Promise<CommitInfo>;
  /** The https clone URL and the credentials for it (short-lived for a GitHub App). */
  cloneAuth(repo: Repo): Promise<CloneAuth>;
}

export type ClientOptions = Readonly<{ fetch?: typeof fetch; timeoutMs?: number; installationId?: number | null }>;

export class VcsHttpError extends GantryError {
  constructor(readonly status: number, what: string) {
    super("Unavailable", `${what} failed with HTTP ${status}`);
  }
}

/** A JSON request with a deadline; a non-2xx answer throws VcsHttpError naming the call, not the body. */
export async function requestJson<T>(fetchImpl: typeof fetch, url: string, init: RequestInit & { timeoutMs: number; what: string }): Promise<{ status: number; body: T; headers: Headers }> {
  let response: Response;
  try {
    response = await fetchImpl(url, { ...init, signal: AbortSignal.timeout(init.timeoutMs) });
  } catch (error) {
    throw new GantryError("Unavailable", `${init.what} failed: ${(error as Error).name === "TimeoutError" ? "timed out" : "unreachable"}`);
  }
  const text = await response.text();
  if (!response.ok) throw new VcsHttpError(response.status, init.what);
  return { status: response.status, body: (text ? JSON.parse(text) : null) as T, headers: response.headers };
}

export const repoPath = (repo: Repo) => `${repo.namespace}/${repo.name}`;
