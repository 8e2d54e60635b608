// What a driver is: the phases a run goes through on this worker, each a run state to report, the
// hooks around it and the work done in it, as data the executor (worker/execute.ts) walks. A
// vendor maps to one driver (worker/drivers/registry.ts): OpenTofu/Terraform and Ansible today;
// Terragrunt, Kubernetes and Pulumi fit the same shape (init, plan, apply, destroy, perform).
import type { Logger } from "../../shared/log.ts";
import type { RunState } from "../../shared/runs/run.ts";
import type { Output, PlanSummary, RunHooks, RunSpec } from "../../shared/workers/protocol.ts";

export type Workspace = Readonly<{
  /** The run's fresh directory (Spacelift's /mnt/workspace): mounted files are relative to it. */
  root: string;
  /** The cloned repository. */
  source: string;
  /** Where commands run: the source, or its project root. */
  workingDir: string;
}>;

/** Where a phase's tool output goes: the run's log for the current state (worker/logs.ts). */
export type LogSink = Readonly<{ write(text: string): void }>;

/** The run's logs, one stream per state version; secrets are masked before anything leaves the worker. */
export type RunLogs = Readonly<{
  /** The sink for the state just entered; the previous state's stream is finished. */
  enter(state: RunState, stateVersion: number): LogSink;
  /** Uploads everything written so far; awaited before a state change is reported. */
  flush(): Promise<void>;
  /** Flushes and stops. */
  close(): Promise<void>;
}>;

export type PhaseContext = Readonly<{
  run: RunSpec;
  workspace: Workspace;
  log: Logger;
  /** Aborted when the run is stopped or times out: the tool gets SIGINT, then SIGKILL after a grace period. */
  signal: AbortSignal;
  /** Aborted for an immediate SIGKILL (runKill). Optional: without it only `signal` applies. */
  kill?: AbortSignal;
  env: Readonly<Record<string, string>>;
  output: LogSink;
}>;

/** What a plan phase found: the summary sent to the server, whether anything would change, the JSON plan. */
export type PlanResult = Readonly<{ summary: PlanSummary; changes: boolean; json: string | null }>;

/** A phase's outcome: exit code 0 moves on, anything else fails the run with `reason`. */
export type PhaseResult = Readonly<{ exitCode: number; reason?: string; plan?: PlanResult }>;

/** The hook lists run before and after a phase, in the phase's shell environment. */
export type HookPair = Readonly<{ before: keyof RunHooks; after: keyof RunHooks }>;
export const HOOKS = Object.freeze({
  init: { before: "beforeInit", after: "afterInit" },
  plan: { before: "beforePlan", after: "afterPlan" },
  apply: { before: "beforeApply", after: "afterApply" },
  destroy: { before: "beforeDestroy", after: "afterDestroy" },
  perform: { before: "beforePerform", after: "afterPerform" },
} as const satisfies Record<string, HookPair>);

export type Phase = Readonly<{
  state: RunState;
  /** The hooks around the phase; none when absent. */
  hooks?: HookPair;
  /**
   * A plan phase returns `plan`; the executor then sends the summary and decides what follows:
   * a proposed run or a plan without changes ends, a tracked run with changes goes on to the next
   * phase (autodeploy) or waits UNCONFIRMED.
   */
  plans?: boolean;
  /** The phase may change the tool's state: the local state file is uploaded afterwards when it changed. */
  writesState?: boolean;
  /** The stack's outputs are recorded after the phase succeeds. */
  recordsOutputs?: boolean;
  run(context: PhaseContext): Promise<PhaseResult>;
}>;

export type Driver = Readonly<{
  name: string;
  /** The phases for this run, in order, after PREPARING (or PREPARING_APPLY); null when the driver cannot run it. */
  phases(run: RunSpec): readonly Phase[] | null;
  /** Checks made while PREPARING (the tool is installed, which one is used), written to its log; a failure fails the run. */
  prepare?(context: PhaseContext): Promise<PhaseResult>;
  /** Relative to the working directory: a state file kept by the tool's local backend, downloaded before the first phase. */
  localStateFile?: string;
  /** The stack's outputs; a sensitive output's value is null. */
  outputs?(context: PhaseContext): Promise<readonly Output[]>;
  /** Environment the tool needs (TF_IN_AUTOMATION, …), under the run's metadata and the stack's own variables. */
  environment?: Readonly<Record<string, string>>;
}>;
