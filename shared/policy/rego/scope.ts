// Name resolution: decides for every variable whether it is a local slot in
// the rule's frame or a global (data./input. path), and resolves call names.

import type { Expr, Literal, Query, VarBinding } from "./ast.ts";
import { RegoError, RegoParseError } from "./errors.ts";
import { checkBody } from "./binding_check.ts";

export interface Globals {
  /** resolve a bare name (rule in package, import alias, input, data) */
  lookup(name: string): string[] | undefined;
  /** does this data path (["data", …]) address the data tree itself, not inside a rule's value? */
  inDataTree?(path: string[]): boolean;
}

export class Scope {
  readonly names = new Map<string, VarBinding>();
  constructor(
    readonly parent: Scope | undefined,
    readonly frame: { n: number },
    /** the scope holds a function's arguments */
    readonly isArgs = false,
  ) {}
  find(name: string): VarBinding | undefined {
    for (let s: Scope | undefined = this; s; s = s.parent) {
      const b = s.names.get(name);
      if (b) return b;
    }
    return undefined;
  }
  declare(name: string): VarBinding {
    const b: VarBinding = name.startsWith("$_") ? { kind: "wildcard", slot: this.frame.n++ } : { kind: "local", slot: this.frame.n++ };
    this.names.set(name, b);
    return b;
  }
}

/** vars that a pattern (lhs of := / some .. in) declares */
export function patternVars(e: Expr, out: Expr[] = []): Expr[] {
  if (e.t === "var") out.push(e);
  else if (e.t === "array") for (const i of e.items) patternVars(i, out);
  else if (e.t === "object") for (const [, v] of e.entries) patternVars(v, out);
  return out;
}

/** every var occurrence in e at this body level (not inside nested bodies) */
function levelVars(e: Expr, out: Expr[]): void {
  switch (e.t) {
    case "var":
      out.push(e);
      return;
    case "ref":
      levelVars(e.head, out);
      for (const p of e.path) levelVars(p, out);
      return;
    case "array":
    case "set":
      for (const i of e.items) levelVars(i, out);
      return;
    case "object":
      for (const [k, v] of e.entries) {
        levelVars(k, out);
        levelVars(v, out);
      }
      return;
    case "call":
      for (const a of e.args) levelVars(a, out);
      return;
    case "binop":
      levelVars(e.left, out);
      levelVars(e.right, out);
      return;
    case "neg":
      levelVars(e.expr, out);
      return;
    case "in":
      if (e.key) levelVars(e.key, out);
      levelVars(e.value, out);
      levelVars(e.coll, out);
      return;
    case "assign":
    case "unify":
      levelVars(e.lhs, out);
      levelVars(e.rhs, out);
      return;
    default:
      return;
  }
}

export class Resolver {
  constructor(
    private readonly globals: Globals,
    private readonly resolveCall: (fn: string[], e: Expr) => void,
    private readonly regoV1 = true,
  ) {}

  /** resolve a body in `scope` (declaring its locals there) */
  body(q: Query, scope: Scope): void {
    const args = scope.parent?.isArgs ? new Set(scope.parent.names.keys()) : undefined;
    checkBody(q, (name) => this.globals.lookup(name) !== undefined && !scope.find(name), args);
    // 1. explicit declarations shadow outer names
    for (const lit of q) {
      const decl: Expr[] = [];
      if (lit.t === "some") decl.push(...lit.vars);
      else if (lit.t === "somein") {
        if (lit.key) patternVars(lit.key, decl);
        patternVars(lit.value, decl);
      } else if (lit.t === "expr" && lit.expr.t === "assign") patternVars(lit.expr.lhs, decl);
      for (const v of decl) {
        if (v.t !== "var") continue;
        if (this.regoV1 && (v.name === "input" || v.name === "data")) throw new RegoError("rego_compile_error", `${v.name} cannot be shadowed`, v.loc);
        if (!scope.names.has(v.name)) scope.declare(v.name);
      }
    }
    // 2. other names at this level: outer local, global, or new local
    for (const lit of q) {
      const vs: Expr[] = [];
      if (lit.t === "expr") {
        levelVars(lit.expr, vs);
        for (const w of lit.withs) levelVars(w.value, vs);
      } else if (lit.t === "somein") levelVars(lit.coll, vs);
      else if (lit.t === "every") levelVars(lit.domain, vs);
      for (const v of vs) {
        if (v.t !== "var") continue;
        if (scope.find(v.name) || this.globals.lookup(v.name)) continue;
        scope.declare(v.name);
      }
    }
    // 3. annotate
    for (const lit of q) this.literal(lit, scope);
  }

  private literal(lit: Literal, scope: Scope): void {
    switch (lit.t) {
      case "expr":
        this.expr(lit.expr, scope);
        for (const w of lit.withs) {
          this.expr(w.value, scope);
          this.withTarget(w, scope);
        }
        return;
      case "some":
        for (const v of lit.vars) this.expr(v, scope);
        return;
      case "somein":
        if (lit.key) this.expr(lit.key, scope);
        this.expr(lit.value, scope);
        this.expr(lit.coll, scope);
        for (const w of lit.withs) {
          this.expr(w.value, scope);
          this.withTarget(w, scope);
        }
        return;
      case "every": {
        this.expr(lit.domain, scope);
        const inner = new Scope(scope, scope.frame);
        const decl: Expr[] = [];
        if (lit.key) patternVars(lit.key, decl);
        patternVars(lit.value, decl);
        for (const v of decl) if (v.t === "var") inner.declare(v.name);
        if (lit.key) this.expr(lit.key, inner);
        this.expr(lit.value, inner);
        this.body(lit.body, inner);
        for (const w of lit.withs) {
          this.expr(w.value, scope);
          this.withTarget(w, scope);
        }
        return;
      }
    }
  }

  private withTarget(w: { target: Expr; path?: string[] }, _scope: Scope): void {
    const t = w.target;
    let names: string[] | undefined;
    if (t.t === "var") names = [t.name];
    else if (t.t === "ref" && t.head.t === "var") {
      names = [t.head.name];
      for (const p of t.path) {
        if (p.t !== "scalar" || typeof p.value !== "string") throw new RegoError("rego_compile_error", "with target must be a static reference", w.target.loc);
        names.push(p.value);
      }
    }
    if (!names) throw new RegoError("rego_compile_error", "invalid with target", t.loc);
    if (names[0] === "input" || names[0] === "data") {
      w.path = names;
      return;
    }
    const g = this.globals.lookup(names[0]);
    w.path = g ? [...g, ...names.slice(1)] : names;
  }

  /** resolve the vars of an expression in `scope` (nested bodies get child scopes) */
  expr(e: Expr, scope: Scope): void {
    switch (e.t) {
      case "scalar":
        return;
      case "var": {
        let b = scope.find(e.name);
        if (!b) {
          const g = this.globals.lookup(e.name);
          b = g ? { kind: "global", path: g } : scope.declare(e.name);
        }
        e.bind = b;
        return;
      }
      case "ref": {
        this.expr(e.head, scope);
        for (const p of e.path) this.expr(p, scope);
        if (e.head.t === "var" && e.head.bind?.kind === "global") {
          const g = [...e.head.bind.path];
          let i = 0;
          while (i < e.path.length) {
            const p = e.path[i];
            if (p.t === "scalar" && typeof p.value === "string") g.push(p.value);
            // a number key into the data tree (base documents, packages) names the key's text, as
            // OPA's storage paths do (`data.x[1]` is `data.x["1"]`); inside a rule's value it stays a number
            else if (p.t === "scalar" && typeof p.value === "number" && g[0] === "data" && this.globals.inDataTree?.(g)) g.push(String(p.value));
            else break;
            i++;
          }
          e.global = g;
          e.path = e.path.slice(i);
        }
        return;
      }
      case "array":
      case "set":
        for (const i of e.items) this.expr(i, scope);
        return;
      case "object":
        for (const [k, v] of e.entries) {
          this.expr(k, scope);
          this.expr(v, scope);
        }
        return;
      case "arraycompr":
      case "setcompr": {
        const inner = new Scope(scope, scope.frame);
        this.body(e.body, inner);
        this.expr(e.term, inner);
        return;
      }
      case "objectcompr": {
        const inner = new Scope(scope, scope.frame);
        this.body(e.body, inner);
        this.expr(e.key, inner);
        this.expr(e.value, inner);
        return;
      }
      case "call":
        for (const a of e.args) this.expr(a, scope);
        this.resolveCall(e.fn, e);
        return;
      case "binop":
        this.expr(e.left, scope);
        this.expr(e.right, scope);
        return;
      case "neg":
        // parsed (so `default p = -x` reports the default rule), but only literals may be negated
        throw new RegoParseError("unary - can only be used with numeric literals", e.loc);
      case "in":
        if (e.key) this.expr(e.key, scope);
        this.expr(e.value, scope);
        this.expr(e.coll, scope);
        return;
      case "assign":
      case "unify":
        this.expr(e.lhs, scope);
        this.expr(e.rhs, scope);
        return;
    }
  }
}
