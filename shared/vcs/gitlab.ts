// The GitLab client (gitlab.com or self-managed, REST v4), authenticated with a token
// (PRIVATE-TOKEN). Endpoints: POST /projects/:id/statuses/:sha, POST and PUT
// /projects/:id/merge_requests/:iid/notes[/:note_id], GET /projects/:id/merge_requests/:iid/diffs,
// GET /projects/:id/repository/commits/:sha. A project id is its URL-encoded path.
import { GantryError } from "../errors.ts";
import type { CommitInfo, Repo } from "./events.ts";
import type { Credentials, Integration } from "./integration.ts";
import { repoPath, requestJson, VcsHttpError, type ClientOptions, type CloneAuth, type CommitStatus, type StatusState, type VcsClient } from "./client.ts";

const PAGE = 100;
const MAX_PAGES = 100;

/** GitLab's commit status states. */
const GITLAB_STATES: Readonly<Record<StatusState, string>> = Object.freeze({ pending: "running", success: "success", failure: "failed", error: "canceled" });

export function gitlabClient(integration: Integration, credentials: Credentials | null, options: ClientOptions = {}): VcsClient {
  const fetchImpl = options.fetch ?? fetch;
  const timeoutMs = options.timeoutMs ?? 10_000;
  const token = credentials?.token;
  const api = `${integration.apiHost}/api/v4`;
  const project = (repo: Repo) => encodeURIComponent(repoPath(repo));
  const call = <T>(method: string, path: string, what: string, body?: unknown) => {
    if (!token) throw new GantryError("Invalid", `GitLab integration ${integration.id} has no token`);
    return requestJson<T>(fetchImpl, `${api}${path}`, {
      method,
      timeoutMs,
      what: `GitLab ${what}`,
      headers: { "private-token": token, "user-agent": "gantry", ...(body === undefined ? {} : { "content-type": "application/json" }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  };
  return {
    async setCommitStatus(repo: Repo, sha: string, status: CommitStatus) {
      try {
        await call("POST", `/projects/${project(repo)}/statuses/${sha}`, "commit status", {
          state: GITLAB_STATES[status.state],
          name: status.context,
          description: status.description.slice(0, 255),
          target_url: status.targetUrl,
        });
      } catch (error) {
        // GitLab refuses a status equal to the current one ("Cannot transition status"): nothing to do.
        if (!(error instanceof VcsHttpError && error.status === 400)) throw error;
      }
    },
    async upsertComment(repo: Repo, pullRequest: number, commentId: string | null, body: string) {
      if (commentId) {
        try {
          await call("PUT", `/projects/${project(repo)}/merge_requests/${pullRequest}/notes/${commentId}`, "note update", { body });
          return commentId;
        } catch (error) {
          if (!(error instanceof VcsHttpError && error.status === 404)) throw error;
        }
      }
      const created = await call<{ id: number }>("POST", `/projects/${project(repo)}/merge_requests/${pullRequest}/notes`, "note", { body });
      return String(created.body.id);
    },
    async pullRequestFiles(repo: Repo, pullRequest: number) {
      const files = new Set<string>();
      for (let page = 1; page <= MAX_PAGES; page++) {
        const { body } = await call<Array<{ new_path: string; old_path: string }>>("GET", `/projects/${project(repo)}/merge_requests/${pullRequest}/diffs?per_page=${PAGE}&page=${page}`, "merge request diffs");
        for (const d of body) {
          files.add(d.new_path);
          files.add(d.old_path);
        }
        if (body.length < PAGE) return [...files];
      }
      return null;
    },
    async commit(repo: Repo, sha: string): Promise<CommitInfo> {
      const { body } = await call<{ message: string; author_name?: string }>("GET", `/projects/${project(repo)}/repository/commits/${sha}`, "commit");
      return { sha, message: body.message ?? null, author: body.author_name ?? null };
    },
    async cloneAuth(repo: Repo): Promise<CloneAuth> {
      return { url: `${integration.userFacingHost}/${repoPath(repo)}.git`, credentials: token ? { username: "oauth2", password: token } : null };
    },
  };
}
