// Public API of the Rego engine: parse, compile, evaluate.
//
//   const mod = parseModule(src, { version: "v1", filename: "plan.rego" });
//   const policy = compile([mod]);                 // reusable, cache it
//   const r = evaluate(policy, "data.spacelift.deny", { input });
//   r.results[0]?.expressions[0]                   // JSON value (sets -> sorted arrays)

import type { Module } from "./ast.ts";
import { compile as compileModules, type CompileOptions, type CompiledQuery, compileQuery, type PreparedPolicy } from "./compiler.ts";
import { RegoError } from "./errors.ts";
import { Evaluator, type Frame, type Limits } from "./evaluator.ts";
import { fromJSON, toJSON, type Value } from "./value.ts";

export { parseModule, parseQuery } from "./parser.ts";
export { SPACELIFT_DISABLED_BUILTINS } from "./compiler.ts";
export type { CompileOptions, PreparedPolicy } from "./compiler.ts";
export type { Limits } from "./evaluator.ts";
export type { Module, RegoVersion } from "./ast.ts";

export interface EvaluateOptions {
  input?: unknown;
  data?: unknown;
  limits?: Limits;
  /** builtin errors (type errors, bad arguments) abort evaluation instead of making the expression undefined */
  strictBuiltinErrors?: boolean;
  /** fixed clock for time.now_ns when it is enabled (ns since epoch) */
  nowNs?: bigint;
  /** skip the JSON-shape check of input/data (trusted, already-validated data) */
  trustedInput?: boolean;
}

export interface RawResultRow {
  expressions: Value[];
  bindings: Record<string, Value>;
}

export interface RawResult {
  results: RawResultRow[];
  prints: string[];
}

export interface ResultRow {
  expressions: unknown[];
  bindings: Record<string, unknown>;
}

export interface QueryResult {
  results: ResultRow[];
  prints: string[];
}

export function compile(modules: readonly Module[], opts?: CompileOptions): PreparedPolicy {
  return compileModules(modules, opts);
}

/** Evaluate a query, returning engine values (sets stay RegoSet). Throws RegoError. */
export function evaluateRaw(policy: PreparedPolicy, query: string, opts: EvaluateOptions = {}): RawResult {
  const q = compileQuery(policy, query);
  let input: Value | undefined;
  let data: Value;
  try {
    input = opts.input === undefined ? undefined : opts.trustedInput ? (opts.input as Value) : fromJSON(opts.input);
    data = opts.data === undefined ? {} : opts.trustedInput ? (opts.data as Value) : fromJSON(opts.data);
  } catch (err) {
    throw new RegoError("eval_type_error", `invalid input/data: ${(err as Error).message}`);
  }
  const ev = new Evaluator(policy, input, data, opts.limits ?? {}, opts.strictBuiltinErrors ?? false, opts.nowNs);
  const run: QueryRun = { ev, q, f: new Array(q.slots), results: [], exprValues: new Array(q.body.length) };
  queryStep(run, 0);
  return { results: run.results, prints: ev.prints };
}

interface QueryRun {
  ev: Evaluator;
  q: CompiledQuery;
  f: Frame;
  results: RawResultRow[];
  exprValues: (Value | undefined)[];
}

/** evaluate the query literal by literal so each expression's value can be reported */
function queryStep(run: QueryRun, i: number): boolean {
  const { ev, q, f, exprValues } = run;
  if (i === q.body.length) {
    const bindings: Record<string, Value> = {};
    for (const v of q.vars) {
      const x = f[v.slot];
      if (x !== undefined) bindings[v.name] = x;
    }
    run.results.push({ expressions: exprValues.map((x) => (x === undefined ? true : x)), bindings });
    ev.checkSize(run.results.length);
    return false;
  }
  const lit = q.body[i];
  if (lit.t === "expr" && !lit.negated && lit.withs.length === 0 && lit.expr.t !== "assign" && lit.expr.t !== "unify") {
    return ev.eval(lit.expr, f, (v) => {
      // a single-expression query reports `false` as its value (OPA/regorus)
      if (v === false && q.body.length > 1) return false;
      exprValues[i] = v;
      return queryStep(run, i + 1);
    });
  }
  exprValues[i] = true;
  return ev.literal(lit, f, () => queryStep(run, i + 1));
}

/** Evaluate a query; values are converted to plain JSON (sets become sorted arrays). */
export function evaluate(policy: PreparedPolicy, query: string, opts: EvaluateOptions = {}): QueryResult {
  const raw = evaluateRaw(policy, query, opts);
  return {
    prints: raw.prints,
    results: raw.results.map((r) => ({
      expressions: r.expressions.map(toJSON),
      bindings: Object.fromEntries(Object.entries(r.bindings).map(([k, v]) => [k, toJSON(v)])),
    })),
  };
}

/** Convenience: the value of a single-reference query such as `data.spacelift.deny`, or undefined. */
export function evaluateValue(policy: PreparedPolicy, query: string, opts: EvaluateOptions = {}): unknown {
  const r = evaluateRaw(policy, query, opts);
  const first = r.results[0];
  return first ? toJSON(first.expressions[first.expressions.length - 1]) : undefined;
}
