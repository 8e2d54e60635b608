// Precomputes collection literals made only of constants (e.g. the set in
// `rc.type in {"aws_s3_bucket", "aws_db_instance"}`) so they are built once.

import type { Expr } from "./ast.ts";
import { makeObject, RegoSet, type Value } from "./value.ts";

/** constant value of e, or undefined */
function constOf(e: Expr): Value | undefined {
  if (e.t === "scalar") return e.value;
  if (e.t === "array" || e.t === "set" || e.t === "object") return e.cv;
  return undefined;
}

export function foldConstants(e: Expr): void {
  switch (e.t) {
    case "array":
    case "set": {
      e.items.forEach(foldConstants);
      const vals = e.items.map(constOf);
      if (vals.every((v) => v !== undefined)) e.cv = e.t === "array" ? (vals as Value[]) : new RegoSet(vals as Value[]);
      return;
    }
    case "object": {
      for (const [k, v] of e.entries) {
        foldConstants(k);
        foldConstants(v);
      }
      const ents = e.entries.map(([k, v]) => [constOf(k), constOf(v)] as [Value | undefined, Value | undefined]);
      if (ents.every(([k, v]) => k !== undefined && v !== undefined)) e.cv = makeObject(ents as [Value, Value][]);
      return;
    }
    case "ref":
      foldConstants(e.head);
      e.path.forEach(foldConstants);
      return;
    case "call":
      e.args.forEach(foldConstants);
      return;
    case "binop":
      foldConstants(e.left);
      foldConstants(e.right);
      return;
    case "neg":
      foldConstants(e.expr);
      return;
    case "in":
      if (e.key) foldConstants(e.key);
      foldConstants(e.value);
      foldConstants(e.coll);
      return;
    case "assign":
    case "unify":
      foldConstants(e.lhs);
      foldConstants(e.rhs);
      return;
    default:
      return;
  }
}
