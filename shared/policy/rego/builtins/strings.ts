// String builtins.

import { formatValue, RegoSet, type Value } from "../value.ts";
import { type BuiltinTable, def, fail, got, int, num, str } from "./builtin.ts";
import { sha256Hex } from "./sha256.ts";

function strColl(name: string, v: Value): string[] {
  const items = Array.isArray(v) ? v : v instanceof RegoSet ? v.sortedValues() : undefined;
  if (!items) return fail(`\`${name}\` expects array/set of strings. Got \`${formatValue(v)}\` instead`);
  for (const i of items) if (typeof i !== "string") fail(`\`${name}\` expects array/set of strings. Got \`${formatValue(v)}\` instead`);
  return items as string[];
}

/** string or array/set of strings (for any_prefix_match and friends) */
function strOrColl(name: string, v: Value): string[] {
  if (typeof v === "string") return [v];
  return strColl(name, v);
}

function cutset(s: string, set: string, left: boolean, right: boolean): string {
  const chars = new Set([...set]);
  const arr = [...s];
  let a = 0;
  let b = arr.length;
  if (left) while (a < b && chars.has(arr[a])) a++;
  if (right) while (b > a && chars.has(arr[b - 1])) b--;
  return arr.slice(a, b).join("");
}

/** index in code points */
function cpIndexOf(s: string, sub: string, from = 0): number {
  const i = s.indexOf(sub, from);
  if (i < 0) return -1;
  return [...s.slice(0, i)].length;
}

export const stringBuiltins: BuiltinTable = {
  concat: def(2, ([d, c]) => strColl("concat", c).join(str("concat", d))),
  startswith: def(2, ([a, b]) => str("startswith", a).startsWith(str("startswith", b))),
  endswith: def(2, ([a, b]) => str("endswith", a).endsWith(str("endswith", b))),
  contains: def(2, ([a, b]) => str("contains", a).includes(str("contains", b))),
  lower: def(1, ([a]) => str("lower", a).toLowerCase()),
  upper: def(1, ([a]) => str("upper", a).toUpperCase()),
  split: def(2, ([a, b]) => str("split", a).split(str("split", b))),
  replace: def(3, ([s, o, n]) => str("replace", s).split(str("replace", o)).join(str("replace", n))),
  "strings.replace_n": def(2, ([patterns, s]) => {
    if (!patterns || typeof patterns !== "object" || Array.isArray(patterns) || patterns instanceof RegoSet) {
      got("strings.replace_n", "object argument", patterns);
    }
    let out = str("strings.replace_n", s);
    const ents = Object.entries(patterns as Record<string, Value>).sort((x, y) => (x[0] < y[0] ? -1 : 1));
    // Go strings.NewReplacer semantics: single left-to-right pass, first matching old string wins
    let res = "";
    let i = 0;
    outer: while (i < out.length) {
      for (const [o, n] of ents) {
        if (typeof n !== "string") got("strings.replace_n", "string argument", n);
        if (o.length > 0 && out.startsWith(o, i)) {
          res += n;
          i += o.length;
          continue outer;
        }
      }
      res += out[i++];
    }
    out = res;
    return out;
  }),
  trim: def(2, ([s, c]) => cutset(str("trim", s), str("trim", c), true, true)),
  trim_left: def(2, ([s, c]) => cutset(str("trim_left", s), str("trim_left", c), true, false)),
  trim_right: def(2, ([s, c]) => cutset(str("trim_right", s), str("trim_right", c), false, true)),
  trim_prefix: def(2, ([s, p]) => {
    const x = str("trim_prefix", s);
    const y = str("trim_prefix", p);
    return x.startsWith(y) ? x.slice(y.length) : x;
  }),
  trim_suffix: def(2, ([s, p]) => {
    const x = str("trim_suffix", s);
    const y = str("trim_suffix", p);
    return y.length && x.endsWith(y) ? x.slice(0, x.length - y.length) : x;
  }),
  trim_space: def(1, ([s]) => str("trim_space", s).trim()),
  // OPA scans the runes of the string, so an empty string never matches
  indexof: def(2, ([s, sub]) => (str("indexof", s) === "" ? (str("indexof", sub), -1) : cpIndexOf(s as string, str("indexof", sub)))),
  indexof_n: def(2, ([s, sub]) => {
    const x = str("indexof_n", s);
    const y = str("indexof_n", sub);
    const out: number[] = [];
    let i = x.indexOf(y);
    while (i >= 0) {
      out.push([...x.slice(0, i)].length);
      i = x.indexOf(y, i + 1);
    }
    return out;
  }),
  substring: def(3, ([s, a, b]) => {
    const cps = [...str("substring", s)];
    const start = int("substring", a);
    const len = int("substring", b);
    if (start < 0) fail("`substring` negative offset");
    if (start >= cps.length) return "";
    return (len < 0 ? cps.slice(start) : cps.slice(start, start + len)).join("");
  }),
  format_int: def(2, ([n, b]) => {
    const x = num("format_int", n);
    const base = num("format_int", b);
    if (![2, 8, 10, 16].includes(base)) fail("`format_int` expects base to be one of 2, 8, 10, 16");
    const t = Math.trunc(x);
    return (t < 0 ? "-" : "") + Math.abs(t).toString(base);
  }),
  "strings.any_prefix_match": def(2, ([s, p]) => {
    const xs = strOrColl("strings.any_prefix_match", s);
    const ps = strOrColl("strings.any_prefix_match", p);
    return xs.some((x) => ps.some((q) => x.startsWith(q)));
  }),
  "strings.any_suffix_match": def(2, ([s, p]) => {
    const xs = strOrColl("strings.any_suffix_match", s);
    const ps = strOrColl("strings.any_suffix_match", p);
    return xs.some((x) => ps.some((q) => x.endsWith(q)));
  }),
  "strings.reverse": def(1, ([s]) => [...str("strings.reverse", s)].reverse().join("")),
  "strings.count": def(2, ([s, sub]) => {
    const x = str("strings.count", s);
    const y = str("strings.count", sub);
    if (y === "") return [...x].length + 1;
    return x.split(y).length - 1;
  }),
  /** Spacelift helper: the last 8 hex characters of the SHA-256 of a string (how Spacelift masks plan values). */
  sanitized: def(1, ([s]) => sha256Hex(str("sanitized", s)).slice(-8)),
};
