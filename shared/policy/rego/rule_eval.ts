// Rule evaluation: complete rules, partial sets/objects, functions, default
// values and else chains, plus reads of the `data` document (rules merged
// with base data). Rule values are memoized per evaluation.

import type { Expr, Rule } from "./ast.ts";
import { RegoError } from "./errors.ts";
import { type Evaluator, type Frame, index, type VK } from "./evaluator.ts";
import { type RuleSet, staticPrefix, type TreeNode } from "./rule_index.ts";
import { equal, formatValue, isObject, keyOf, ObjectBuilder, objectEntries, objectGet, RegoSet, type Value } from "./value.ts";

export const UNDEF: unique symbol = Symbol("undefined");

export function readData(ev: Evaluator, path: string[], rest: Expr[], f: Frame, k: VK): boolean {
  let cur: Value | undefined;
  if (ev.dataOverrides) cur = readOverridden(ev, path.slice(1));
  else cur = readPath(ev, path.slice(1));
  if (cur === undefined) return false;
  return rest.length ? ev.walk(cur, rest, 0, f, k) : k(cur);
}

/** value at a data path (path[0] is "data") */
export function dataValue(ev: Evaluator, path: string[]): Value | undefined {
  if (ev.dataOverrides) return readOverridden(ev, path.slice(1));
  // memoized per evaluation (and per `with` scope, which swaps the cache) by path identity
  const c = ev.cache.get(path);
  if (c !== undefined) return c === UNDEF ? undefined : (c as Value);
  const v = readPath(ev, path.slice(1));
  ev.cache.set(path, v === undefined ? UNDEF : v);
  return v;
}

/** value at data path p (without "data"), ignoring overrides */
function readPath(ev: Evaluator, p: string[]): Value | undefined {
  let node = ev.policy.index.root;
  let i = 0;
  while (i < p.length && !node.ruleSet) {
    const c = node.children.get(p[i]);
    if (!c) break;
    node = c;
    i++;
  }
  let cur: Value | undefined;
  if (node.ruleSet) {
    if (node.ruleSet.kind === "function") {
      // a zero-argument function read as a document yields its value (regorus)
      if (node.ruleSet.arity !== 0) return undefined;
      cur = callFunction(ev, node.ruleSet.path, []);
    } else cur = evalRuleSet(ev, node.ruleSet);
  } else if (i < p.length) {
    return baseAt(ev.data, p);
  } else {
    return virtualDoc(ev, node, p);
  }
  for (; i < p.length && cur !== undefined; i++) cur = index(cur, p[i]);
  return cur;
}

function readOverridden(ev: Evaluator, p: string[]): Value | undefined {
  const ovs = ev.dataOverrides!;
  for (let j = ovs.length - 1; j >= 0; j--) {
    const o = ovs[j];
    if (o.path.length <= p.length && o.path.every((x, i) => x === p[i])) {
      let cur: Value | undefined = o.value;
      for (let i = o.path.length; i < p.length && cur !== undefined; i++) cur = index(cur, p[i]);
      return cur;
    }
  }
  let cur = readPath(ev, p);
  for (const o of ovs) {
    if (o.path.length > p.length && p.every((x, i) => x === o.path[i])) {
      cur = setIn(cur, o.path.slice(p.length), o.value);
    }
  }
  return cur;
}

function setIn(base: Value | undefined, path: string[], v: Value): Value {
  const ob = new ObjectBuilder();
  if (isObject(base)) for (const [k, x] of objectEntries(base)) ob.set(k, x);
  const [h, ...rest] = path;
  ob.set(h, rest.length ? setIn(isObject(base) ? objectGet(base, h) : undefined, rest, v) : v);
  return ob.build();
}

function baseAt(data: Value, p: string[]): Value | undefined {
  let cur: Value | undefined = data;
  for (let i = 0; i < p.length && cur !== undefined; i++) cur = index(cur, p[i]);
  return cur;
}

function virtualDoc(ev: Evaluator, node: TreeNode, p: string[]): Value | undefined {
  const ob = new ObjectBuilder();
  const base = baseAt(ev.data, p);
  if (isObject(base)) for (const [k, x] of objectEntries(base)) ob.set(k, x);
  childDocs(ev, node, p, (name, v) => ob.set(name, v));
  return ob.build();
}

/** the documents of the rules below `node` (at data path p), by child name */
function childDocs(ev: Evaluator, node: TreeNode, p: string[], out: (name: string, v: Value, subtree: boolean) => void): void {
  for (const [name, child] of node.children) {
    let v: Value | undefined;
    if (child.ruleSet) {
      if (child.ruleSet.kind === "function") continue;
      v = evalRuleSet(ev, child.ruleSet);
    } else v = ev.dataOverrides ? readOverridden(ev, [...p, name]) : virtualDoc(ev, child, [...p, name]);
    if (v !== undefined) out(name, v, !child.ruleSet);
  }
}

export function evalRuleSet(ev: Evaluator, rs: RuleSet): Value | undefined {
  const c = ev.cache.get(rs);
  if (c !== undefined) return c === UNDEF ? undefined : (c as Value);
  if (ev.inProgress.has(rs)) {
    throw new RegoError("rego_recursion_error", `recursion detected when evaluating data.${rs.path.join(".")}`);
  }
  ev.inProgress.add(rs);
  let v: Value | undefined;
  try {
    switch (rs.kind) {
      case "complete":
        v = completeValue(ev, rs);
        break;
      case "set":
        v = setValue(ev, rs);
        break;
      case "object":
        v = objectValue(ev, rs);
        break;
      default:
        v = undefined;
    }
  } finally {
    ev.inProgress.delete(rs);
  }
  ev.cache.set(rs, v === undefined ? UNDEF : v);
  return v;
}

function isConstant(e: Expr | undefined): boolean {
  return e === undefined || e.t === "scalar" || ((e.t === "array" || e.t === "set" || e.t === "object") && e.cv !== undefined);
}

const TRUE_EXPR: Expr = { t: "scalar", value: true, loc: { file: "", line: 0, col: 0 } };

/** value of one rule (with its else chain) for the given arguments */
function ruleValue(ev: Evaluator, rule: Rule, args: Value[] | undefined, what: string): Value | undefined {
  const st: RuleRun = { ev, rule, what, f: new Array(rule.slots ?? 0), out: undefined };
  runBody(st, rule.body, rule.value, args);
  for (let i = 0; st.out === undefined && i < rule.elses.length; i++) runBody(st, rule.elses[i].body, rule.elses[i].value, args);
  return st.out;
}

interface RuleRun {
  ev: Evaluator;
  rule: Rule;
  what: string;
  f: Frame;
  out: Value | undefined;
}

function runBody(st: RuleRun, body: Rule["body"], valueExpr: Expr | undefined, args: Value[] | undefined): void {
  if (args && st.rule.args) bindArgs(st, body, valueExpr, args, 0);
  else solve(st, body, valueExpr);
}

function bindArgs(st: RuleRun, body: Rule["body"], valueExpr: Expr | undefined, args: Value[], i: number): boolean {
  const params = st.rule.args!;
  if (i === params.length) return solve(st, body, valueExpr);
  return st.ev.match(params[i], args[i], st.f, () => bindArgs(st, body, valueExpr, args, i + 1));
}

function solve(st: RuleRun, body: Rule["body"], valueExpr: Expr | undefined): boolean {
  const ve = valueExpr ?? TRUE_EXPR;
  const constant = isConstant(valueExpr);
  const { ev, f } = st;
  return ev.body(body, 0, f, () =>
    ev.eval(ve, f, (v) => {
      if (st.out === undefined) st.out = v;
      else if (!equal(st.out, v)) {
        throw new RegoError("eval_conflict_error", `${st.what} must not produce multiple outputs (${formatValue(st.out)} and ${formatValue(v)})`, st.rule.loc);
      }
      return constant;
    }));
}

function defaultValue(ev: Evaluator, rule: Rule): Value | undefined {
  const f: Frame = new Array(rule.slots ?? 0);
  let out: Value | undefined;
  ev.eval(rule.value!, f, (v) => {
    out = v;
    return true;
  });
  return out;
}

function completeValue(ev: Evaluator, rs: RuleSet): Value | undefined {
  let out: Value | undefined;
  for (const r of rs.rules) {
    const v = ruleValue(ev, r, undefined, "complete rules");
    if (v === undefined) continue;
    if (out === undefined) out = v;
    else if (!equal(out, v)) {
      throw new RegoError("eval_conflict_error", `complete rules must not produce multiple outputs: data.${rs.path.join(".")} (${formatValue(out)} and ${formatValue(v)})`, r.loc);
    }
  }
  if (out === undefined && rs.defaults.length) out = defaultValue(ev, rs.defaults[0]);
  return out;
}

function setValue(ev: Evaluator, rs: RuleSet): Value {
  const out = new RegoSet();
  for (const r of rs.rules) {
    const f: Frame = new Array(r.slots ?? 0);
    const key = r.key!;
    // a constant element needs one solution of the body (early exit, as OPA)
    const once = isConstant(key);
    ev.body(r.body, 0, f, () =>
      ev.eval(key, f, (v) => {
        out.add(v);
        ev.checkSize(out.size);
        return once;
      }));
  }
  return out;
}

class Nested {
  readonly leaves = new ObjectBuilder();
  readonly kids = new Map<unknown, { key: Value; node: Nested }>();
  size = 0;
  /** merge: v is the document of a subtree of rules below this rule set's path (`p.q.r := 1` next to `p[x][y] := 2`) */
  insert(keys: Value[], v: Value, rs: RuleSet, rule: Rule, merge = false): void {
    if (keys.length === 1) {
      const prev = this.leaves.get(keys[0]);
      if (prev !== undefined && !equal(prev, v)) {
        if (!merge || !isObject(prev) || !isObject(v)) {
          throw new RegoError("eval_conflict_error", `rules must not produce multiple outputs: object keys must be unique in data.${rs.path.join(".")} (key ${formatValue(keys[0])})`, rule.loc);
        }
        v = mergeDocs(prev, v);
      }
      this.leaves.set(keys[0], v);
      this.size++;
      return;
    }
    const kk = keyOf(keys[0]);
    let kid = this.kids.get(kk);
    if (!kid) this.kids.set(kk, (kid = { key: keys[0], node: new Nested() }));
    kid.node.insert(keys.slice(1), v, rs, rule);
  }
  /** add element v to the set at keys (multi-value rules: `p[x] contains v`) */
  insertElem(keys: Value[], v: Value, rs: RuleSet, rule: Rule): void {
    if (keys.length > 1) {
      const kk = keyOf(keys[0]);
      let kid = this.kids.get(kk);
      if (!kid) this.kids.set(kk, (kid = { key: keys[0], node: new Nested() }));
      kid.node.insertElem(keys.slice(1), v, rs, rule);
      return;
    }
    let s = this.leaves.get(keys[0]);
    if (s === undefined) this.leaves.set(keys[0], (s = new RegoSet()));
    else if (!(s instanceof RegoSet)) {
      throw new RegoError("eval_conflict_error", `rules must not produce multiple outputs: object keys must be unique in data.${rs.path.join(".")} (key ${formatValue(keys[0])})`, rule.loc);
    }
    s.add(v);
    this.size++;
  }
  build(): Value {
    for (const { key, node } of this.kids.values()) {
      const sub = node.build();
      const prev = this.leaves.get(key);
      // `a.b := {"c": 1}` next to `a[x][y] := 2`: both contribute to data.…a.b
      this.leaves.set(key, prev === undefined ? sub : mergeDocs(prev, sub));
    }
    return this.leaves.build();
  }
}

/** merge two documents produced for the same path by different rules: objects merge key by key */
function mergeDocs(a: Value, b: Value): Value {
  if (equal(a, b)) return a;
  if (!isObject(a) || !isObject(b)) throw new RegoError("eval_conflict_error", "rules must not produce multiple outputs: conflicting object keys");
  const ob = new ObjectBuilder();
  for (const [k, x] of objectEntries(a)) ob.set(k, x);
  for (const [k, x] of objectEntries(b)) {
    const prev = ob.get(k);
    ob.set(k, prev === undefined ? x : mergeDocs(prev, x));
  }
  return ob.build();
}

const restKeys = new WeakMap<Rule, Expr[]>();

function objectValue(ev: Evaluator, rs: RuleSet): Value {
  const top = new Nested();
  for (const r of rs.rules) {
    let keys = restKeys.get(r);
    if (!keys) restKeys.set(r, (keys = staticPrefix(r.ref).rest));
    const ks = keys;
    const f: Frame = new Array(r.slots ?? 0);
    const elem = r.key !== undefined;
    const ve = r.key ?? r.value ?? TRUE_EXPR;
    const once = isConstant(ve) && ks.every(isConstant);
    ev.body(r.body, 0, f, () =>
      ev.evalList(ks, f, (kv) =>
        ev.eval(ve, f, (v) => {
          if (elem) top.insertElem(kv, v, rs, r);
          else top.insert(kv, v, rs, r);
          ev.checkSize(top.size);
          return once;
        })));
  }
  // rules with longer static refs below this one (`p[x] = 1` next to `p.q = 2`)
  childDocs(ev, rs.node, rs.path, (name, v, subtree) => top.insert([name], v, rs, rs.rules[0], subtree));
  return top.build();
}

let depth = 0;

export function callFunction(ev: Evaluator, path: string[], args: Value[]): Value | undefined {
  const rs = ev.policy.index.find(path);
  if (!rs) return undefined;
  if (++depth > 2000) {
    throw new RegoError("rego_recursion_error", `recursion detected when calling data.${path.join(".")}`);
  }
  try {
    let out: Value | undefined;
    for (const r of rs.rules) {
      const v = ruleValue(ev, r, args, "functions");
      if (v === undefined) continue;
      if (out === undefined) out = v;
      else if (!equal(out, v)) {
        throw new RegoError("eval_conflict_error", `functions must not produce multiple outputs for same inputs: data.${path.join(".")}`, r.loc);
      }
    }
    if (out === undefined && rs.defaults.length) out = defaultValue(ev, rs.defaults[0]);
    return out;
  } finally {
    depth--;
  }
}
