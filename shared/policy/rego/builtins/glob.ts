// glob.match with OPA (gobwas/glob) semantics: `*` stops at delimiters, `**`
// crosses them, `?`, `[a-z]`, `[!a]`, `{a,b}` and `\` escapes.
// Delimiters: null means none; an empty array means ["."].

import { formatValue, type Value } from "../value.ts";
import { type BuiltinTable, def, fail, str } from "./builtin.ts";

const cache = new Map<string, RegExp>();

const esc = (s: string) => s.replace(/[\\^$.*+?()[\]{}|/-]/g, "\\$&");

function compileGlob(pattern: string, delims: string[]): RegExp {
  const key = pattern + "\u0000" + delims.join("");
  const hit = cache.get(key);
  if (hit) return hit;
  const notDelim = delims.length ? `[^${delims.map(esc).join("")}]` : "[\\s\\S]";
  let out = "";
  let depth = 0;
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === "\\") {
      i++;
      if (i >= pattern.length) fail("`glob.match`: unexpected end of pattern");
      out += esc(pattern[i]);
    } else if (c === "*") {
      if (pattern[i + 1] === "*") {
        out += "[\\s\\S]*";
        i++;
      } else out += notDelim + "*";
    } else if (c === "?") out += notDelim;
    else if (c === "[") {
      const end = pattern.indexOf("]", i + 1);
      if (end < 0) fail("`glob.match`: unclosed character class");
      let body = pattern.slice(i + 1, end);
      const neg = body.startsWith("!");
      if (neg) body = body.slice(1);
      out += (neg ? "[^" : "[") + body.replace(/\\/g, "\\\\").replace(/]/g, "\\]") + "]";
      i = end;
    } else if (c === "{") {
      depth++;
      out += "(?:";
    } else if (c === "}" && depth > 0) {
      depth--;
      out += ")";
    } else if (c === "," && depth > 0) out += "|";
    else out += esc(c);
  }
  if (depth !== 0) fail("`glob.match`: unbalanced braces");
  let re: RegExp;
  try {
    re = new RegExp("^" + out + "$", "u");
  } catch {
    return fail(`\`glob.match\`: invalid pattern ${JSON.stringify(pattern)}`);
  }
  if (cache.size > 500) cache.clear();
  cache.set(key, re);
  return re;
}

function delimiters(v: Value): string[] {
  if (v === null) return [];
  if (!Array.isArray(v)) return fail(`\`glob.match\` expects delimiters to be null or an array of strings. Got \`${formatValue(v)}\` instead`);
  const ds = v.map((d) => str("glob.match", d));
  return ds.length ? ds : ["."];
}

const last: { p?: Value; d?: Value; re?: RegExp } = {};

export const globBuiltins: BuiltinTable = {
  "glob.match": def(3, ([p, d, m]) => {
    // policies call glob.match with the same constant pattern and delimiters: remember the last pair
    let re: RegExp;
    if (p === last.p && d === last.d) re = last.re!;
    else {
      re = compileGlob(str("glob.match", p), delimiters(d));
      last.p = p;
      last.d = d;
      last.re = re;
    }
    return re.test(str("glob.match", m));
  }),
  "glob.quote_meta": def(1, ([p]) => str("glob.quote_meta", p).replace(/[*?\\[\]{}]/g, "\\$&")),
};
