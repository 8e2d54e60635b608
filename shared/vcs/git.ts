// The git command line, for what webhook payloads do not say: the files between two commits when
// the payload is truncated, a raw Git branch's head, and a commit's message and author. Credentials
// go to git through its environment (GIT_CONFIG_* → http.extraHeader), never its arguments, so
// they show neither in `ps` nor in errors.
import { execFile } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { GantryError } from "../errors.ts";
import type { CloneAuth } from "./client.ts";
import type { CommitInfo } from "./events.ts";

const TIMEOUT_MS = 120_000;

function gitEnv(auth: CloneAuth): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: process.env.HOME ?? tmpdir(), GIT_TERMINAL_PROMPT: "0", GIT_ASKPASS: "/bin/false", LC_ALL: "C" };
  if (auth.credentials) {
    const basic = Buffer.from(`${auth.credentials.username}:${auth.credentials.password}`).toString("base64");
    Object.assign(env, { GIT_CONFIG_COUNT: "1", GIT_CONFIG_KEY_0: "http.extraHeader", GIT_CONFIG_VALUE_0: `Authorization: Basic ${basic}` });
  }
  return env;
}

function git(args: readonly string[], env: NodeJS.ProcessEnv, cwd?: string): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile("git", args, { env, cwd, timeout: TIMEOUT_MS, maxBuffer: 256 * 1024 * 1024 }, (error, stdout) => {
      // The command's stderr may echo the URL; say which step failed and nothing more.
      if (error) reject(new GantryError("Unavailable", `git ${args[0]} failed (exit ${(error as { code?: unknown }).code ?? "?"})`));
      else resolve(stdout);
    });
  });
}

/** A blob-less bare clone in a temporary directory, handed to `use` and removed afterwards. */
export async function withClone<T>(auth: CloneAuth, use: (dir: string, env: NodeJS.ProcessEnv) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), "gantry-vcs-"));
  const env = gitEnv(auth);
  try {
    await git(["clone", "--quiet", "--bare", "--no-tags", "--filter=blob:none", "--", auth.url, join(dir, "repo.git")], env);
    return await use(join(dir, "repo.git"), env);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Files that differ between two commits (no rename detection: both paths count). */
export async function diffNames(dir: string, env: NodeJS.ProcessEnv, from: string, to: string): Promise<string[]> {
  const out = await git(["diff-tree", "-r", "--name-only", "--no-renames", "-z", from, to], env, dir);
  return out.split("\0").filter(Boolean);
}

/** The best common ancestor of two commits: what a pull request of `head` into `base` changes is base..head. */
export async function mergeBase(dir: string, env: NodeJS.ProcessEnv, base: string, head: string): Promise<string> {
  return (await git(["merge-base", base, head], env, dir)).trim();
}

export async function commitInfo(dir: string, env: NodeJS.ProcessEnv, sha: string): Promise<CommitInfo> {
  const out = await git(["log", "-1", "--format=%an%x00%B", sha], env, dir);
  const [author, ...message] = out.split("\0");
  return { sha, author: author || null, message: message.join("\0").trimEnd() || null };
}

/** The files changed between `before` and `after` in the repository at auth.url. */
export async function changedFiles(auth: CloneAuth, before: string, after: string): Promise<string[]> {
  return withClone(auth, (dir, env) => diffNames(dir, env, before, after));
}

/** Branch name → head sha, from `git ls-remote --heads`. */
export async function remoteHeads(auth: CloneAuth): Promise<Map<string, string>> {
  const out = await git(["ls-remote", "--heads", "--", auth.url], gitEnv(auth));
  const heads = new Map<string, string>();
  for (const line of out.split("\n")) {
    const [sha, ref] = line.split("\t");
    if (sha && ref?.startsWith("refs/heads/")) heads.set(ref.slice("refs/heads/".length), sha);
  }
  return heads;
}
