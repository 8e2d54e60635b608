// Compilation: builds the rule tree, resolves names and calls, rewrites
// output-argument calls, refuses disabled/unknown builtins, schedules bodies.
// A PreparedPolicy is immutable after compile and reused across evaluations.

import type { CallTarget, Expr, Literal, Module, Query, Rule, With } from "./ast.ts";
import { BUILTINS } from "./builtins/registry.ts";
import type { Builtin } from "./builtins/builtin.ts";
import { RegoError } from "./errors.ts";
import { parseQuery } from "./parser.ts";
import { checkStaticConflicts, RuleIndex, staticPrefix } from "./rule_index.ts";
import { equal, type Value } from "./value.ts";
import { bodySlots, scheduleBody, scheduleNested } from "./scheduler.ts";
import { type Globals, patternVars, Resolver, Scope } from "./scope.ts";
import { foldConstants } from "./constant_fold.ts";

/** Builtins Spacelift refuses in policies. */
export const SPACELIFT_DISABLED_BUILTINS: readonly string[] = Object.freeze([
  "http.send",
  "opa.runtime",
  "rego.parse_module",
  "time.now_ns",
  "trace",
]);

export interface CompileOptions {
  /** builtins refused at compile time; defaults to SPACELIFT_DISABLED_BUILTINS */
  disabledBuiltins?: readonly string[];
}

export interface CompiledQuery {
  body: Query;
  slots: number;
  /** user-visible query variables */
  vars: { name: string; slot: number }[];
}

export interface PreparedPolicy {
  readonly index: RuleIndex;
  readonly modules: readonly Module[];
  readonly builtins: ReadonlyMap<string, Builtin>;
  readonly queries: Map<string, CompiledQuery>;
  readonly disabled: ReadonlySet<string>;
}

type FnInfo = { target: CallTarget; arity: number; name: string };

class ModuleContext implements Globals {
  private readonly aliases = new Map<string, string[]>();
  constructor(
    readonly mod: Module | undefined,
    private readonly ruleNames: Set<string>,
    readonly policy: PreparedPolicy,
  ) {
    if (mod) {
      for (const imp of mod.imports) {
        if (imp.path[0] !== "data" && imp.path[0] !== "input") continue;
        const alias = imp.alias ?? imp.path[imp.path.length - 1];
        this.aliases.set(alias, imp.path);
      }
    }
  }
  lookup(name: string): string[] | undefined {
    if (name === "input" || name === "data") return [name];
    if (this.mod && this.ruleNames.has(name)) return ["data", ...this.mod.pkg, name];
    return this.aliases.get(name);
  }

  inDataTree(path: string[]): boolean {
    let node = this.policy.index.root;
    for (let i = 1; i < path.length; i++) {
      if (node.ruleSet) return false;
      const c = node.children.get(path[i]);
      if (!c) return true; // base data
      node = c;
    }
    return !node.ruleSet;
  }

  fn(fn: string[], e: Expr): FnInfo {
    let path: string[] | undefined;
    const alias = this.aliases.get(fn[0]);
    if (fn[0] === "data") path = fn;
    else if (alias) path = [...alias, ...fn.slice(1)];
    else if (this.mod && this.ruleNames.has(fn[0])) path = ["data", ...this.mod.pkg, ...fn];
    if (path) {
      const rs = path[0] === "data" ? this.policy.index.find(path.slice(1)) : undefined;
      if (!rs || rs.kind !== "function") {
        throw new RegoError("rego_compile_error", `could not find function ${fn.join(".")}`, e.loc);
      }
      return { target: { kind: "function", path: rs.path }, arity: rs.arity, name: fn.join(".") };
    }
    const name = fn.join(".");
    if (this.policy.disabled.has(name)) {
      throw new RegoError("rego_disabled_builtin", `builtin \`${name}\` is disabled in policies`, e.loc);
    }
    const b = this.policy.builtins.get(name);
    if (!b) throw new RegoError("rego_compile_error", `could not find function ${name}`, e.loc);
    return { target: { kind: "builtin", name }, arity: b.arity, name };
  }
}

function arityError(info: FnInfo, e: Expr): never {
  throw new RegoError("rego_type_error", `\`${info.name}\` expects ${info.arity} argument${info.arity === 1 ? "" : "s"}`, e.loc);
}

class RuleCompiler {
  private readonly resolver: Resolver;
  constructor(private readonly ctx: ModuleContext) {
    this.resolver = new Resolver(ctx, (fn, e) => {
      if (e.t !== "call") return;
      const info = ctx.fn(fn, e);
      if (info.arity >= 0 && e.args.length !== info.arity) arityError(info, e);
      e.target = info.target;
    }, ctx.mod?.regoV1 ?? true);
  }

  /** rewrite `f(a, out)` statements (one extra argument) into `out = f(a)` */
  rewriteOutputCalls(q: Query): void {
    for (let i = 0; i < q.length; i++) {
      const lit = q[i];
      if (lit.t !== "expr" || lit.expr.t !== "call") continue;
      const call = lit.expr;
      const info = this.ctx.fn(call.fn, call);
      if (info.arity >= 0 && call.args.length === info.arity + 1) {
        const out = call.args[call.args.length - 1];
        const inner: Expr = { ...call, args: call.args.slice(0, -1) };
        q[i] = { ...lit, expr: { t: "unify", lhs: out, rhs: inner, loc: call.loc } };
      }
    }
    for (const lit of q) visitBodies(lit, (b) => this.rewriteOutputCalls(b));
  }

  body(q: Query, scope: Scope, bound: Set<number>): void {
    this.rewriteOutputCalls(q);
    this.resolver.body(q, scope);
    for (const lit of q) for (const w of withsOf(lit)) this.resolveWith(w);
    scheduleBody(q, bound);
    for (const lit of q) foldLiteral(lit);
  }

  private resolveWith(w: With): void {
    const p = w.path!;
    const policy = this.ctx.policy;
    if (p[0] === "input") return;
    if (p[0] === "data") {
      const rs = policy.index.find(p.slice(1));
      if (rs?.kind !== "function") return; // plain data replacement
      w.fnTarget = { kind: "function", path: rs.path };
    } else {
      const name = p.join(".");
      if (!policy.builtins.has(name) && !policy.disabled.has(name)) {
        throw new RegoError("rego_compile_error", `could not find function ${name}`, w.loc);
      }
      w.fnTarget = { kind: "builtin", name };
    }
    // is the replacement itself a function?
    const v = w.value;
    let names: string[] | undefined;
    if (v.t === "var") names = v.bind?.kind === "global" ? v.bind.path : [v.name];
    else if (v.t === "ref" && v.global && v.path.length === 0) names = v.global;
    else if (v.t === "ref" && v.head.t === "var" && v.path.every((x) => x.t === "scalar")) {
      names = [v.head.name, ...v.path.map((x) => String((x as { value: unknown }).value))];
    }
    if (!names) return;
    if (names[0] === "data") {
      const rs = policy.index.find(names.slice(1));
      if (rs?.kind === "function") w.mock = { kind: "function", path: rs.path };
    } else if (policy.builtins.has(names.join("."))) {
      w.mock = { kind: "builtin", name: names.join(".") };
    }
  }

  /** a head term (value, key, ref term) evaluated after `body`: comprehensions in it are compiled like bodies */
  private headExpr(e: Expr, scope: Scope, body: Query, argSlots: Set<number>): void {
    const lit: Literal = { t: "expr", expr: e, negated: false, withs: [], loc: e.loc };
    visitBodies(lit, (b) => this.rewriteOutputCalls(b));
    this.resolver.expr(e, scope);
    const bound = new Set(argSlots);
    bodySlots(body, bound);
    scheduleNested(lit, bound);
    foldConstants(e);
  }

  rule(rule: Rule): void {
    const frame = { n: 0 };
    const argScope = new Scope(undefined, frame, true);
    const bound = new Set<number>();
    for (const a of rule.args ?? []) {
      for (const v of patternVars(a)) if (v.t === "var" && !argScope.names.has(v.name)) argScope.declare(v.name);
      this.resolver.expr(a, argScope);
      for (const v of patternVars(a)) if (v.t === "var" && v.bind && v.bind.kind !== "global") bound.add(v.bind.slot);
    }
    const scope = new Scope(argScope, frame);
    this.body(rule.body, scope, bound);
    const head: Expr[] = [];
    if (rule.key) head.push(rule.key);
    if (rule.value) head.push(rule.value);
    head.push(...staticPrefix(rule.ref).rest);
    for (const h of head) this.headExpr(h, scope, rule.body, bound);
    for (const el of rule.elses) {
      const s = new Scope(argScope, frame);
      this.body(el.body, s, bound);
      if (el.value) this.headExpr(el.value, s, el.body, bound);
    }
    rule.slots = frame.n;
  }
}

function withsOf(lit: Literal): With[] {
  return lit.t === "expr" || lit.t === "somein" || lit.t === "every" ? lit.withs : [];
}

function foldLiteral(lit: Literal): void {
  switch (lit.t) {
    case "expr":
      foldConstants(lit.expr);
      return;
    case "somein":
      foldConstants(lit.coll);
      return;
    case "every":
      foldConstants(lit.domain);
      return;
    default:
      return;
  }
}

/** call f for each nested body directly inside a literal's expressions */
function visitBodies(lit: Literal, f: (q: Query) => void): void {
  const visit = (e: Expr): void => {
    switch (e.t) {
      case "arraycompr":
      case "setcompr":
      case "objectcompr":
        f(e.body);
        return;
      case "ref":
        visit(e.head);
        e.path.forEach(visit);
        return;
      case "array":
      case "set":
        e.items.forEach(visit);
        return;
      case "object":
        for (const [k, v] of e.entries) {
          visit(k);
          visit(v);
        }
        return;
      case "call":
        e.args.forEach(visit);
        return;
      case "binop":
        visit(e.left);
        visit(e.right);
        return;
      case "neg":
        visit(e.expr);
        return;
      case "in":
        if (e.key) visit(e.key);
        visit(e.value);
        visit(e.coll);
        return;
      case "assign":
      case "unify":
        visit(e.lhs);
        visit(e.rhs);
        return;
      default:
        return;
    }
  };
  if (lit.t === "expr") visit(lit.expr);
  else if (lit.t === "somein") visit(lit.coll);
  else if (lit.t === "every") {
    visit(lit.domain);
    f(lit.body);
  }
}

/** Compile modules into a reusable policy set. */
export function compile(modules: readonly Module[], opts: CompileOptions = {}): PreparedPolicy {
  const mods: Module[] = modules.map((m) => structuredClone(m));
  const index = new RuleIndex();
  const policy: PreparedPolicy = {
    index,
    modules: mods,
    builtins: BUILTINS,
    queries: new Map(),
    disabled: new Set(opts.disabledBuiltins ?? SPACELIFT_DISABLED_BUILTINS),
  };
  const ruleNames = new Map<string, Set<string>>();
  for (const m of mods) {
    const key = m.pkg.join(".");
    let names = ruleNames.get(key);
    if (!names) ruleNames.set(key, (names = new Set()));
    index.addPackage(m.pkg);
    for (const r of m.rules) {
      const name = (r.ref[0] as { name: string }).name;
      if (m.regoV1 && (name === "input" || name === "data")) {
        throw new RegoError("rego_compile_error", `${name} cannot be shadowed`, r.loc);
      }
      names.add(name);
      index.add(m, r);
    }
  }
  for (const m of mods) {
    const rc = new RuleCompiler(new ModuleContext(m, ruleNames.get(m.pkg.join("."))!, policy));
    for (const r of m.rules) rc.rule(r);
  }
  checkStaticConflicts(index, (a, b) => equal(constValue(a), constValue(b)));
  return policy;
}

/** Compile (and cache on the policy) a query string. */
export function compileQuery(policy: PreparedPolicy, source: string): CompiledQuery {
  const cached = policy.queries.get(source);
  if (cached) return cached;
  const body = parseQuery(source);
  const frame = { n: 0 };
  const scope = new Scope(undefined, frame);
  const rc = new RuleCompiler(new ModuleContext(undefined, new Set(), policy));
  rc.body(body, scope, new Set());
  const vars: { name: string; slot: number }[] = [];
  for (const [name, b] of scope.names) if (b.kind === "local" && !name.startsWith("$")) vars.push({ name, slot: b.slot });
  const q: CompiledQuery = { body, slots: frame.n, vars };
  if (policy.queries.size < 1000) policy.queries.set(source, q);
  return q;
}

function constValue(e: Expr): Value {
  return e.t === "scalar" ? e.value : (e as { cv: Value }).cv;
}
