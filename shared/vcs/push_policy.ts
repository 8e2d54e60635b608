// What a VCS event does to one stack: Spacelift's default push policy, as a pure function over an
// input shaped like the GIT_PUSH policy's (push, pull_request, stack; snake_case as in Rego), so a
// Rego push policy (shared/policy/rego) can stand in for it later with the same input and result.
import { affectedFiles } from "./glob.ts";

export type PushPolicyInput = Readonly<{
  push?: Readonly<{ affected_files: readonly string[]; branch: string; tag: string; hash: string; message: string; author: string; deleted: boolean }>;
  pull_request?: Readonly<{ id: number; action: string; head: Readonly<{ branch: string; sha: string }>; base: Readonly<{ branch: string }>; diff: readonly string[]; draft: boolean; fork: boolean; title: string; author: string }>;
  stack: Readonly<{ id: string; branch: string; project_root: string; additional_project_globs: readonly string[] }>;
  /** Runs of the stack that have not started or wait for a person (QUEUED, READY, UNCONFIRMED). */
  in_progress: ReadonlyArray<Readonly<{ id: string; type: string; branch: string; state: string }>>;
}>;

export type PushDecision = Readonly<{
  track: boolean;
  propose: boolean;
  /** Wins over track and propose. */
  ignore: boolean;
  /** In-progress run ids to pre-empt (the Rego `cancel` rule); the default policy cancels none. */
  cancel: readonly string[];
  /** Forked pull requests run only when the policy allows it. */
  allowFork: boolean;
  /** Why, for the delivery's record. */
  reason: string;
}>;

const decision = (d: Partial<PushDecision> & { reason: string }): PushDecision => ({ track: false, propose: false, ignore: false, cancel: [], allowFork: false, ...d });

/** Pull request actions that propose by default: a new or reopened PR, or new commits on it. */
export const PROPOSING_ACTIONS: readonly string[] = Object.freeze(["opened", "synchronize", "reopened"]);

/**
 * The default push policy: a push to the tracked branch touching the project root or globs tracks;
 * a push to another branch touching them proposes; a pull request opened, reopened or given new
 * commits whose diff touches them proposes; tags and deleted branches are ignored; so is anything
 * else.
 */
export function decidePush(input: PushPolicyInput): PushDecision {
  const stack = { projectRoot: input.stack.project_root, additionalProjectGlobs: input.stack.additional_project_globs };
  if (input.push) {
    const push = input.push;
    if (push.tag !== "") return decision({ ignore: true, reason: "tag pushes are ignored" });
    if (push.deleted) return decision({ ignore: true, reason: "branch deletions are ignored" });
    if (affectedFiles(stack, push.affected_files).length === 0) return decision({ ignore: true, reason: "no affected files" });
    if (push.branch === input.stack.branch) return decision({ track: true, reason: "push to the tracked branch" });
    return decision({ propose: true, reason: "push to another branch" });
  }
  if (input.pull_request) {
    const pr = input.pull_request;
    if (pr.fork) return decision({ ignore: true, reason: "pull requests from forks do not run" });
    if (!PROPOSING_ACTIONS.includes(pr.action)) return decision({ ignore: true, reason: `pull request ${pr.action} does not run` });
    if (affectedFiles(stack, pr.diff).length === 0) return decision({ ignore: true, reason: "no affected files" });
    return decision({ propose: true, reason: `pull request ${pr.action}` });
  }
  return decision({ ignore: true, reason: "neither a push nor a pull request" });
}
