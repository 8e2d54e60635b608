// Which driver runs a stack's runs: one per vendor. A vendor without a driver on this worker can
// still run tasks (taskDriver); Terragrunt, Kubernetes and Pulumi drivers join the table here.
import type { RunSpec } from "../../shared/workers/protocol.ts";
import type { ToolBinaries } from "../config.ts";
import { ansibleDriver } from "./ansible.ts";
import type { Driver, Phase } from "./driver.ts";
import { taskDriver } from "./task.ts";
import { terraformDriver } from "./terraform.ts";

export type Drivers = Readonly<Record<string, Driver>>;

export function createDrivers(tools: ToolBinaries): Drivers {
  const terraform = terraformDriver(tools);
  return Object.freeze({ OPENTOFU: terraform, TERRAFORM: terraform, ANSIBLE: ansibleDriver(tools) });
}

/** The driver and phases for a run, or the reason this worker cannot execute it. */
export function planRun(drivers: Drivers, run: RunSpec): { driver: Driver; phases: readonly Phase[] } | { refused: string } {
  for (const driver of [drivers[run.vendor], taskDriver]) {
    const phases = driver?.phases(run);
    if (driver && phases) return { driver, phases };
  }
  const what = run.phase === "apply" ? `the apply phase of ${run.type} runs` : `${run.type} runs`;
  return { refused: `this worker cannot execute ${what} on ${run.vendor} stacks` };
}
