// `opa test`-style runner: loads every *.rego under a directory, runs each
// `test_*` rule defined in *_test.rego files and reports PASS/FAIL with timing.

import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import type { Module, RegoVersion } from "./ast.ts";
import { compile, evaluateRaw, parseModule } from "./engine.ts";
import { RegoError } from "./errors.ts";

export interface TestOutcome {
  name: string;
  file: string;
  status: "PASS" | "FAIL" | "ERROR";
  ms: number;
  message?: string;
}

export interface RunReport {
  outcomes: TestOutcome[];
  /** parse/compile problems, each as "file:line:col: message" */
  errors: string[];
}

function regoFiles(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...regoFiles(p));
    else if (name.endsWith(".rego")) out.push(p);
  }
  return out;
}

export function runTests(dir: string, version: RegoVersion = "v1"): RunReport {
  const modules: Module[] = [];
  const errors: string[] = [];
  for (const file of regoFiles(dir)) {
    try {
      modules.push(parseModule(readFileSync(file, "utf8"), { version, filename: relative(process.cwd(), file) }));
    } catch (err) {
      errors.push(err instanceof Error ? err.message : String(err));
    }
  }
  if (errors.length) return { outcomes: [], errors };
  let policy;
  try {
    policy = compile(modules);
  } catch (err) {
    return { outcomes: [], errors: [err instanceof Error ? err.message : String(err)] };
  }
  const outcomes: TestOutcome[] = [];
  for (const mod of modules) {
    if (!mod.file.endsWith("_test.rego")) continue;
    const seen = new Set<string>();
    for (const rule of mod.rules) {
      const name = (rule.ref[0] as { name: string }).name;
      if (!name.startsWith("test_") || rule.ref.length > 1 || rule.args || seen.has(name)) continue;
      seen.add(name);
      const query = `data.${mod.pkg.join(".")}.${name}`;
      const t0 = performance.now();
      let status: TestOutcome["status"] = "FAIL";
      let message: string | undefined;
      try {
        const r = evaluateRaw(policy, query, { strictBuiltinErrors: true });
        const v = r.results[0]?.expressions[0];
        status = v === true ? "PASS" : "FAIL";
        if (v === undefined) message = "test rule is undefined";
        else if (v !== true) message = `test rule evaluated to ${JSON.stringify(v)}`;
      } catch (err) {
        status = "ERROR";
        message = err instanceof RegoError ? `${err.code}: ${err.message}` : String(err);
      }
      outcomes.push({ name: `${query}`, file: mod.file, status, ms: performance.now() - t0, message });
    }
  }
  return { outcomes, errors };
}

/** print a report; returns the process exit code */
export function printReport(r: RunReport, log: (s: string) => void = console.log): number {
  for (const e of r.errors) log(`ERROR ${e}`);
  for (const o of r.outcomes) {
    log(`${o.status.padEnd(5)} ${o.name} (${o.ms.toFixed(2)}ms)${o.message ? ` — ${o.message}` : ""}`);
  }
  const pass = r.outcomes.filter((o) => o.status === "PASS").length;
  const fail = r.outcomes.length - pass;
  log(`${"-".repeat(40)}\nPASS: ${pass}/${r.outcomes.length}${fail ? `, FAIL: ${fail}` : ""}${r.errors.length ? `, parse/compile errors: ${r.errors.length}` : ""}`);
  return r.errors.length || fail || r.outcomes.length === 0 ? 1 : 0;
}
