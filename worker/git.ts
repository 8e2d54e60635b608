// Fetching a run's source: `git clone` of the branch, then the exact commit when the run names one.
import { execFile } from "node:child_process";

const GIT_ENV = { GIT_TERMINAL_PROMPT: "0", GIT_CONFIG_NOSYSTEM: "1" };

function git(args: string[], cwd: string | undefined, signal: AbortSignal): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile("git", args, { cwd, signal, env: { ...process.env, ...GIT_ENV }, maxBuffer: 1024 * 1024 }, (error, stdout, stderr) => {
      if (error) return reject(new Error(`git ${args[0]} failed: ${(stderr || error.message).trim().split("\n").slice(-3).join(" ")}`));
      resolve(stdout.trim());
    });
  });
}

/** Clones `branch` of `url` into `dir` and checks out `sha` (or the branch head). Returns the commit checked out. */
export async function cloneCommit(url: string, branch: string, sha: string | null, dir: string, signal: AbortSignal): Promise<string> {
  await git(["clone", "--quiet", "--no-tags", "--single-branch", "--branch", branch, "--", url, dir], undefined, signal);
  if (sha) {
    try {
      await git(["checkout", "--quiet", "--detach", sha], dir, signal);
    } catch {
      // Not on the branch's history: fetch that commit by itself.
      await git(["fetch", "--quiet", "origin", sha], dir, signal);
      await git(["checkout", "--quiet", "--detach", sha], dir, signal);
    }
  }
  return git(["rev-parse", "HEAD"], dir, signal);
}
