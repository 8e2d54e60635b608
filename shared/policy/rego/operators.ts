// Infix operators: arithmetic, comparison and set algebra.

import { fail, got } from "./builtins/builtin.ts";
import type { BuiltinContext } from "./builtins/builtin.ts";
import { RegoError } from "./errors.ts";
import { compare, RegoSet, type Value } from "./value.ts";

const ARITH_NAMES: Record<string, string> = { "+": "add", "-": "sub", "*": "mul", "/": "div", "%": "mod" };

export function arith(op: string, a: Value, b: Value, ctx: BuiltinContext): Value | undefined {
  if (op === "-" && a instanceof RegoSet && b instanceof RegoSet) return setDiff(a, b, ctx);
  const name = ARITH_NAMES[op];
  if (typeof a !== "number") got(name, "numeric argument", a);
  if (typeof b !== "number") got(name, "numeric argument", b);
  const x = a as number;
  const y = b as number;
  switch (op) {
    case "+":
      return x + y;
    case "-":
      return x - y;
    case "*":
      return x * y;
    case "/":
      if (y === 0) fail("divide by zero");
      return x / y;
    case "%":
      if (!Number.isInteger(x) || !Number.isInteger(y)) fail("modulo on floating-point number");
      if (y === 0) fail("modulo by zero");
      return x % y;
  }
  return undefined;
}

export function compareOp(op: "<" | "<=" | ">" | ">=", a: Value, b: Value): boolean {
  const c = compare(a, b);
  switch (op) {
    case "<":
      return c < 0;
    case "<=":
      return c <= 0;
    case ">":
      return c > 0;
    case ">=":
      return c >= 0;
  }
}

function setDiff(a: RegoSet, b: RegoSet, ctx: BuiltinContext): RegoSet {
  const out = new RegoSet();
  for (const [k, v] of a.m) if (!b.m.has(k)) out.m.set(k, v);
  if (out.size > ctx.maxCollection) throw new RegoError("eval_size_limit", `set exceeds size limit (${ctx.maxCollection})`);
  return out;
}

export function setOp(op: "|" | "&", a: Value, b: Value, ctx: BuiltinContext): Value | undefined {
  const name = op === "|" ? "or" : "and";
  if (!(a instanceof RegoSet)) got(name, "set argument", a);
  if (!(b instanceof RegoSet)) got(name, "set argument", b);
  const x = a as RegoSet;
  const y = b as RegoSet;
  const out = new RegoSet();
  if (op === "|") {
    for (const [k, v] of x.m) out.m.set(k, v);
    for (const [k, v] of y.m) out.m.set(k, v);
  } else {
    for (const [k, v] of x.m) if (y.m.has(k)) out.m.set(k, v);
  }
  if (out.size > ctx.maxCollection) throw new RegoError("eval_size_limit", `set exceeds size limit (${ctx.maxCollection})`);
  return out;
}
