// Executes one accepted run: a fresh working directory, the source cloned at the run's commit,
// then the driver's phases, each reported to the server before it starts. The first phase that
// fails fails the run with its reason; when all succeed the run is FINISHED. The directory is
// removed afterwards, whatever happened.
import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { join, resolve, relative, isAbsolute } from "node:path";
import type { Logger } from "../shared/log.ts";
import type { RunSpec, StateReport } from "../shared/workers/protocol.ts";
import type { Driver, Workspace } from "./drivers/driver.ts";
import { cloneCommit } from "./git.ts";

export type Reporter = (report: StateReport) => Promise<void>;

export type ExecuteOptions = Readonly<{
  run: RunSpec;
  report: Reporter;
  drivers: readonly Driver[];
  workDir: string;
  log: Logger;
  signal: AbortSignal;
}>;

export async function executeRun(options: ExecuteOptions): Promise<"FINISHED" | "FAILED"> {
  const { run, report, log } = options;
  const fail = async (reason: string) => {
    log.warn("run failed", { run: run.id, reason });
    await report({ state: "FAILED", note: reason });
    return "FAILED" as const;
  };
  const phases = options.drivers.map((d) => d.phases(run)).find((p) => p !== null);
  if (!phases) return fail(`this worker cannot execute ${run.type} runs yet`);
  if (!run.repository.url) return fail("the stack's repository has no Git URL to clone (VCS integrations are not available yet)");
  await mkdir(options.workDir, { recursive: true });
  const root = await mkdtemp(join(options.workDir, `run-${run.id}-`));
  try {
    const source = join(root, "source");
    let commit: string;
    try {
      commit = await cloneCommit(run.repository.url, run.repository.branch, run.repository.sha, source, options.signal);
    } catch (error) {
      return fail((error as Error).message);
    }
    log.info("source ready", { run: run.id, commit });
    const workingDir = resolve(source, run.repository.projectRoot || ".");
    const inside = relative(source, workingDir);
    if (inside.startsWith("..") || isAbsolute(inside)) return fail("the stack's project root leaves the repository");
    const workspace: Workspace = { root, source, workingDir };
    const env = runEnvironment(run, commit, workspace);
    for (const phase of phases) {
      await report({ state: phase.state });
      const result = await phase.run({ run, workspace, log, signal: options.signal, env });
      if (result.exitCode !== 0) return fail(result.reason ?? `${phase.state.toLowerCase()} failed with exit code ${result.exitCode}`);
    }
    await report({ state: "FINISHED" });
    log.info("run finished", { run: run.id });
    return "FINISHED";
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}

/** The environment commands see: the worker's PATH and HOME, and the run's metadata. */
function runEnvironment(run: RunSpec, commit: string, workspace: Workspace): Record<string, string> {
  const env: Record<string, string> = {};
  for (const name of ["PATH", "HOME", "LANG", "TZ"]) if (process.env[name]) env[name] = process.env[name] as string;
  return {
    ...env,
    GANTRY_RUN_ID: run.id,
    GANTRY_RUN_TYPE: run.type,
    GANTRY_STACK_ID: run.stackId,
    GANTRY_COMMIT_SHA: commit,
    GANTRY_COMMIT_BRANCH: run.repository.branch,
    GANTRY_WORKSPACE_ROOT: workspace.root,
    TF_VAR_spacelift_run_id: run.id,
    TF_VAR_spacelift_stack_id: run.stackId,
    TF_VAR_spacelift_commit_sha: commit,
    TF_VAR_spacelift_commit_branch: run.repository.branch,
    TF_VAR_spacelift_run_type: run.type,
  };
}
