// Tasks on stacks whose vendor has no driver on this worker: one command, run with `sh -c` in the
// stack's working directory while PERFORMING, without initialization.
import { runShell } from "./command.ts";
import { HOOKS, type Driver } from "./driver.ts";

export const taskDriver: Driver = Object.freeze({
  name: "task",
  phases: (run) => {
    if (run.type !== "TASK" || run.command === null || run.phase !== "plan") return null;
    const command = run.command;
    return [{ state: "PERFORMING", hooks: HOOKS.perform, run: (context) => runShell(command, context) }];
  },
});
