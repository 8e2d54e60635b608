// Executes one phase of an accepted run on this worker, in a fresh directory removed afterwards.
//
//   plan phase (the run is PREPARING): clone the run's commit, write the mounted files, fetch the
//     local state, then the driver's phases; a plan phase's summary and JSON plan are sent, and a
//     proposed run, or a tracked run without changes, ends FINISHED; a tracked run with changes
//     goes on to APPLYING (autodeploy) or its workspace is archived and it waits UNCONFIRMED. The
//     JSON plan is uploaded before the summary is sent; the answer (the plan policies' decision)
//     fails the run (deny), makes a tracked run wait UNCONFIRMED (warn), or ends a proposed run
//     PENDING_REVIEW.
//   apply phase (PREPARING_APPLY): unpack the archived workspace, then APPLYING.
//
// Each state is reported before its work starts; the answer's state version opens that state's
// log, and the log is flushed before the next report. Hooks run around each phase, afterRun at
// the end whatever the outcome. A stop from the server or a timeout stops the tool (SIGINT to its
// process group, then SIGKILL); after the server's stop nothing more is reported.
import { BACKEND_OVERRIDE_FILE, ENVIRONMENT_BACKEND_OVERRIDE } from "../shared/state/override.ts";
import { Buffer } from "node:buffer";
import { mkdir, readFile, rm, writeFile, copyFile } from "node:fs/promises";
import { join } from "node:path";
import type { Logger } from "../shared/log.ts";
import type { RunState } from "../shared/runs/run.ts";
import type { Output, PlanDecision, PlanSummary, RunSpec, StateReport, StateReportResponse } from "../shared/workers/protocol.ts";
import { getObject, isRefusal, putObject } from "./api_client.ts";
import { runControl, type RunControl } from "./control.ts";
import type { Driver, LogSink, Phase, PhaseContext, PhaseResult, RunLogs, Workspace } from "./drivers/driver.ts";
import { planRun, type Drivers } from "./drivers/registry.ts";
import { gitCredentials, maskSecrets, phaseEnvironment, runEnvironment, secretValues } from "./environment.ts";
import { cloneCommit } from "./git.ts";
import { runHooks } from "./hooks.ts";
import { loggerRunLogs } from "./logs.ts";
import { archiveWorkspace, extractWorkspace, freshDirectory, projectDirectory, writeMountedFiles, WorkspaceError } from "./workspace.ts";

/** What the executor tells the server about the run (worker/api_client.ts with the run token). */
export type RunChannel = Readonly<{
  report(report: StateReport): Promise<StateReportResponse>;
  /** The answer: the plan policies' decision (void: allow). */
  plan(summary: PlanSummary): Promise<PlanDecision | void>;
  outputs(outputs: readonly Output[]): Promise<void>;
}>;

export type ExecuteOptions = Readonly<{
  run: RunSpec;
  channel: RunChannel;
  drivers: Drivers;
  workDir: string;
  log: Logger;
  /** The worker's own variables runs see (worker/config.ts runEnvironment). */
  baseEnv: Readonly<Record<string, string>>;
  /** The run's logs (worker/logs.ts createRunLogs); without it, tool output goes to the worker's logger. */
  logs?: RunLogs;
  /** Stops from the server (agent.ts); the executor adds its own timeouts. */
  control?: RunControl;
}>;

export type Outcome = "FINISHED" | "FAILED" | "UNCONFIRMED" | "PENDING_REVIEW" | "STOPPED";

/** The server refused a call: for a state report, the run is no longer this worker's to act on. */
class Refused extends Error {
  constructor(readonly what: string, message: string) {
    super(message);
  }
}

const SILENT: LogSink = Object.freeze({ write: () => {} });

export async function executeRun(options: ExecuteOptions): Promise<Outcome> {
  const { run, channel } = options;
  const log = options.log.child({ run: run.id });
  const control = options.control ?? runControl();
  const secrets = secretValues(run);
  const mask = (text: string) => maskSecrets(text, secrets);
  const logs = options.logs ?? loggerRunLogs(log, secrets);

  // The current state's log; every write counts as output for the no-output watchdog, which does
  // not count the worker's own quiet work (clone, archive, transfers): only runSeconds bounds that.
  let sink: LogSink = SILENT;
  let lastOutput = Date.now();
  let quietWork = false;
  const output: LogSink = { write: (text) => ((lastOutput = Date.now()), sink.write(text)) };
  const say = (line: string) => output.write(`${line}\n`);

  const runTimer = setTimeout(() => control.stop("SIGINT", `run timed out after ${run.timeouts.runSeconds} s`, false), run.timeouts.runSeconds * 1000);
  const silenceMs = run.timeouts.noOutputSeconds * 1000;
  const watchdog = setInterval(() => {
    if (quietWork) lastOutput = Date.now();
    else if (Date.now() - lastOutput > silenceMs) control.stop("SIGINT", `no output for ${run.timeouts.noOutputSeconds} s: the tool was stopped`, false);
  }, Math.max(50, Math.min(1000, silenceMs / 4)));

  const call = async <T>(what: "report" | "plan summary" | "outputs", action: () => Promise<T>): Promise<T> => {
    try {
      return await action();
    } catch (error) {
      if (isRefusal(error)) throw new Refused(what, (error as Error).message);
      throw error;
    }
  };
  const enter = async (state: RunState) => {
    await logs.flush();
    const answer = await call("report", () => channel.report({ state }));
    sink = logs.enter(answer.state, answer.stateVersion);
    lastOutput = Date.now();
  };
  const quietly = async <T>(what: () => Promise<T>): Promise<T> => {
    quietWork = true;
    try {
      return await what();
    } finally {
      quietWork = false;
      lastOutput = Date.now();
    }
  };

  let root: string | null = null;
  let workspace: Workspace | null = null;
  let env: Record<string, string> = {};
  let state: RunState = run.phase === "apply" ? "PREPARING_APPLY" : "PREPARING";
  const context = (exported: Readonly<Record<string, string>> = {}, finalState?: string): PhaseContext => ({
    run,
    workspace: workspace as Workspace,
    log,
    signal: control.signal,
    kill: control.kill,
    env: { ...phaseEnvironment(env, state, finalState), ...exported },
    output,
  });

  /** afterRun hooks, then the final report; nothing is reported once the server ended the run. */
  const end = async (outcome: "FINISHED" | "FAILED" | "UNCONFIRMED" | "PENDING_REVIEW", reason?: string): Promise<Outcome> => {
    if (control.byServer()) return "STOPPED";
    const note = outcome === "FAILED" ? mask(control.reason() ?? reason ?? "the run failed") : undefined;
    if (outcome === "FAILED") log.warn("run failed", { reason: note });
    if (workspace && !control.signal.aborted && run.hooks.afterRun.length > 0) {
      const after = await runHooks("afterRun", run.hooks.afterRun, context({}, outcome));
      if (after.exitCode !== 0) say(`afterRun hooks failed (${after.reason}); the run's outcome stands`);
    }
    if (control.byServer()) return "STOPPED";
    await logs.flush();
    await call("report", () => channel.report(note === undefined ? { state: outcome } : { state: outcome, note }));
    log.info(`run ${outcome.toLowerCase()}`);
    return outcome;
  };
  const fail = (reason: string) => end("FAILED", reason);

  try {
    if (control.byServer()) return "STOPPED";
    await enter(state);
    const planned = planRun(options.drivers, run);
    if ("refused" in planned) return await fail(planned.refused);
    const { driver, phases } = planned;
    const dir = await freshDirectory(options.workDir, run.id);
    root = dir;
    const scratch = `${dir}.scratch`;
    await mkdir(scratch, { recursive: true });

    let commit: string;
    const source = join(dir, "source");
    if (run.phase === "apply") {
      if (!run.urls.workspaceDownload) return await fail("the run has no workspace to apply (no download URL)");
      say("Downloading the workspace of the plan");
      const archive = await quietly(() => getObject(run.urls.workspaceDownload as string));
      if (!archive) return await fail("the workspace of the plan is gone from storage");
      await writeFile(join(scratch, "workspace.tar.gz"), archive);
      await quietly(() => extractWorkspace(join(scratch, "workspace.tar.gz"), dir, control.signal));
      await rm(join(scratch, "workspace.tar.gz"), { force: true });
      commit = run.repository.sha ?? "";
    } else {
      const url = run.repository.url;
      if (!url) return await fail("the stack's repository has no Git URL to clone (VCS integrations are not available yet)");
      say(`Cloning ${run.repository.branch}${run.repository.sha ? ` at ${run.repository.sha}` : ""}`);
      try {
        commit = await quietly(() => cloneCommit({
          url,
          branch: run.repository.branch,
          sha: run.repository.sha,
          dir: source,
          signal: control.signal,
          env: options.baseEnv,
          credentials: gitCredentials(run),
          scratch,
        }));
      } catch (error) {
        return await fail((error as Error).message);
      }
      say(`Source ready at ${commit}`);
      await writeMountedFiles(dir, run.files);
    }
    workspace = { root: dir, source, workingDir: await projectDirectory(source, run.repository.projectRoot) };
    env = runEnvironment(run, { commit, workspace, base: options.baseEnv, driver: driver.environment });

    if (driver.prepare) {
      const prepared = await driver.prepare(context());
      if (prepared.exitCode !== 0) return await fail(prepared.reason ?? "the worker could not prepare the run");
    }
    const stateFile = await localState(driver, workspace, run, options, say, quietly);

    let recordOutputs = false;
    for (const phase of phases) {
      state = phase.state;
      await enter(state);
      const result = await runPhase(phase, context, scratch);
      if (phase.writesState) {
        const uploaded = await stateFile.upload();
        if (uploaded) return await fail(uploaded);
      }
      if (result.exitCode !== 0) return await fail(result.reason ?? `${phase.state.toLowerCase()} failed with exit code ${result.exitCode}`);
      if (phase.recordsOutputs) recordOutputs = true;
      if (phase.plans && result.plan) {
        const { summary, changes, json } = result.plan;
        // The JSON plan goes up first: the server's plan policies read it when the summary arrives.
        if (json !== null && run.urls.planUpload) await quietly(() => putObject(run.urls.planUpload as string, json, { contentType: "application/json" }));
        const decision = (await call("plan summary", () => channel.plan(summary))) ?? { outcome: "allow", messages: [] };
        if (decision.outcome === "deny") return await fail(`denied by plan policies: ${decision.messages.join("; ")}`);
        if (decision.outcome === "warn") say(`Plan policy warnings: ${decision.messages.join("; ")}`);
        if (run.type !== "TRACKED") {
          if (decision.pendingReview) return await end("PENDING_REVIEW");
          break;
        }
        if (!changes) {
          say("No changes.");
          recordOutputs = true;
          break;
        }
        if (!run.autodeploy || decision.outcome === "warn") {
          if (!run.urls.workspaceUpload) return await fail("the run cannot wait for confirmation: no URL to upload its workspace to");
          say("Archiving the workspace for the apply");
          const archive = join(scratch, "workspace.tar.gz");
          await quietly(() => archiveWorkspace(dir, archive, control.signal));
          await quietly(async () => putObject(run.urls.workspaceUpload as string, await readFile(archive), { contentType: "application/gzip" }));
          await rm(archive, { force: true });
          return await end("UNCONFIRMED");
        }
      }
    }
    if (recordOutputs && driver.outputs) {
      const outputs = await driver.outputs(context());
      await call("outputs", () => channel.outputs(outputs));
      say(`${outputs.length} output${outputs.length === 1 ? "" : "s"} recorded`);
    }
    return await end("FINISHED");
  } catch (error) {
    if (error instanceof Refused && error.what !== "report" && !control.byServer()) {
      // The server took the summary or outputs amiss, or no longer lets this worker act: say so, once.
      const note = mask(`the server refused the run's ${error.what}: ${error.message}`);
      log.warn("run failed", { reason: note });
      const reported = await channel.report({ state: "FAILED", note }).then(() => true, () => false);
      if (reported) return "FAILED";
    }
    if (error instanceof Refused || control.byServer()) {
      control.stop("SIGINT", "the server ended the run", true);
      log.info("the server ended the run; its reports stop here", { reason: error instanceof Refused ? error.message : (control.reason() ?? undefined) });
      return "STOPPED";
    }
    const reason = error instanceof WorkspaceError ? error.message : `the worker failed: ${(error as Error).message}`;
    try {
      return await fail(reason);
    } catch (second) {
      log.warn("the failure could not be reported", { reason: mask((second as Error).message) });
      return control.byServer() ? "STOPPED" : "FAILED";
    }
  } finally {
    clearTimeout(runTimer);
    clearInterval(watchdog);
    await logs.close().catch((error) => log.warn("the run's logs could not be closed", { reason: (error as Error).message }));
    if (root) await Promise.all([rm(root, { recursive: true, force: true }), rm(`${root}.scratch`, { recursive: true, force: true })]);
  }
}

/** A phase with its hooks: before-hooks (their exports seen by the phase), the work, after-hooks. */
async function runPhase(phase: Phase, context: (exported?: Readonly<Record<string, string>>) => PhaseContext, scratch: string): Promise<PhaseResult> {
  if (!phase.hooks) return phase.run(context());
  const hooks = context().run.hooks;
  const before = await runHooks(phase.hooks.before, hooks[phase.hooks.before], context(), scratch);
  if (before.exitCode !== 0) return { exitCode: before.exitCode, reason: `${phase.hooks.before} hooks failed: ${before.reason}` };
  const result = await phase.run(context(before.exported));
  if (result.exitCode !== 0) return result;
  const after = await runHooks(phase.hooks.after, hooks[phase.hooks.after], context(before.exported));
  if (after.exitCode !== 0) return { exitCode: after.exitCode, reason: `${phase.hooks.after} hooks failed: ${after.reason}` };
  return result;
}

type StateFile = Readonly<{ upload(): Promise<string | null> }>;

/**
 * The tool's local state: downloaded into the project root before the first phase of a plan (404:
 * none yet), uploaded after a phase that may write it whenever it changed. A state that cannot be
 * uploaded is kept on the worker, never lost with the directory.
 */
async function localState(
  driver: Driver,
  workspace: Workspace,
  run: RunSpec,
  options: ExecuteOptions,
  say: (line: string) => void,
  quietly: <T>(what: () => Promise<T>) => Promise<T>,
): Promise<StateFile> {
  if (!driver.localStateFile) return { upload: async () => null };
  if (run.stateBackend) {
    // Managed state: Gantry's HTTP backend holds it (settings in TF_HTTP_*, environment.ts).
    await writeFile(join(workspace.workingDir, BACKEND_OVERRIDE_FILE), ENVIRONMENT_BACKEND_OVERRIDE, { mode: 0o600 });
    if (run.phase === "plan") say("State managed by Gantry (http backend)");
    return { upload: async () => null };
  }
  const path = join(workspace.workingDir, driver.localStateFile);
  const read = () => readFile(path).catch(() => null);
  if (run.phase === "plan" && run.urls.localStateDownload) {
    const stored = await quietly(() => getObject(run.urls.localStateDownload as string));
    if (stored) {
      await writeFile(path, stored, { mode: 0o600 });
      say("State downloaded");
    } else say("No state yet");
  }
  let last = await read();
  return {
    upload: async () => {
      const now = await read();
      if (!now || (last && Buffer.compare(now, last) === 0)) return null;
      if (!run.urls.localStateUpload) return null;
      try {
        await quietly(() => putObject(run.urls.localStateUpload as string, now, { contentType: "application/json" }));
        last = now;
        say("State uploaded");
        return null;
      } catch (error) {
        const keep = join(options.workDir, "unsaved-state", `${run.id}-${Date.now()}.tfstate`);
        await mkdir(join(options.workDir, "unsaved-state"), { recursive: true, mode: 0o700 });
        await copyFile(path, keep);
        options.log.error("the run's state could not be uploaded; a copy is kept on the worker", { run: run.id, path: keep, reason: (error as Error).message });
        return `the state could not be uploaded (${(error as Error).message}); the worker keeps a copy at ${keep}`;
      }
    },
  };
}
