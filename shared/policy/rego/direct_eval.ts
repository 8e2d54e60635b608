// Direct evaluation of expressions that produce at most one value (no variable
// keys in refs, no `walk`, no unification): a plain recursive function instead
// of continuation closures, which is most expressions in typical policies.

import type { Expr } from "./ast.ts";
import { binopChecked, comprehension, hasEntry, index, memberOf } from "./eval_ops.ts";
import type { Evaluator, Frame } from "./evaluator.ts";
import { dataValue } from "./rule_eval.ts";
import { ObjectBuilder, RegoSet, type Value } from "./value.ts";

type Annotated = { sv?: boolean };

/** does e produce at most one value without binding variables? (cached on the node) */
export function isSingle(e: Expr): boolean {
  const c = (e as Annotated).sv;
  if (c !== undefined) return c;
  const r = computeSingle(e);
  (e as Annotated).sv = r;
  return r;
}

function computeSingle(e: Expr): boolean {
  switch (e.t) {
    case "scalar":
    case "var":
    case "arraycompr":
    case "setcompr":
    case "objectcompr":
      return true;
    case "ref":
      return isSingle(e.head) && e.path.every((p) => p.t === "scalar" || (p.t === "var" ? p.bind?.kind === "global" : isSingle(p)));
    case "array":
    case "set":
      return e.items.every(isSingle);
    case "object":
      return e.entries.every(([k, v]) => isSingle(k) && isSingle(v));
    case "call":
      if (!e.target || (e.target.kind === "builtin" && e.target.name === "walk")) return false;
      return e.args.every(isSingle);
    case "binop":
      return isSingle(e.left) && isSingle(e.right);
    case "neg":
      return isSingle(e.expr);
    case "in":
      return (!e.key || isSingle(e.key)) && isSingle(e.value) && isSingle(e.coll);
    default:
      return false;
  }
}

function globalValue(ev: Evaluator, path: string[]): Value | undefined {
  if (path[0] !== "input") return dataValue(ev, path);
  let cur = ev.input;
  for (let i = 1; i < path.length && cur !== undefined; i++) cur = index(cur, path[i]);
  return cur;
}

function capture(ev: Evaluator, e: Expr, f: Frame): Value | undefined {
  let out: Value | undefined;
  ev.evalMulti(e, f, (v) => {
    out = v;
    return true;
  });
  return out;
}

/** the value of a single-valued expression (see isSingle), or undefined */
export function valueOf(ev: Evaluator, e: Expr, f: Frame): Value | undefined {
  switch (e.t) {
    case "scalar":
      return e.value;
    case "var": {
      const b = e.bind!;
      return b.kind !== "global" ? f[b.slot] : globalValue(ev, b.path);
    }
    case "ref": {
      let cur = e.global ? globalValue(ev, e.global) : valueOf(ev, e.head, f);
      const path = e.path;
      for (let i = 0; i < path.length && cur !== undefined; i++) {
        const p = path[i];
        const key = p.t === "scalar" ? p.value : valueOf(ev, p, f);
        if (key === undefined) return undefined;
        cur = index(cur, key);
      }
      return cur;
    }
    case "array": {
      if (e.cv !== undefined) return e.cv;
      const out: Value[] = new Array(e.items.length);
      for (let i = 0; i < e.items.length; i++) {
        const v = valueOf(ev, e.items[i], f);
        if (v === undefined) return undefined;
        out[i] = v;
      }
      return out;
    }
    case "set": {
      if (e.cv !== undefined) return e.cv;
      const out = new RegoSet();
      for (const item of e.items) {
        const v = valueOf(ev, item, f);
        if (v === undefined) return undefined;
        out.add(v);
      }
      return out;
    }
    case "object": {
      if (e.cv !== undefined) return e.cv;
      const ob = new ObjectBuilder();
      for (const [ke, ve] of e.entries) {
        const key = valueOf(ev, ke, f);
        if (key === undefined) return undefined;
        const v = valueOf(ev, ve, f);
        if (v === undefined) return undefined;
        ob.set(key, v);
      }
      return ob.build();
    }
    case "arraycompr":
    case "setcompr":
    case "objectcompr":
      return comprehension(ev, e, f);
    case "call": {
      const t = e.target!;
      if (t.kind === "builtin" && t.name === "print") return capture(ev, e, f);
      const n = e.args.length;
      const args: Value[] = new Array(n);
      for (let i = 0; i < n; i++) {
        const v = valueOf(ev, e.args[i], f);
        if (v === undefined) return undefined;
        args[i] = v;
      }
      return ev.call(t, args, e);
    }
    case "binop": {
      const a = valueOf(ev, e.left, f);
      if (a === undefined) return undefined;
      const b = valueOf(ev, e.right, f);
      if (b === undefined) return undefined;
      return binopChecked(ev, e, a, b);
    }
    case "neg": {
      const v = valueOf(ev, e.expr, f);
      return typeof v === "number" ? 0 - v : undefined;
    }
    case "in": {
      const c = valueOf(ev, e.coll, f);
      if (c === undefined) return undefined;
      if (e.key) {
        const key = valueOf(ev, e.key, f);
        if (key === undefined) return undefined;
        const v = valueOf(ev, e.value, f);
        return v === undefined ? undefined : hasEntry(c, key, v);
      }
      const v = valueOf(ev, e.value, f);
      return v === undefined ? undefined : memberOf(v, c);
    }
    default:
      return capture(ev, e, f);
  }
}
