// Tasks: one command, run with `sh -c` in the stack's working directory while PERFORMING. A
// task's INITIALIZING phase is its vendor's initialization (terraform init, …), which arrives
// with the vendor drivers; until then a task goes from PREPARING straight to PERFORMING.
import type { Driver } from "./driver.ts";
import { runShell } from "./command.ts";

export const taskDriver: Driver = Object.freeze({
  name: "task",
  phases: (run) => {
    if (run.type !== "TASK" || run.command === null) return null;
    const command = run.command;
    return [{ state: "PERFORMING", run: (context) => runShell(command, context) }];
  },
});
