// What a driver is: the phases a run goes through on this worker, each a run state to report
// and the work done in it. The task driver runs a command; the OpenTofu/Terraform, Terragrunt,
// Ansible, Kubernetes and Pulumi drivers add init, plan, apply and destroy phases the same way.
import type { Logger } from "../../shared/log.ts";
import type { RunState } from "../../shared/runs/run.ts";
import type { RunSpec } from "../../shared/workers/protocol.ts";

export type Workspace = Readonly<{
  /** The run's fresh directory. */
  root: string;
  /** The cloned repository. */
  source: string;
  /** Where commands run: the source, or its project root. */
  workingDir: string;
}>;

export type PhaseContext = Readonly<{ run: RunSpec; workspace: Workspace; log: Logger; signal: AbortSignal; env: Readonly<Record<string, string>> }>;

/** A phase's outcome: exit code 0 moves on, anything else fails the run with `reason`. */
export type PhaseResult = Readonly<{ exitCode: number; reason?: string }>;

export type Phase = Readonly<{ state: RunState; run(context: PhaseContext): Promise<PhaseResult> }>;

export type Driver = Readonly<{
  name: string;
  /** The phases for this run, in order, after PREPARING; null when the driver cannot run it. */
  phases(run: RunSpec): readonly Phase[] | null;
}>;
