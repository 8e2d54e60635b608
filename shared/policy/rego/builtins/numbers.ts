// Number builtins: rounding, ranges, bitwise operations.

import { RegoError } from "../errors.ts";
import { formatValue, type Value } from "../value.ts";
import { type BuiltinContext, type BuiltinTable, def, fail, got, num } from "./builtin.ts";

function integer(name: string, v: Value): number {
  const n = num(name, v);
  if (!Number.isInteger(n)) fail(`\`${name}\` expects integer argument. Got \`${formatValue(v)}\` instead (must be integer)`);
  return n;
}

function range(name: string, a: Value, b: Value, step: number, ctx: BuiltinContext): number[] {
  const x = integer(name, a);
  const y = integer(name, b);
  const n = Math.floor(Math.abs(y - x) / step) + 1;
  if (n > ctx.maxCollection) throw new RegoError("eval_size_limit", `\`${name}\` result exceeds size limit (${ctx.maxCollection})`);
  const out: number[] = [];
  if (x <= y) for (let i = x; i <= y; i += step) out.push(i);
  else for (let i = x; i >= y; i -= step) out.push(i);
  return out;
}

function bitArgs(name: string, a: Value, b: Value): [bigint, bigint] {
  if (typeof a !== "number") got(name, "numeric argument", a);
  if (typeof b !== "number") got(name, "numeric argument", b);
  return [BigInt(integer(name, a)), BigInt(integer(name, b))];
}

export const numberBuiltins: BuiltinTable = {
  abs: def(1, ([v]) => Math.abs(num("abs", v))),
  floor: def(1, ([v]) => Math.floor(num("floor", v))),
  ceil: def(1, ([v]) => Math.ceil(num("ceil", v))),
  round: def(1, ([v]) => {
    const n = num("round", v);
    return n < 0 ? -Math.round(-n) : Math.round(n);
  }),
  "numbers.range": def(2, ([a, b], ctx) => {
    if (typeof a !== "number") got("numbers.range", "numeric argument", a);
    if (typeof b !== "number") got("numbers.range", "numeric argument", b);
    return range("numbers.range", a, b, 1, ctx);
  }),
  "numbers.range_step": def(3, ([a, b, s], ctx) => {
    const step = integer("numbers.range_step", s);
    if (step <= 0) fail("`numbers.range_step` step must be a positive integer");
    return range("numbers.range_step", a, b, step, ctx);
  }),
  "bits.and": def(2, ([a, b]) => {
    const [x, y] = bitArgs("bits.and", a, b);
    return Number(x & y);
  }),
  "bits.or": def(2, ([a, b]) => {
    const [x, y] = bitArgs("bits.or", a, b);
    return Number(x | y);
  }),
  "bits.xor": def(2, ([a, b]) => {
    const [x, y] = bitArgs("bits.xor", a, b);
    return Number(x ^ y);
  }),
  "bits.lsh": def(2, ([a, b]) => {
    const [x, y] = bitArgs("bits.lsh", a, b);
    if (y < 0n) fail("`bits.lsh` shift must be non-negative");
    return Number(x << y);
  }),
  "bits.rsh": def(2, ([a, b]) => {
    const [x, y] = bitArgs("bits.rsh", a, b);
    if (y < 0n) fail("`bits.rsh` shift must be non-negative");
    return Number(x >> y);
  }),
  "bits.negate": def(1, ([a]) => {
    if (typeof a !== "number") got("bits.negate", "numeric argument", a);
    return Number(~BigInt(integer("bits.negate", a)));
  }),
};
