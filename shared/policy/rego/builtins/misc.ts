// print, walk (handled by the evaluator as a relation) and stubs for builtins
// that only exist to be refused or mocked (time.now_ns).

import { formatValue, type Value } from "../value.ts";
import { type BuiltinTable, def, got, int, str } from "./builtin.ts";

export const miscBuiltins: BuiltinTable = {
  print: def(-1, (args, ctx) => {
    ctx.print(args.map((a: Value | undefined) => (a === undefined ? "<undefined>" : typeof a === "string" ? a : formatValue(a))).join(" "));
    return true;
  }),
  walk: def(1, () => undefined),
  "time.now_ns": def(0, (_args, ctx) => Number(ctx.nowNs())),
  trace: def(1, () => true),
  "rand.intn": def(2, ([s, n], ctx) => {
    const key = str("rand.intn", s);
    if (typeof n !== "number") got("rand.intn", "numeric argument", n);
    const max = Math.abs(int("rand.intn", n));
    const memoKey = `rand.intn\u0000${key}\u0000${max}`;
    let v = ctx.memo.get(memoKey);
    if (v === undefined) ctx.memo.set(memoKey, (v = max === 0 ? 0 : Math.floor(Math.random() * max)));
    return v;
  }),
};
