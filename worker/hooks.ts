// The stack's hooks: each list runs in one shell, its commands chained with && (each wrapped in
// { }), so the first failure ends the list. What before-hooks export is seen by the phase and its
// after-hooks, as if they shared Spacelift's shell session: the shell's environment is read back
// after the hooks succeed.
import { readFile, rm } from "node:fs/promises";
import { join } from "node:path";
import { runShell } from "./drivers/command.ts";
import type { PhaseContext, PhaseResult } from "./drivers/driver.ts";

/** Set by the shell itself, not by a hook. */
const SHELL_VARIABLES = new Set(["PWD", "OLDPWD", "SHLVL", "_"]);

export type HookResult = PhaseResult & Readonly<{ exported: Readonly<Record<string, string>> }>;

/**
 * Runs `commands` (one hook list, named `name` in the log and reasons) in the phase's environment.
 * With `scratch`, the variables the hooks exported or changed are returned in `exported`.
 */
export async function runHooks(name: string, commands: readonly string[], context: PhaseContext, scratch?: string): Promise<HookResult> {
  if (commands.length === 0) return { exitCode: 0, exported: {} };
  context.output.write(`Running ${name} hooks\n`);
  const envFile = scratch ? join(scratch, `hook-env-${name}`) : null;
  const script = commands.map((c) => `{\n${c}\n}`).join(" && ") + (envFile ? ` && env -0 > '${envFile.replaceAll("'", "'\\''")}'` : "");
  const result = await runShell(script, context, { label: `${name} hook` });
  if (result.exitCode !== 0 || !envFile) return { exitCode: result.exitCode, reason: result.reason, exported: {} };
  const exported: Record<string, string> = {};
  try {
    for (const entry of (await readFile(envFile, "utf8")).split("\0")) {
      const at = entry.indexOf("=");
      if (at <= 0) continue;
      const key = entry.slice(0, at);
      const value = entry.slice(at + 1);
      if (!SHELL_VARIABLES.has(key) && context.env[key] !== value) exported[key] = value;
    }
  } catch {
    // no `env -0` on this system: the hooks ran, their exports stay theirs
  } finally {
    await rm(envFile, { force: true });
  }
  return { exitCode: 0, exported };
}
