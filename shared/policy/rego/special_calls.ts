// Builtins the evaluator runs itself: `walk` is a relation (one result per
// node) and `print` sees undefined arguments (printed as `<undefined>`).

import type { Expr } from "./ast.ts";
import type { Evaluator, Frame, VK } from "./evaluator.ts";
import { formatValue, isObject, RegoSet, sortedEntries, type Value } from "./value.ts";

export function specialCall(ev: Evaluator, e: Extract<Expr, { t: "call" }>, f: Frame, k: VK): boolean {
  const name = (e.target as { name: string }).name;
  if (name === "print") {
    const parts = e.args.map((a) => {
      let v: Value | undefined;
      ev.eval(a, f, (x) => {
        v = x;
        return true;
      });
      return v === undefined ? "<undefined>" : typeof v === "string" ? v : formatValue(v);
    });
    ev.print(parts.join(" "));
    return k(true);
  }
  return ev.eval(e.args[0], f, (root) => walkVisit(ev, [], root, k));
}

function walkVisit(ev: Evaluator, path: Value[], v: Value, k: VK): boolean {
  ev.step();
  if (k([path, v])) return true;
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) if (walkVisit(ev, [...path, i], v[i], k)) return true;
  } else if (v instanceof RegoSet) {
    for (const x of v.sortedValues()) if (walkVisit(ev, [...path, x], x, k)) return true;
  } else if (isObject(v)) {
    for (const [key, x] of sortedEntries(v)) if (walkVisit(ev, [...path, key], x, k)) return true;
  }
  return false;
}
