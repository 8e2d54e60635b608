// Top-down evaluation of bodies and expressions with backtracking, written in
// continuation-passing style: each solution calls the continuation, which
// returns true to stop the search. Variables live in per-rule frames (slots).

import type { CallTarget, Expr, Literal, Query, With } from "./ast.ts";
import type { Builtin, BuiltinContext } from "./builtins/builtin.ts";
import type { PreparedPolicy } from "./compiler.ts";
import { BuiltinError, RegoError } from "./errors.ts";
import { binopChecked, comprehension, hasEntry, index, memberOf } from "./eval_ops.ts";
import { isSingle, valueOf } from "./direct_eval.ts";
import { DEFAULT_LIMITS, type Limits } from "./limits.ts";
import { specialCall } from "./special_calls.ts";
import { callFunction, readData } from "./rule_eval.ts";
import { evalWith } from "./with_eval.ts";
import type { RuleSet } from "./rule_index.ts";
import {
  equal,
  formatValue,
  isObject,
  KeyedObject,
  ObjectBuilder,
  objectEntries,
  objectGet,
  type PlainObject,
  RegoSet,
  type RegoObject,
  sortedEntries,
  sortedKeys,
  type Value,
} from "./value.ts";

export type K = () => boolean;
export type VK = (v: Value) => boolean;
export type Frame = (Value | undefined)[];

export { DEFAULT_LIMITS, type Limits } from "./limits.ts";

export type FnMock = { fn: CallTarget } | { value: Value };

export class Evaluator implements BuiltinContext {
  input: Value | undefined;
  /** memoized rule values for this evaluation (UNDEF marks "undefined") */
  cache = new Map<RuleSet | readonly string[], unknown>();
  readonly inProgress = new Set<RuleSet>();
  dataOverrides: { path: string[]; value: Value }[] | null = null;
  fnMocks: Map<string, FnMock> | null = null;
  readonly prints: string[] = [];
  readonly memo = new Map<string, Value>();
  private steps = 0;
  private nextCheck: number;
  private readonly deadline: number;
  private readonly clock: () => number;
  private readonly maxSteps: number;
  private readonly checkInterval: number;
  readonly maxCollection: number;
  private now?: bigint;

  constructor(
    readonly policy: PreparedPolicy,
    input: Value | undefined,
    readonly data: Value,
    limits: Limits,
    readonly strict: boolean,
    private readonly timeNs?: bigint,
  ) {
    this.input = input;
    this.clock = limits.clock ?? (() => Date.now());
    this.maxSteps = limits.maxSteps ?? DEFAULT_LIMITS.maxSteps;
    this.checkInterval = limits.checkInterval ?? DEFAULT_LIMITS.checkInterval;
    this.maxCollection = limits.maxCollectionSize ?? DEFAULT_LIMITS.maxCollectionSize;
    this.deadline = this.clock() + (limits.timeoutMs ?? DEFAULT_LIMITS.timeoutMs);
    this.nextCheck = this.checkInterval;
  }

  // ---- BuiltinContext ----
  nowNs(): bigint {
    if (this.now === undefined) this.now = this.timeNs ?? BigInt(Date.now()) * 1_000_000n;
    return this.now;
  }
  print(msg: string): void {
    this.prints.push(msg);
  }

  step(): void {
    if (++this.steps >= this.nextCheck) this.checkLimits();
  }
  private checkLimits(): void {
    this.nextCheck = this.steps + this.checkInterval;
    if (this.steps > this.maxSteps) {
      throw new RegoError("eval_step_limit", `evaluation exceeded step limit (${this.maxSteps} steps)`);
    }
    if (this.clock() > this.deadline) throw new RegoError("eval_timeout", "execution exceeded time limit");
  }
  checkSize(n: number): void {
    if (n > this.maxCollection) {
      throw new RegoError("eval_size_limit", `produced collection exceeds size limit (${this.maxCollection})`);
    }
  }

  // ---- bodies ----
  body(q: Query, i: number, f: Frame, k: K): boolean {
    for (; i < q.length; i++) {
      const lit = q[i];
      // fast paths without continuation closures: single-valued tests and `x := <single value>`
      if (lit.t === "expr" && lit.withs.length === 0) {
        const e = lit.expr;
        if (isSingle(e)) {
          this.step();
          const v = valueOf(this, e, f);
          if ((v !== undefined && v !== false) === lit.negated) return false;
          continue;
        }
        if (!lit.negated && e.t === "assign" && e.lhs.t === "var" && e.lhs.bind!.kind !== "global" && isSingle(e.rhs)) {
          this.step();
          const v = valueOf(this, e.rhs, f);
          if (v === undefined) return false;
          const slot = e.lhs.bind!.slot;
          const cur = f[slot];
          if (cur !== undefined) {
            if (!equal(cur, v)) return false;
            continue;
          }
          f[slot] = v;
          const stop = this.body(q, i + 1, f, k);
          f[slot] = undefined;
          return stop;
        }
      }
      if (lit.t === "somein" && lit.withs.length === 0 && !lit.key) {
        const p = lit.value;
        if (p.t === "var" && p.bind!.kind !== "global" && f[p.bind!.slot] === undefined && isSingle(lit.coll)) {
          const c = valueOf(this, lit.coll, f);
          if (c === undefined) return false;
          const slot = p.bind!.slot;
          if (c !== null && typeof c === "object" && !Array.isArray(c)) {
            this.step();
            return this.members(c, f, (_key, v) => {
              f[slot] = v;
              const stop = this.body(q, i + 1, f, k);
              f[slot] = undefined;
              return stop;
            });
          }
          if (Array.isArray(c)) {
            // `some x in <array>`: iterate without per-element closures
            this.step();
            let stop = false;
            for (let j = 0; j < c.length && !stop; j++) {
              this.step();
              f[slot] = c[j];
              stop = this.body(q, i + 1, f, k);
            }
            f[slot] = undefined;
            return stop;
          }
        }
      }
      return this.literal(lit, f, i + 1 === q.length ? k : () => this.body(q, i + 1, f, k));
    }
    return k();
  }

  literal(lit: Literal, f: Frame, k: K): boolean {
    this.step();
    switch (lit.t) {
      case "expr":
        if (lit.withs.length) return this.withLiteral(lit, lit.withs, f, k);
        if (lit.negated) {
          let found = false;
          this.truth(lit.expr, f, () => (found = true));
          return found ? false : k();
        }
        return this.truth(lit.expr, f, k);
      case "some":
        return k();
      case "somein":
        if (lit.withs.length) return this.withLiteral(lit, lit.withs, f, k);
        return this.eval(lit.coll, f, (c) => {
          if (c === null || typeof c !== "object") {
            throw new RegoError("eval_type_error", `\`some .. in collection\` expects array/set/object. Got \`${formatValue(c)}\` instead`, lit.loc);
          }
          return this.members(c, f, (key, val) =>
          lit.key
            ? this.match(lit.key, key, f, () => this.match(lit.value, val, f, k))
            : this.match(lit.value, val, f, k));
        });
      case "every":
        if (lit.withs.length) return this.withLiteral(lit, lit.withs, f, k);
        return this.eval(lit.domain, f, (d) => {
          let ok = true;
          this.members(d, f, (key, val) => {
            let found = false;
            const check = () => this.body(lit.body, 0, f, () => (found = true));
            if (lit.key) this.match(lit.key, key, f, () => this.match(lit.value, val, f, check));
            else this.match(lit.value, val, f, check);
            if (!found) ok = false;
            return !ok;
          });
          return ok ? k() : false;
        });
    }
  }

  /** iterate (key, value) pairs of a collection */
  members(c: Value, _f: Frame, k: (key: Value, val: Value) => boolean): boolean {
    if (Array.isArray(c)) {
      for (let i = 0; i < c.length; i++) {
        this.step();
        if (k(i, c[i])) return true;
      }
      return false;
    }
    // sets and objects are iterated in OPA's order (sorted)
    if (c instanceof RegoSet) {
      for (const v of c.sortedValues()) {
        this.step();
        if (k(v, v)) return true;
      }
      return false;
    }
    if (c instanceof KeyedObject) {
      for (const [key, v] of sortedEntries(c)) {
        this.step();
        if (k(key, v)) return true;
      }
      return false;
    }
    if (c !== null && typeof c === "object") {
      const o = c as PlainObject;
      for (const key of sortedKeys(o)) {
        this.step();
        if (k(key, o[key])) return true;
      }
    }
    return false;
  }

  /** an expression used as a statement: succeeds when defined and not false */
  truth(e: Expr, f: Frame, k: K): boolean {
    switch (e.t) {
      case "assign":
        return this.eval(e.rhs, f, (v) => this.match(e.lhs, v, f, k));
      case "unify":
        return this.unify(e.lhs, e.rhs, f, k);
      default:
        if (isSingle(e)) {
          const v = valueOf(this, e, f);
          return v === undefined || v === false ? false : k();
        }
        return this.evalMulti(e, f, (v) => (v === false ? false : k()));
    }
  }

  /** is expression `e` a pattern that can bind variables right now? */
  private hasUnbound(e: Expr, f: Frame): boolean {
    switch (e.t) {
      case "var":
        return e.bind !== undefined && e.bind.kind !== "global" && f[e.bind.slot] === undefined;
      case "array":
        return e.cv === undefined && e.items.some((i) => this.hasUnbound(i, f));
      case "object":
        return e.cv === undefined && e.entries.some(([, v]) => this.hasUnbound(v, f));
      default:
        return false;
    }
  }

  unify(l: Expr, r: Expr, f: Frame, k: K): boolean {
    const lu = this.hasUnbound(l, f);
    const ru = this.hasUnbound(r, f);
    if (lu && ru && l.t === "array" && r.t === "array") {
      if (l.items.length !== r.items.length) return false;
      return this.unifyItems(l.items, r.items, 0, f, k);
    }
    if (lu && ru && l.t === "object" && r.t === "object") {
      return this.eval(r, f, (v) => this.match(l, v, f, k));
    }
    if (lu && !ru) return this.eval(r, f, (v) => this.match(l, v, f, k));
    return this.eval(l, f, (v) => this.match(r, v, f, k));
  }

  private unifyItems(l: Expr[], r: Expr[], i: number, f: Frame, k: K): boolean {
    if (i === l.length) return k();
    return this.unify(l[i], r[i], f, () => this.unifyItems(l, r, i + 1, f, k));
  }

  private matchItems(items: Expr[], v: Value[], i: number, f: Frame, k: K): boolean {
    if (i === v.length) return k();
    return this.match(items[i], v[i], f, () => this.matchItems(items, v, i + 1, f, k));
  }

  private matchEntries(ents: [Expr, Expr][], v: RegoObject, i: number, f: Frame, k: K): boolean {
    if (i === ents.length) return k();
    const ke = ents[i][0];
    if (ke.t === "var" && ke.bind!.kind !== "global" && f[ke.bind!.slot] === undefined) {
      // variable key: try every key of the value not named by a constant key of the pattern
      const slot = ke.bind!.slot;
      for (const [key, x] of sortedEntries(v)) {
        if (ents.some(([o]) => o.t === "scalar" && o.value === key)) continue;
        f[slot] = key;
        const stop = this.match(ents[i][1], x, f, () => this.matchEntries(ents, v, i + 1, f, k));
        f[slot] = undefined;
        if (stop) return true;
      }
      return false;
    }
    return this.eval(ke, f, (key) => {
      const x = objectGet(v, key);
      return x === undefined ? false : this.match(ents[i][1], x, f, () => this.matchEntries(ents, v, i + 1, f, k));
    });
  }

  /** match pattern `p` against value `v`, binding unbound variables */
  match(p: Expr, v: Value, f: Frame, k: K): boolean {
    switch (p.t) {
      case "scalar":
        return p.value === v ? k() : false;
      case "var": {
        const b = p.bind!;
        if (b.kind === "global") return this.eval(p, f, (x) => (equal(x, v) ? k() : false));
        const cur = f[b.slot];
        if (cur !== undefined) return equal(cur, v) ? k() : false;
        f[b.slot] = v;
        const stop = k();
        f[b.slot] = undefined;
        return stop;
      }
      case "array": {
        if (p.cv !== undefined) return equal(p.cv, v) ? k() : false;
        if (!Array.isArray(v) || v.length !== p.items.length) return false;
        return this.matchItems(p.items, v, 0, f, k);
      }
      case "object": {
        if (p.cv !== undefined) return equal(p.cv, v) ? k() : false;
        if (!isObject(v)) return false;
        if (objectEntries(v).length !== p.entries.length) return false;
        return this.matchEntries(p.entries, v, 0, f, k);
      }
      default:
        return this.eval(p, f, (x) => (equal(x, v) ? k() : false));
    }
  }

  // ---- expressions ----
  eval(e: Expr, f: Frame, k: VK): boolean {
    if (isSingle(e)) {
      const v = valueOf(this, e, f);
      return v === undefined ? false : k(v);
    }
    return this.evalMulti(e, f, k);
  }

  /** expressions that may produce several values (refs with variable keys, walk, unification) */
  evalMulti(e: Expr, f: Frame, k: VK): boolean {
    switch (e.t) {
      case "scalar":
        return k(e.value);
      case "var": {
        const b = e.bind!;
        if (b.kind !== "global") {
          const v = f[b.slot];
          return v === undefined ? false : k(v);
        }
        return this.global(b.path, [], f, k);
      }
      case "ref":
        if (e.global) return this.global(e.global, e.path, f, k);
        return this.eval(e.head, f, (h) => this.walk(h, e.path, 0, f, k));
      case "array":
        if (e.cv !== undefined) return k(e.cv);
        return this.evalList(e.items, f, (vs) => k(vs));
      case "set":
        if (e.cv !== undefined) return k(e.cv);
        return this.evalList(e.items, f, (vs) => k(new RegoSet(vs)));
      case "object": {
        if (e.cv !== undefined) return k(e.cv);
        const flat: Expr[] = [];
        for (const [a, b] of e.entries) flat.push(a, b);
        return this.evalList(flat, f, (vs) => {
          const ob = new ObjectBuilder();
          for (let i = 0; i < vs.length; i += 2) ob.set(vs[i], vs[i + 1]);
          return k(ob.build());
        });
      }
      case "arraycompr":
      case "setcompr":
      case "objectcompr":
        return k(comprehension(this, e, f));
      case "call":
        if (e.target!.kind === "builtin" && (e.target!.name === "walk" || e.target!.name === "print")) return specialCall(this, e, f, k);
        return this.evalList(e.args, f, (args) => {
          const r = this.call(e.target!, args, e);
          return r === undefined ? false : k(r);
        });
      case "binop":
        return this.eval(e.left, f, (a) => this.eval(e.right, f, (b) => {
          const r = binopChecked(this, e, a, b);
          return r === undefined ? false : k(r);
        }));
      case "neg":
        return this.eval(e.expr, f, (v) => (typeof v === "number" ? k(0 - v) : false));
      case "in":
        return this.eval(e.coll, f, (c) => {
          if (e.key) return this.eval(e.key, f, (key) => this.eval(e.value, f, (v) => k(hasEntry(c, key, v))));
          return this.eval(e.value, f, (v) => k(memberOf(v, c)));
        });
      case "assign":
      case "unify":
        return this.truth(e, f, () => k(true));
    }
  }

  evalList(items: Expr[], f: Frame, k: (vs: Value[]) => boolean): boolean {
    const n = items.length;
    if (n === 0) return k([]);
    return this.listStep(items, 0, new Array(n), f, k);
  }

  private listStep(items: Expr[], i: number, vs: Value[], f: Frame, k: (vs: Value[]) => boolean): boolean {
    if (i === items.length) return k(vs.slice());
    const e = items[i];
    if (e.t === "scalar") {
      vs[i] = e.value;
      return this.listStep(items, i + 1, vs, f, k);
    }
    if (e.t === "var" && e.bind!.kind !== "global") {
      const v = f[e.bind!.slot];
      if (v === undefined) return false;
      vs[i] = v;
      return this.listStep(items, i + 1, vs, f, k);
    }
    return this.eval(e, f, (v) => {
      vs[i] = v;
      return this.listStep(items, i + 1, vs, f, k);
    });
  }

  /** index into `cur` along `path` from position i, enumerating unbound variables */
  walk(cur: Value, path: Expr[], i: number, f: Frame, k: VK): boolean {
    for (; i < path.length; i++) {
      const p = path[i];
      let key: Value | undefined;
      if (p.t === "scalar") key = p.value;
      else if (p.t === "var" && p.bind!.kind !== "global") {
        key = f[p.bind!.slot];
        if (key === undefined) {
          const slot = p.bind!.slot;
          const rest = i + 1;
          return this.members(cur, f, (kk, vv) => {
            f[slot] = kk;
            const stop = this.walk(vv, path, rest, f, k);
            f[slot] = undefined;
            return stop;
          });
        }
      } else {
        const rest = i + 1;
        const c = cur;
        return this.eval(p, f, (kv) => {
          const next = index(c, kv);
          return next === undefined ? false : this.walk(next, path, rest, f, k);
        });
      }
      const next = index(cur, key);
      if (next === undefined) return false;
      cur = next;
    }
    return k(cur);
  }

  /** read input.* / data.* */
  global(path: string[], rest: Expr[], f: Frame, k: VK): boolean {
    if (path[0] === "input") {
      let cur = this.input;
      for (let i = 1; i < path.length && cur !== undefined; i++) cur = index(cur, path[i]);
      if (cur === undefined) return false;
      return rest.length ? this.walk(cur, rest, 0, f, k) : k(cur);
    }
    return readData(this, path, rest, f, k);
  }

  call(target: CallTarget, args: Value[], e: Expr): Value | undefined {
    if (this.fnMocks) {
      const m = this.fnMocks.get(target.kind === "builtin" ? target.name : "data." + target.path.join("."));
      if (m) {
        if ("value" in m) return m.value;
        return this.call(m.fn, args, e);
      }
    }
    if (target.kind === "function") return callFunction(this, target.path, args);
    const b = (target as { fn?: Builtin }).fn ?? ((target as { fn?: Builtin }).fn = this.policy.builtins.get(target.name)!);
    try {
      return b.fn(args, this);
    } catch (err) {
      if (err instanceof BuiltinError) {
        if (this.strict) throw new RegoError("eval_builtin_error", `${target.name}: ${err.message}`, e.loc);
        return undefined;
      }
      throw err;
    }
  }

  private withLiteral(lit: Literal, withs: With[], f: Frame, k: K): boolean {
    return evalWith(this, lit, withs, f, k);
  }
}

export { index, memberOf } from "./eval_ops.ts";
