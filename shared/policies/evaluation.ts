// Evaluating policies: compiled bodies are cached by (id, updated_at); each policy of an event is
// evaluated on its own (its whole `data.spacelift` document) under time, step and size bounds, and
// every evaluation is recorded with its input, decision and duration. An error of any kind (a
// conflict, a bound exceeded, a body that no longer compiles) is reported as such: callers fail
// closed on it.
import type { Db } from "../db/connect.ts";
import { evaluateValue, type Limits, type PreparedPolicy } from "../policy/rego/engine.ts";
import { RegoError } from "../policy/rego/errors.ts";
import { DEFAULT_LIMITS } from "../policy/rego/limits.ts";
import { GantryError } from "../errors.ts";
import { compileBody, type EngineType, type Policy, type PolicyType } from "./policy.ts";
import { insertEvaluations, type NewEvaluation } from "./queries.ts";

/** Spacelift's evaluation timeouts per type (plan 45 s, push and notification 10 s, others 5 s). */
export const TIMEOUT_MS: Readonly<Record<PolicyType, number>> = Object.freeze({
  ACCESS: 5000,
  APPROVAL: 5000,
  GIT_PUSH: 10_000,
  INITIALIZATION: 5000,
  INTENT: 5000,
  LOGIN: 5000,
  NOTIFICATION: 10_000,
  PLAN: 45_000,
  TASK: 5000,
  TRIGGER: 5000,
});
/** All policies of one event together. */
export const COMBINED_TIMEOUT_MS = 300_000;

export function limitsFor(type: PolicyType, overrides: Partial<Limits> = {}): Limits {
  return { timeoutMs: TIMEOUT_MS[type], maxSteps: DEFAULT_LIMITS.maxSteps, maxCollectionSize: DEFAULT_LIMITS.maxCollectionSize, ...overrides };
}

const CACHE_SIZE = 500;
const cache = new Map<string, PreparedPolicy>();

/** The compiled policy, from the cache when its (id, updated_at) was compiled before. */
export function compiled(policy: Pick<Policy, "id" | "updatedAt" | "body" | "engineType" | "name">): PreparedPolicy {
  const key = `${policy.id}\n${policy.updatedAt.getTime()}`;
  const hit = cache.get(key);
  if (hit) {
    cache.delete(key);
    cache.set(key, hit);
    return hit;
  }
  const prepared = compileBody(policy.body, policy.engineType, policy.name);
  for (const k of cache.keys()) if (k.startsWith(`${policy.id}\n`)) cache.delete(k);
  cache.set(key, prepared);
  if (cache.size > CACHE_SIZE) cache.delete(cache.keys().next().value as string);
  return prepared;
}

export const cachedPolicies = (): number => cache.size;

/** What one policy decided, read from its data.spacelift document by the type's reader. */
export type Verdict<D> = Readonly<{ outcome: string; messages: readonly string[]; decision: D }>;
export type Evaluation<D> = Readonly<{ policy: Policy; verdict: Verdict<D> | null; error: string | null; durationMs: number; recordId: string | null }>;

export type Document = Readonly<Record<string, unknown>>;

/** The package document `data.spacelift` for the input, or an error message. */
export function evaluateDocument(prepared: PreparedPolicy, input: unknown, limits: Limits): Document {
  const doc = evaluateValue(prepared, "data.spacelift", { input, limits });
  return doc && typeof doc === "object" && !Array.isArray(doc) ? (doc as Document) : {};
}

export function describeError(error: unknown): string {
  if (error instanceof RegoError) {
    const what: Partial<Record<string, string>> = {
      eval_timeout: "evaluation timed out",
      eval_step_limit: "evaluation exceeded its step limit",
      eval_size_limit: "evaluation exceeded its memory bound (collection size)",
      eval_conflict_error: "conflicting rule values",
    };
    return `${what[error.code] ?? error.code}: ${error.message}`;
  }
  if (error instanceof GantryError) return error.message;
  return `evaluation failed: ${(error as Error).message}`;
}

export type EvaluateOptions = Readonly<{ stackId?: string | null; runId?: string | null; kind?: string; limits?: Partial<Limits>; record?: boolean }>;

/**
 * Evaluates each policy with the same input and records each evaluation (unless record: false).
 * `read` turns a document into the type's verdict; it may throw to fail the evaluation closed.
 */
export async function evaluatePolicies<D>(db: Db, policies: readonly Policy[], input: unknown, read: (doc: Document) => Verdict<D>, options: EvaluateOptions = {}): Promise<Evaluation<D>[]> {
  const started = performance.now();
  const results: Array<Omit<Evaluation<D>, "recordId">> = [];
  for (const policy of policies) {
    const t0 = performance.now();
    let verdict: Verdict<D> | null = null;
    let error: string | null = null;
    try {
      if (performance.now() - started > COMBINED_TIMEOUT_MS) throw new GantryError("Unavailable", `the policies of this event together exceeded ${COMBINED_TIMEOUT_MS / 1000} s`);
      const doc = evaluateDocument(compiled(policy), input, limitsFor(policy.type, options.limits));
      verdict = read(doc);
    } catch (e) {
      error = describeError(e);
    }
    results.push({ policy, verdict, error, durationMs: performance.now() - t0 });
  }
  let ids: string[] = [];
  if (options.record !== false) {
    const records: NewEvaluation[] = results.map((r) => ({
      policyId: r.policy.id,
      kind: options.kind ?? r.policy.type,
      stackId: options.stackId ?? null,
      runId: options.runId ?? null,
      outcome: r.verdict?.outcome ?? "error",
      input,
      decision: r.verdict?.decision ?? {},
      messages: r.verdict?.messages ?? (r.error ? [r.error] : []),
      body: r.policy.body,
      error: r.error,
      durationMs: r.durationMs,
    }));
    ids = await insertEvaluations(db, records);
  }
  return results.map((r, i) => ({ ...r, recordId: ids[i] ?? null }));
}

/** Rule readers shared by the types. */
export const strings = (value: unknown): string[] => {
  if (value === undefined || value === null) return [];
  if (Array.isArray(value)) return value.map((v) => (typeof v === "string" ? v : JSON.stringify(v)));
  if (typeof value === "string") return [value];
  throw new GantryError("Invalid", `expected a set of strings, got ${JSON.stringify(value).slice(0, 100)}`);
};
export const bool = (value: unknown): boolean => value === true;

/** Simulations are interactive: a shorter bound than runs get. */
export const SIMULATE_TIMEOUT_MS = 5000;

/** policySimulate: a body evaluated against an input, not recorded; the document as JSON text. */
export function simulate(body: string, engineType: EngineType, type: PolicyType, input: unknown): string {
  const prepared = compileBody(body, engineType, "simulated");
  try {
    return JSON.stringify(evaluateDocument(prepared, input, limitsFor(type, { timeoutMs: Math.min(TIMEOUT_MS[type], SIMULATE_TIMEOUT_MS) })));
  } catch (error) {
    throw new GantryError("Invalid", describeError(error));
  }
}
