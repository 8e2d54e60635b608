// The OpenTofu/Terraform driver (vendors OPENTOFU and TERRAFORM). The binary is chosen per stack:
// the vendor config's workflowTool (OPEN_TOFU → tofu, TERRAFORM_FOSS → terraform), else the
// vendor's own; the worker's configuration names the binaries, and a missing `tofu` falls back to
// `terraform` (said in the log) unless the configuration named it.
//
//   plan phase   INITIALIZING init → PLANNING plan -out (-detailed-exitcode) + show -json
//                → (tracked with changes and autodeploy) APPLYING apply <plan file>
//   apply phase  APPLYING apply <plan file> (the workspace from the plan phase's archive)
//   destroy      INITIALIZING init → DESTROYING destroy -auto-approve
//   task         INITIALIZING init (unless skipInitialization) → PERFORMING sh -c <command>
//
// State stays with the tool's local backend: terraform.tfstate in the project root, which the
// executor downloads before the first phase and uploads after a phase that changed it.
import type { Output, RunSpec } from "../../shared/workers/protocol.ts";
import type { ToolBinaries } from "../config.ts";
import { PLAN_FILE } from "../workspace.ts";
import { runCommand, runShell } from "./command.ts";
import { HOOKS, type Driver, type Phase, type PhaseContext, type PhaseResult } from "./driver.ts";
import { summarizeTerraformPlan } from "./plan_summary.ts";
import { findExecutable } from "./tools.ts";
import { join } from "node:path";

const FLAGS = ["-input=false", "-no-color"];

/** The binary the run uses, and a line for the log when it differs from what the stack asked for. */
export function terraformBinary(run: RunSpec, tools: ToolBinaries, PATH: string | undefined): { binary: string; name: string; note: string | null } {
  const tool = run.vendorConfig.workflowTool;
  const wantsTofu = tool === "OPEN_TOFU" || (tool !== "TERRAFORM_FOSS" && run.vendor !== "TERRAFORM");
  if (!wantsTofu) return { binary: tools.terraform, name: "terraform", note: null };
  if (tools.explicit.tofu || findExecutable(tools.tofu, PATH)) return { binary: tools.tofu, name: "tofu", note: null };
  if (findExecutable(tools.terraform, PATH)) {
    return { binary: tools.terraform, name: "terraform", note: `OpenTofu (${tools.tofu}) is not installed on this worker; using Terraform (${tools.terraform}) instead` };
  }
  return { binary: tools.tofu, name: "tofu", note: null };
}

export function terraformDriver(tools: ToolBinaries): Driver {
  /** Runs `<tool> <args>` in the working directory. */
  const tool = (context: PhaseContext, args: string[], captureStdout = false) => {
    const { binary, name } = terraformBinary(context.run, tools, context.env.PATH);
    return runCommand(binary, args, context, { captureStdout, label: `${name} ${args[0]}` });
  };
  const planFile = (context: PhaseContext) => join(context.workspace.root, PLAN_FILE);

  const init: Phase = {
    state: "INITIALIZING",
    hooks: HOOKS.init,
    run: (context) => tool(context, ["init", ...FLAGS]),
  };
  const plan: Phase = {
    state: "PLANNING",
    hooks: HOOKS.plan,
    plans: true,
    run: async (context): Promise<PhaseResult> => {
      const planned = await tool(context, ["plan", ...FLAGS, `-out=${planFile(context)}`, "-detailed-exitcode"]);
      if (planned.exitCode !== 0 && planned.exitCode !== 2) return planned;
      const shown = await tool(context, ["show", "-json", "-no-color", planFile(context)], true);
      if (shown.exitCode !== 0) return shown;
      let json: unknown;
      try {
        json = JSON.parse(shown.stdout);
      } catch {
        return { exitCode: 1, reason: "the JSON plan (show -json) could not be read" };
      }
      const summary = summarizeTerraformPlan(json);
      context.output.write(`Plan: ${summary.add} to add, ${summary.change} to change, ${summary.destroy} to destroy.\n`);
      return { exitCode: 0, plan: { summary, changes: planned.exitCode === 2, json: shown.stdout } };
    },
  };
  const apply: Phase = {
    state: "APPLYING",
    hooks: HOOKS.apply,
    writesState: true,
    recordsOutputs: true,
    run: (context) => tool(context, ["apply", ...FLAGS, planFile(context)]),
  };
  const destroy: Phase = {
    state: "DESTROYING",
    hooks: HOOKS.destroy,
    writesState: true,
    recordsOutputs: true,
    run: (context) => tool(context, ["destroy", "-auto-approve", ...FLAGS]),
  };
  const perform = (command: string): Phase => ({
    state: "PERFORMING",
    hooks: HOOKS.perform,
    writesState: true,
    run: (context) => runShell(command, context),
  });

  return Object.freeze({
    name: "terraform",
    localStateFile: "terraform.tfstate",
    prepare: async (context) => {
      if (context.run.type === "TASK" && context.run.skipInitialization) return { exitCode: 0 };
      const { binary, name, note } = terraformBinary(context.run, tools, context.env.PATH);
      if (note) context.output.write(`${note}\n`);
      const path = findExecutable(binary, context.env.PATH);
      if (!path) return { exitCode: 127, reason: `${name} is not installed on this worker (${binary})` };
      const requested = context.run.vendorConfig.version;
      if (typeof requested === "string" && requested) context.output.write(`The stack asks for version ${requested}; this worker uses the ${name} it has.\n`);
      const version = await runCommand(path, ["version"], context, { label: `${name} version` });
      return version.exitCode === 0 ? { exitCode: 0 } : version;
    },
    environment: Object.freeze({ TF_IN_AUTOMATION: "1", TF_INPUT: "0", CHECKPOINT_DISABLE: "1" }),
    phases: (run: RunSpec): readonly Phase[] | null => {
      if (run.phase === "apply") return run.type === "TRACKED" ? [apply] : null;
      switch (run.type) {
        case "PROPOSED":
          return [init, plan];
        case "TRACKED":
          return [init, plan, apply];
        case "DESTROY":
          return [init, destroy];
        case "TASK":
          if (run.command === null) return null;
          return run.skipInitialization ? [perform(run.command)] : [init, perform(run.command)];
      }
    },
    outputs: async (context: PhaseContext): Promise<readonly Output[]> => {
      const result = await tool(context, ["output", "-json", "-no-color"], true);
      if (result.exitCode !== 0) throw new Error(result.reason ?? "the outputs could not be read");
      let parsed: Record<string, { sensitive?: boolean; value?: unknown }>;
      try {
        parsed = JSON.parse(result.stdout || "{}");
      } catch {
        throw new Error("the outputs (output -json) could not be read");
      }
      return Object.entries(parsed).map(([id, o]) => ({ id, sensitive: Boolean(o.sensitive), value: o.sensitive ? null : JSON.stringify(o.value ?? null) }));
    },
  });
}
