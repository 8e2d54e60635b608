// Aggregates: count, sum, product, max, min, sort, any, all.

import { compare, formatValue, isObject, objectSize, RegoSet, type Value } from "../value.ts";
import { type BuiltinTable, coll, def, fail } from "./builtin.ts";

function nums(name: string, v: Value): number[] {
  const items = coll(name, v);
  for (const i of items) if (typeof i !== "number") fail(`\`${name}\` expects array/set of numbers. Got \`${formatValue(v)}\` instead`);
  return items as number[];
}

export const aggregateBuiltins: BuiltinTable = {
  count: def(1, ([v]) => {
    if (typeof v === "string") return [...v].length;
    if (Array.isArray(v)) return v.length;
    if (v instanceof RegoSet) return v.size;
    if (isObject(v)) return objectSize(v);
    return fail(`\`count\` requires array/object/set/string argument. Got \`${formatValue(v)}\` instead`);
  }),
  sum: def(1, ([v]) => nums("sum", v).reduce((a, b) => a + b, 0)),
  product: def(1, ([v]) => nums("product", v).reduce((a, b) => a * b, 1)),
  max: def(1, ([v]) => {
    const items = coll("max", v);
    if (items.length === 0) return undefined;
    return items.reduce((a, b) => (compare(a, b) >= 0 ? a : b));
  }),
  min: def(1, ([v]) => {
    const items = coll("min", v);
    if (items.length === 0) return undefined;
    return items.reduce((a, b) => (compare(a, b) <= 0 ? a : b));
  }),
  sort: def(1, ([v]) => [...coll("sort", v)].sort(compare)),
  any: def(1, ([v]) => coll("any", v).some((x) => x === true)),
  all: def(1, ([v]) => coll("all", v).every((x) => x === true)),
};
