// Policies: Spacelift's types, engine versions and settings as pure functions, and turning a body
// into a compiled Rego policy (shared/policy/rego). A body that does not parse or compile is
// refused when saved, with its line and column. SQL is in queries.ts.
import { invalid } from "../errors.ts";
import { compile, parseModule, type PreparedPolicy } from "../policy/rego/engine.ts";
import { RegoError } from "../policy/rego/errors.ts";
import { checkName, checkSlug, ROOT_SPACE, slugify } from "../spaces/space.ts";

export const POLICY_TYPES = Object.freeze(["ACCESS", "APPROVAL", "GIT_PUSH", "INITIALIZATION", "INTENT", "LOGIN", "NOTIFICATION", "PLAN", "TASK", "TRIGGER"] as const);
export type PolicyType = (typeof POLICY_TYPES)[number];
/** Spacelift's deprecated names, accepted on input. */
export const POLICY_TYPE_ALIASES: Readonly<Record<string, PolicyType>> = Object.freeze({ STACK_ACCESS: "ACCESS", TERRAFORM_PLAN: "PLAN", TASK_RUN: "TASK" });

export const ENGINE_TYPES = Object.freeze(["REGO_V0", "REGO_V1"] as const);
export type EngineType = (typeof ENGINE_TYPES)[number];

/** Types Gantry evaluates; the others are stored and can be simulated, but nothing runs them. */
export const EVALUATED_TYPES: readonly PolicyType[] = Object.freeze(["APPROVAL", "GIT_PUSH", "LOGIN", "NOTIFICATION", "PLAN", "TRIGGER"]);

export type Policy = Readonly<{
  id: string;
  spaceId: string;
  name: string;
  description: string;
  body: string;
  type: PolicyType;
  engineType: EngineType;
  labels: readonly string[];
  createdAt: Date;
  updatedAt: Date;
}>;

export type PolicySettings = Readonly<{
  name: string;
  body: string;
  type?: string | null;
  engineType?: string | null;
  labels?: readonly string[] | null;
  space?: string | null;
  description?: string | null;
}>;

export const MAX_BODY = 256 * 1024;
const AUTOATTACH = "autoattach:";

export function parsePolicyType(value: string): PolicyType {
  const type = POLICY_TYPE_ALIASES[value] ?? value;
  if (!(POLICY_TYPES as readonly string[]).includes(type)) throw invalid(`unknown policy type "${value}"`);
  return type as PolicyType;
}

export function parseEngineType(value: string | null | undefined): EngineType {
  if (value === null || value === undefined) return "REGO_V0";
  if (!(ENGINE_TYPES as readonly string[]).includes(value)) throw invalid(`unknown engine type "${value}" (REGO_V0 or REGO_V1)`);
  return value as EngineType;
}

export function policySlug(name: string, given?: string | null): string {
  return checkSlug(given ?? slugify(name), "policy");
}

/** The settings checked: name, labels, space, and a body that compiles (else Invalid with line and column). */
export function policyFields(input: PolicySettings, type: PolicyType) {
  checkName(input.name, "policy");
  const labels = [...new Set(input.labels ?? [])];
  for (const l of labels) if (l.trim() === "" || l.length > 256) throw invalid("policy labels must be 1 to 256 characters");
  const engineType = parseEngineType(input.engineType);
  if (input.body.length > MAX_BODY) throw invalid(`a policy body is limited to ${MAX_BODY} characters`);
  checkBody(input.body, engineType, input.name);
  return { name: input.name, description: input.description ?? "", body: input.body, type, engineType, labels, spaceId: input.space ?? ROOT_SPACE };
}

/** Compiles the body; throws Invalid naming line and column of a syntax error. */
export function checkBody(body: string, engineType: EngineType, name = "policy"): void {
  compileBody(body, engineType, name);
}

export function compileBody(body: string, engineType: EngineType, name = "policy"): PreparedPolicy {
  try {
    const mod = parseModule(body, { version: engineType === "REGO_V1" ? "v1" : "v0", filename: `${name}.rego` });
    if (mod.pkg.join(".") !== "spacelift") throw invalid(`the policy's package must be spacelift, not ${mod.pkg.join(".") || "(none)"}`);
    return compile([mod]);
  } catch (error) {
    if (error instanceof RegoError) {
      const where = error.location ? ` at line ${error.location.line}, column ${error.location.col}` : "";
      const message = error.location ? error.message.replace(/^[^:]*:\d+:\d+: /, "") : error.message;
      throw invalid(`the policy body does not ${error.code === "rego_parse_error" ? "parse" : "compile"}${where}: ${message}`);
    }
    throw error;
  }
}

/** The labels `autoattach:<label>` of a policy: it attaches to stacks carrying <label> (`*`: every stack). */
export function autoattachLabels(labels: readonly string[]): string[] {
  return labels.filter((l) => l.startsWith(AUTOATTACH)).map((l) => l.slice(AUTOATTACH.length)).filter((l) => l !== "");
}

export function autoattaches(policyLabels: readonly string[], stackLabels: readonly string[]): boolean {
  return autoattachLabels(policyLabels).some((l) => l === "*" || stackLabels.includes(l));
}
