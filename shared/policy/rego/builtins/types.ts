// Type predicates and conversions.

import { formatValue, isObject, RegoSet, typeName, type Value } from "../value.ts";
import { type BuiltinTable, def, fail } from "./builtin.ts";

export const typeBuiltins: BuiltinTable = {
  is_number: def(1, ([v]) => typeof v === "number"),
  is_string: def(1, ([v]) => typeof v === "string"),
  is_boolean: def(1, ([v]) => typeof v === "boolean"),
  is_array: def(1, ([v]) => Array.isArray(v)),
  is_set: def(1, ([v]) => v instanceof RegoSet),
  is_object: def(1, ([v]) => isObject(v)),
  is_null: def(1, ([v]) => v === null),
  type_name: def(1, ([v]) => typeName(v)),
  to_number: def(1, ([v]) => {
    if (v === null) return 0;
    if (typeof v === "boolean") return v ? 1 : 0;
    if (typeof v === "number") return v;
    if (typeof v === "string") {
      const s = v.trim();
      if (!/^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/.test(s) || s !== v) fail(`could not parse string as number: ${formatValue(v)}`);
      return Number(s);
    }
    return fail(`\`to_number\` expects null/boolean/number/string argument. Got \`${formatValue(v as Value)}\` instead`);
  }),
};
