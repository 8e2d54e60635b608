// `with` modifiers: evaluate one literal with input, data paths or functions
// replaced, restoring the original state around the continuation.

import type { Expr, Literal, With } from "./ast.ts";
import type { Evaluator, Frame, K } from "./evaluator.ts";
import type { RuleSet } from "./rule_index.ts";
import { isObject, ObjectBuilder, objectEntries, objectGet, type Value } from "./value.ts";

export function evalWith(ev: Evaluator, lit: Literal, withs: With[], f: Frame, k: K): boolean {
  // a function replacement is not evaluated as a value
  const exprs = withs.map((w): Expr => (w.mock ? { t: "scalar", value: null, loc: w.loc } : w.value));
  return ev.evalList(exprs, f, (vals) => {
    const saved = { input: ev.input, data: ev.dataOverrides, fns: ev.fnMocks, cache: ev.cache };
    let input = ev.input;
    let data = ev.dataOverrides;
    let fns = ev.fnMocks;
    withs.forEach((w, i) => {
      const p = w.path!;
      if (w.fnTarget) {
        fns = new Map(fns ?? []);
        const key = w.fnTarget.kind === "builtin" ? w.fnTarget.name : "data." + w.fnTarget.path.join(".");
        fns.set(key, w.mock ? { fn: w.mock } : { value: vals[i] });
      } else if (p[0] === "input") {
        input = p.length === 1 ? vals[i] : setPath(input, p.slice(1), vals[i]);
      } else {
        data = [...(data ?? []), { path: p.slice(1), value: vals[i] }];
      }
    });
    const install = () => {
      ev.input = input;
      ev.dataOverrides = data;
      ev.fnMocks = fns;
      ev.cache = inner;
    };
    const restore = () => {
      ev.input = saved.input;
      ev.dataOverrides = saved.data;
      ev.fnMocks = saved.fns;
      ev.cache = saved.cache;
    };
    const inner = new Map<RuleSet | readonly string[], unknown>();
    install();
    try {
      const plain = { ...lit, withs: [] } as Literal;
      return ev.literal(plain, f, () => {
        restore();
        try {
          return k();
        } finally {
          install();
        }
      });
    } finally {
      restore();
    }
  });
}

function setPath(base: Value | undefined, path: string[], v: Value): Value {
  const out = new ObjectBuilder();
  if (isObject(base)) for (const [k, x] of objectEntries(base)) out.set(k, x);
  const [head, ...rest] = path;
  out.set(head, rest.length ? setPath(isObject(base) ? objectGet(base, head) : undefined, rest, v) : v);
  return out.build();
}

