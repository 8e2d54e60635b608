// The GitHub client (github.com or GitHub Enterprise Server, REST v3). Authenticates with a token,
// or as a GitHub App: an RS256 JWT signed with the App's private key buys an installation token
// (cached until a minute before it expires). Endpoints: POST /repos/{o}/{r}/statuses/{sha},
// POST /repos/{o}/{r}/issues/{n}/comments, PATCH /repos/{o}/{r}/issues/comments/{id},
// GET /repos/{o}/{r}/pulls/{n}/files, GET /repos/{o}/{r}/commits/{sha},
// GET /repos/{o}/{r}/installation, POST /app/installations/{id}/access_tokens.
import { sign } from "node:crypto";
import { GantryError } from "../errors.ts";
import type { CommitInfo, Repo } from "./events.ts";
import type { Credentials, Integration } from "./integration.ts";
import { repoPath, requestJson, VcsHttpError, type ClientOptions, type CloneAuth, type CommitStatus, type VcsClient } from "./client.ts";

/** GitHub lists at most 3000 files of a pull request. */
export const GITHUB_PR_FILES_CAP = 3000;
const PAGE = 100;

const tokenCache = new Map<string, { token: string; until: number }>();

const b64url = (data: string | Buffer) => Buffer.from(data).toString("base64url");

/** The App's JWT: iat a minute back for clock drift, valid nine minutes (GitHub allows ten). */
export function appJwt(appId: string, privateKey: string, now = Date.now()): string {
  const iat = Math.floor(now / 1000) - 60;
  const unsigned = `${b64url(JSON.stringify({ alg: "RS256", typ: "JWT" }))}.${b64url(JSON.stringify({ iat, exp: iat + 600, iss: appId }))}`;
  return `${unsigned}.${sign("RSA-SHA256", Buffer.from(unsigned), privateKey).toString("base64url")}`;
}

export function githubClient(integration: Integration, credentials: Credentials | null, options: ClientOptions = {}): VcsClient {
  const fetchImpl = options.fetch ?? fetch;
  const timeoutMs = options.timeoutMs ?? 10_000;
  const api = integration.apiHost;
  const call = <T>(method: string, path: string, what: string, token: string, body?: unknown) =>
    requestJson<T>(fetchImpl, `${api}${path}`, {
      method,
      timeoutMs,
      what: `GitHub ${what}`,
      headers: { accept: "application/vnd.github+json", authorization: `Bearer ${token}`, "x-github-api-version": "2022-11-28", "user-agent": "gantry", ...(body === undefined ? {} : { "content-type": "application/json" }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });

  async function token(repo: Repo): Promise<string> {
    if (credentials?.token) return credentials.token;
    if (!credentials?.privateKey || !integration.appId) throw new GantryError("Invalid", `GitHub integration ${integration.id} has no credentials`);
    const jwt = appJwt(integration.appId, credentials.privateKey);
    let installation = options.installationId ?? null;
    const cacheKey = `${integration.id}:${installation ?? repoPath(repo)}`;
    const cached = tokenCache.get(cacheKey);
    if (cached && cached.until > Date.now()) return cached.token;
    if (installation === null) installation = (await call<{ id: number }>("GET", `/repos/${repoPath(repo)}/installation`, "installation lookup", jwt)).body.id;
    const { body } = await call<{ token: string; expires_at: string }>("POST", `/app/installations/${installation}/access_tokens`, "installation token", jwt);
    tokenCache.set(cacheKey, { token: body.token, until: new Date(body.expires_at).getTime() - 60_000 });
    return body.token;
  }

  return {
    async setCommitStatus(repo: Repo, sha: string, status: CommitStatus) {
      await call("POST", `/repos/${repoPath(repo)}/statuses/${sha}`, "commit status", await token(repo), {
        state: status.state,
        context: status.context,
        description: status.description.slice(0, 140),
        target_url: status.targetUrl,
      });
    },
    async upsertComment(repo: Repo, pullRequest: number, commentId: string | null, body: string) {
      const auth = await token(repo);
      if (commentId) {
        try {
          await call("PATCH", `/repos/${repoPath(repo)}/issues/comments/${commentId}`, "comment update", auth, { body });
          return commentId;
        } catch (error) {
          if (!(error instanceof VcsHttpError && error.status === 404)) throw error; // deleted by someone: post anew
        }
      }
      const created = await call<{ id: number }>("POST", `/repos/${repoPath(repo)}/issues/${pullRequest}/comments`, "comment", auth, { body });
      return String(created.body.id);
    },
    async pullRequestFiles(repo: Repo, pullRequest: number) {
      const auth = await token(repo);
      const files: string[] = [];
      for (let page = 1; page <= GITHUB_PR_FILES_CAP / PAGE; page++) {
        const { body } = await call<Array<{ filename: string; previous_filename?: string }>>("GET", `/repos/${repoPath(repo)}/pulls/${pullRequest}/files?per_page=${PAGE}&page=${page}`, "pull request files", auth);
        for (const f of body) files.push(f.filename, ...(f.previous_filename ? [f.previous_filename] : []));
        if (body.length < PAGE) return files;
      }
      return null; // capped: the list may be incomplete
    },
    async commit(repo: Repo, sha: string): Promise<CommitInfo> {
      const { body } = await call<{ sha: string; commit: { message: string; author?: { name?: string } }; author?: { login?: string } | null }>("GET", `/repos/${repoPath(repo)}/commits/${sha}`, "commit", await token(repo));
      return { sha, message: body.commit?.message ?? null, author: body.author?.login ?? body.commit?.author?.name ?? null };
    },
    async cloneAuth(repo: Repo): Promise<CloneAuth> {
      return { url: `${integration.userFacingHost}/${repoPath(repo)}.git`, credentials: { username: "x-access-token", password: await token(repo) } };
    },
  };
}
