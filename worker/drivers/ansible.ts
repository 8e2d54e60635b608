// The Ansible driver (vendor ANSIBLE): the playbook from the vendor config, the inventory from the
// vendor config's `inventory`, else ANSIBLE_INVENTORY in the run's environment, else Ansible's
// default.
//
//   plan phase   INITIALIZING (the tool's version) → PLANNING ansible-playbook --check --diff
//                → (tracked with changes and autodeploy) APPLYING ansible-playbook
//   apply phase  APPLYING ansible-playbook (the workspace from the plan phase's archive)
//   task         PERFORMING sh -c <command> (no initialization)
//
// The plan's changes are the tasks check mode reports `changed` (one per task and host), which
// add up to the PLAY RECAP's changed= counts.
import type { PlanSummary, ResourceChange, RunSpec } from "../../shared/workers/protocol.ts";
import { MAX_PLAN_RESOURCES } from "../../shared/workers/protocol.ts";
import type { ToolBinaries } from "../config.ts";
import { runCommand, runShell } from "./command.ts";
import { HOOKS, type Driver, type Phase, type PhaseContext, type PhaseResult } from "./driver.ts";
import { findExecutable } from "./tools.ts";

/** The changes in ansible-playbook's output: `changed: [host]` lines under `TASK [name]`, and the recap's totals. */
export function summarizeAnsibleRun(output: string): PlanSummary {
  const resources: ResourceChange[] = [];
  const seen = new Set<string>();
  let task = "";
  let recap = false;
  let recapChanged = 0;
  for (const line of output.split("\n")) {
    const heading = /^(TASK|RUNNING HANDLER) \[(.*)\] \**$/.exec(line.trimEnd());
    if (heading) {
      task = heading[2];
      continue;
    }
    if (/^PLAY RECAP \**$/.test(line.trimEnd())) {
      recap = true;
      continue;
    }
    if (recap) {
      const counts = /^\S+\s*:\s.*\bchanged=(\d+)/.exec(line);
      if (counts) recapChanged += Number(counts[1]);
      continue;
    }
    const changed = /^changed: \[([^\]]+)\]/.exec(line);
    if (changed) {
      const host = changed[1].split(" -> ")[0];
      const address = `${host}: ${task}`;
      if (seen.has(address)) continue;
      seen.add(address);
      if (resources.length < MAX_PLAN_RESOURCES) resources.push({ address, type: "ansible_task", name: task, actions: ["update"] });
    }
  }
  return { add: 0, change: Math.max(recapChanged, seen.size), destroy: 0, resources };
}

export function ansibleDriver(tools: ToolBinaries): Driver {
  const playbookArgs = (run: RunSpec): string[] | string => {
    const playbook = run.vendorConfig.playbook;
    if (typeof playbook !== "string" || playbook === "") return "the stack's Ansible playbook is not set";
    const inventory = run.vendorConfig.inventory;
    return [...(typeof inventory === "string" && inventory !== "" ? ["-i", inventory] : []), playbook];
  };
  const playbook = async (context: PhaseContext, check: boolean): Promise<PhaseResult & { stdout: string }> => {
    const args = playbookArgs(context.run);
    if (typeof args === "string") return { exitCode: 1, reason: args, stdout: "" };
    return runCommand(tools.ansiblePlaybook, [...(check ? ["--check", "--diff"] : []), ...args], context, {
      captureStdout: true,
      echo: true,
      label: check ? "ansible-playbook --check" : "ansible-playbook",
    });
  };

  const init: Phase = {
    state: "INITIALIZING",
    hooks: HOOKS.init,
    run: (context) => runCommand(tools.ansiblePlaybook, ["--version"], context, { label: "ansible-playbook --version" }),
  };
  const plan: Phase = {
    state: "PLANNING",
    hooks: HOOKS.plan,
    plans: true,
    run: async (context): Promise<PhaseResult> => {
      const result = await playbook(context, true);
      if (result.exitCode !== 0) return result;
      const summary = summarizeAnsibleRun(result.stdout);
      return { exitCode: 0, plan: { summary, changes: summary.change > 0, json: JSON.stringify({ tool: "ansible", ...summary }) } };
    },
  };
  const apply: Phase = { state: "APPLYING", hooks: HOOKS.apply, run: (context) => playbook(context, false) };
  const perform = (command: string): Phase => ({ state: "PERFORMING", hooks: HOOKS.perform, run: (context) => runShell(command, context) });

  return Object.freeze({
    name: "ansible",
    environment: Object.freeze({ ANSIBLE_FORCE_COLOR: "0", ANSIBLE_NOCOLOR: "1", PYTHONUNBUFFERED: "1" }),
    prepare: async (context) => {
      if (context.run.type === "TASK") return { exitCode: 0 };
      if (!findExecutable(tools.ansiblePlaybook, context.env.PATH)) return { exitCode: 127, reason: `ansible-playbook is not installed on this worker (${tools.ansiblePlaybook})` };
      const args = playbookArgs(context.run);
      return typeof args === "string" ? { exitCode: 1, reason: args } : { exitCode: 0 };
    },
    phases: (run: RunSpec): readonly Phase[] | null => {
      if (run.phase === "apply") return run.type === "TRACKED" ? [apply] : null;
      switch (run.type) {
        case "PROPOSED":
          return [init, plan];
        case "TRACKED":
          return [init, plan, apply];
        case "TASK":
          return run.command === null ? null : [perform(run.command)];
        case "DESTROY":
          return null;
      }
    },
  });
}
