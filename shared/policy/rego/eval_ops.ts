// Value-level helpers shared by the CPS evaluator (evaluator.ts) and the direct
// evaluator (direct_eval.ts): indexing, membership, checked binary operators and
// comprehensions (which always produce exactly one value).

import type { BinaryOp, Expr } from "./ast.ts";
import { BuiltinError, RegoError } from "./errors.ts";
import type { Evaluator, Frame } from "./evaluator.ts";
import { arith, compareOp, setOp } from "./operators.ts";
import { equal, isObject, KeyedObject, ObjectBuilder, objectEntries, objectGet, type PlainObject, RegoSet, type RegoObject, type Value } from "./value.ts";

const hasOwn = Object.prototype.hasOwnProperty;

export function index(c: Value, key: Value): Value | undefined {
  if (typeof key === "string" && typeof c === "object" && c !== null && !Array.isArray(c)) {
    // common case first: a string key into a plain object
    if (c instanceof RegoSet) return c.has(key) ? key : undefined;
    if (c instanceof KeyedObject) return c.get(key);
    const v = (c as PlainObject)[key];
    if (v === undefined) return undefined;
    if (typeof v === "function" || key === "__proto__") return hasOwn.call(c, key) ? v : undefined;
    return v;
  }
  if (Array.isArray(c)) {
    return typeof key === "number" && Number.isInteger(key) && key >= 0 && key < c.length ? c[key] : undefined;
  }
  if (c === null || typeof c !== "object") return undefined;
  if (c instanceof RegoSet) return c.has(key) ? key : undefined;
  if (c instanceof KeyedObject) return c.get(key);
  if (typeof key !== "string") return undefined;
  return objectGet(c as RegoObject, key);
}

export function memberOf(v: Value, c: Value): boolean {
  if (Array.isArray(c)) {
    for (const x of c) if (equal(x, v)) return true;
    return false;
  }
  if (c instanceof RegoSet) return c.has(v);
  if (isObject(c)) {
    for (const [, x] of objectEntries(c)) if (equal(x, v)) return true;
  }
  return false;
}

/** `key, value in coll` */
export function hasEntry(c: Value, key: Value, v: Value): boolean {
  let x: Value | undefined;
  if (Array.isArray(c)) x = typeof key === "number" ? c[key] : undefined;
  else if (isObject(c)) x = objectGet(c, key);
  else if (c instanceof RegoSet) x = c.has(key) ? key : undefined;
  return x !== undefined && equal(x, v);
}

function binop(op: BinaryOp, a: Value, b: Value, ev: Evaluator): Value | undefined {
  switch (op) {
    case "==":
      return equal(a, b);
    case "!=":
      return !equal(a, b);
    case "<":
    case "<=":
    case ">":
    case ">=":
      return compareOp(op, a, b);
    case "|":
    case "&":
      return setOp(op, a, b, ev);
    default:
      return arith(op, a, b, ev);
  }
}

/** a binary operator; builtin errors are fatal in strict mode, else undefined */
export function binopChecked(ev: Evaluator, e: Extract<Expr, { t: "binop" }>, a: Value, b: Value): Value | undefined {
  try {
    return binop(e.op, a, b, ev);
  } catch (err) {
    if (!(err instanceof BuiltinError)) throw err;
    if (ev.strict) throw new RegoError("eval_builtin_error", err.message, e.loc);
    return undefined;
  }
}

type Compr = Extract<Expr, { t: "arraycompr" | "setcompr" | "objectcompr" }>;

export function comprehension(ev: Evaluator, e: Compr, f: Frame): Value {
  switch (e.t) {
    case "arraycompr": {
      const out: Value[] = [];
      ev.body(e.body, 0, f, () => ev.eval(e.term, f, (v) => {
        out.push(v);
        ev.checkSize(out.length);
        return false;
      }));
      return out;
    }
    case "setcompr": {
      const out = new RegoSet();
      ev.body(e.body, 0, f, () => ev.eval(e.term, f, (v) => {
        out.add(v);
        ev.checkSize(out.size);
        return false;
      }));
      return out;
    }
    case "objectcompr": {
      const ob = new ObjectBuilder();
      ev.body(e.body, 0, f, () => ev.eval(e.key, f, (key) => ev.eval(e.value, f, (v) => {
        const prev = ob.get(key);
        if (prev !== undefined && !equal(prev, v)) {
          throw new RegoError("eval_conflict_error", `object keys must be unique: value for key \`${JSON.stringify(key)}\` generated multiple times: \`${JSON.stringify(prev)}\` and \`${JSON.stringify(v)}\``, e.loc);
        }
        ob.set(key, v);
        ev.checkSize(ob.size);
        return false;
      })));
      return ob.build();
    }
  }
}
