// Fetching a run's source: `git clone` of the branch, then the exact commit when the run names one.
// HTTPS credentials never appear in the URL or in git's arguments: git asks for them through
// GIT_ASKPASS, a script that prints them from its environment, which only git's processes see.
import { execFile } from "node:child_process";
import { chmod, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { withoutCredentials, type Credentials } from "./environment.ts";

const ASKPASS = `#!/bin/sh
case "$1" in
  Username*|username*) printf '%s\\n' "$GANTRY_ASKPASS_USERNAME" ;;
  *) printf '%s\\n' "$GANTRY_ASKPASS_PASSWORD" ;;
esac
`;

export type CloneOptions = Readonly<{
  url: string;
  branch: string;
  sha: string | null;
  dir: string;
  signal: AbortSignal;
  /** The environment git runs in (the worker's pass-through variables). */
  env: Readonly<Record<string, string>>;
  credentials?: Credentials | null;
  /** A directory outside the clone for the askpass script. */
  scratch: string;
}>;

function git(args: string[], cwd: string | undefined, env: Record<string, string>, signal: AbortSignal): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile("git", args, { cwd, signal, env, maxBuffer: 1024 * 1024 }, (error, stdout, stderr) => {
      if (error) {
        const detail = signal.aborted ? "stopped" : (stderr || error.message).trim().split("\n").slice(-3).join(" ");
        return reject(new Error(`git ${args.find((a) => /^[a-z-]+$/.test(a) && a !== "-c") ?? ""} failed: ${detail}`));
      }
      resolve(stdout.trim());
    });
  });
}

/** Clones `branch` of `url` into `dir` and checks out `sha` (or the branch head). Returns the commit checked out. */
export async function cloneCommit(options: CloneOptions): Promise<string> {
  const { dir, signal } = options;
  const env: Record<string, string> = { ...options.env, GIT_TERMINAL_PROMPT: "0", GIT_CONFIG_NOSYSTEM: "1" };
  if (options.credentials) {
    const askpass = join(options.scratch, "git-askpass.sh");
    await writeFile(askpass, ASKPASS, { mode: 0o700 });
    await chmod(askpass, 0o700);
    Object.assign(env, { GIT_ASKPASS: askpass, GANTRY_ASKPASS_USERNAME: options.credentials.username, GANTRY_ASKPASS_PASSWORD: options.credentials.password });
  }
  // No stored credential helper answers in the run's place, and git stores nothing it was told.
  const config = ["-c", "credential.helper="];
  const url = withoutCredentials(options.url);
  await git([...config, "clone", "--quiet", "--no-tags", "--single-branch", "--branch", options.branch, "--", url, dir], undefined, env, signal);
  if (options.sha) {
    try {
      await git(["checkout", "--quiet", "--detach", options.sha], dir, env, signal);
    } catch {
      // Not on the branch's history: fetch that commit by itself.
      await git([...config, "fetch", "--quiet", "origin", options.sha], dir, env, signal);
      await git(["checkout", "--quiet", "--detach", options.sha], dir, env, signal);
    }
  }
  return git(["rev-parse", "HEAD"], dir, env, signal);
}
