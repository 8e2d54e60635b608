// Static checks of variable declarations and destructuring patterns in one
// body, done before name resolution (OPA reports these as compile errors; the
// messages follow regorus's binding planner):
//   - `x := …` / `some x` / `some x in …` may not redeclare a variable that is
//     a function argument or was already declared or used earlier in the body;
//   - `:=` needs a pattern (variable, array or object) on its left-hand side;
//   - unifying two array/object literals whose shapes can never match.

import type { Expr, Literal, Query } from "./ast.ts";
import { RegoError } from "./errors.ts";
import { patternVars } from "./scope.ts";

type IsGlobal = (name: string) => boolean;

function isWildcard(name: string): boolean {
  return name.startsWith("$") || name === "_";
}

/** vars read at this body level (not in nested bodies) */
function refVars(e: Expr, out: string[]): void {
  switch (e.t) {
    case "var":
      out.push(e.name);
      return;
    case "ref":
      refVars(e.head, out);
      for (const p of e.path) refVars(p, out);
      return;
    case "array":
    case "set":
      for (const i of e.items) refVars(i, out);
      return;
    case "object":
      for (const [k, v] of e.entries) {
        refVars(k, out);
        refVars(v, out);
      }
      return;
    case "call":
      for (const a of e.args) refVars(a, out);
      return;
    case "binop":
      refVars(e.left, out);
      refVars(e.right, out);
      return;
    case "neg":
      refVars(e.expr, out);
      return;
    case "in":
      if (e.key) refVars(e.key, out);
      refVars(e.value, out);
      refVars(e.coll, out);
      return;
    case "assign":
    case "unify":
      refVars(e.lhs, out);
      refVars(e.rhs, out);
      return;
    default:
      return;
  }
}

function declaredBy(lit: Literal): Expr[] {
  const out: Expr[] = [];
  if (lit.t === "some") out.push(...lit.vars);
  else if (lit.t === "somein") {
    if (lit.key) patternVars(lit.key, out);
    patternVars(lit.value, out);
  } else if (lit.t === "expr" && lit.expr.t === "assign") patternVars(lit.expr.lhs, out);
  return out;
}

function usedBy(lit: Literal): string[] {
  const out: string[] = [];
  if (lit.t === "expr") {
    refVars(lit.expr, out);
    for (const w of lit.withs) refVars(w.value, out);
  } else if (lit.t === "somein") {
    if (lit.key) refVars(lit.key, out);
    refVars(lit.value, out);
    refVars(lit.coll, out);
  } else if (lit.t === "every") refVars(lit.domain, out);
  // a bare `some x` only declares: regorus accepts `some x; x := …`
  return out;
}

export function checkBody(q: Query, isGlobal: IsGlobal, args?: ReadonlySet<string>): void {
  const seen = new Set<string>(args);
  for (const lit of q) {
    for (const v of declaredBy(lit)) {
      if (v.t !== "var" || isWildcard(v.name)) continue;
      if (seen.has(v.name)) throw new RegoError("rego_compile_error", `var \`${v.name}\` used before definition below`, v.loc);
    }
    if (lit.t === "expr" && lit.expr.t === "assign") {
      const l = lit.expr.lhs;
      if (l.t !== "var" && l.t !== "array" && l.t !== "object") {
        throw new RegoError("rego_compile_error", "assignment operator := requires left-hand side to have bindable variables", l.loc);
      }
    }
    if (lit.t === "expr" && (lit.expr.t === "assign" || lit.expr.t === "unify")) checkShapes(lit.expr.lhs, lit.expr.rhs);
    if (lit.t === "somein" && (lit.coll.t === "array" || lit.coll.t === "set") && lit.coll.items.length > 0) {
      const p = lit.value;
      if (p.t === "array" && lit.coll.items.every((i) => i.t === "array" && i.items.length !== p.items.length)) {
        throw new RegoError("rego_compile_error", "mismatch in number of array elements", lit.loc);
      }
    }
    for (const name of usedBy(lit)) if (!isWildcard(name) && !isGlobal(name)) seen.add(name);
  }
}

function scalarKeys(e: Extract<Expr, { t: "object" }>): string[] | undefined {
  const out: string[] = [];
  for (const [k] of e.entries) {
    if (k.t !== "scalar") return undefined;
    out.push(typeof k.value === "string" ? k.value : JSON.stringify(k.value));
  }
  return out.sort();
}

function hasVars(e: Expr): boolean {
  const vs: string[] = [];
  refVars(e, vs);
  return vs.length > 0;
}

const debug = (keys: string[]) => `[${keys.map((k) => JSON.stringify(k)).join(", ")}]`;

/** two literal patterns that can never unify */
function checkShapes(l: Expr, r: Expr): void {
  const coll = (e: Expr) => e.t === "array" || e.t === "object";
  if (!coll(l) || !coll(r)) return;
  if (l.t !== r.t) {
    throw new RegoError("rego_compile_error", "incompatible destructuring patterns: both sides must be arrays or objects with matching structure", l.loc);
  }
  if (l.t === "array" && r.t === "array") {
    if (l.items.length !== r.items.length) throw new RegoError("rego_compile_error", "mismatch in number of array elements", l.loc);
    for (let i = 0; i < l.items.length; i++) checkShapes(l.items[i], r.items[i]);
    return;
  }
  if (l.t !== "object" || r.t !== "object") return;
  const lk = scalarKeys(l);
  const rk = scalarKeys(r);
  if (!lk || !rk) return;
  if (lk.length !== rk.length) {
    throw new RegoError("rego_compile_error", `object field count mismatch in assignment: left has ${lk.length} fields, right has ${rk.length} fields`, l.loc);
  }
  const missing = rk.find((k) => !lk.includes(k));
  if (missing !== undefined) {
    if (!hasVars(r)) throw new RegoError("rego_compile_error", `object literal keys mismatch. Expected keys ${debug(lk)} got ${debug(rk)}.`, l.loc);
    throw new RegoError("rego_compile_error", `key "${missing}" not found in left-hand side object during destructuring`, l.loc);
  }
  for (const [k, v] of l.entries) {
    const other = r.entries.find(([rk2]) => rk2.t === "scalar" && k.t === "scalar" && rk2.value === k.value);
    if (other) checkShapes(v, other[1]);
  }
}
