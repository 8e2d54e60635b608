// regex.* builtins with RE2 syntax translated to JS RegExp. Constructs RE2
// does not have (backreferences, lookaround) are rejected, as are RE2
// features JS cannot express (scoped flags, \C).

import { type BuiltinTable, def, fail, int, str } from "./builtin.ts";

const CLASSES: Record<string, string> = {
  alnum: "0-9A-Za-z", alpha: "A-Za-z", ascii: "\\x00-\\x7F", blank: "\\t ", cntrl: "\\x00-\\x1F\\x7F",
  digit: "0-9", graph: "!-~", lower: "a-z", print: " -~", punct: "!-\\/:-@\\[-`{-~", space: "\\t\\n\\v\\f\\r ",
  upper: "A-Z", word: "0-9A-Za-z_", xdigit: "0-9A-Fa-f",
};

const cache = new Map<string, RegExp>();

export function re2(pattern: string, name = "regex.match"): RegExp {
  const hit = cache.get(pattern);
  if (hit) return hit;
  let flags = "u";
  let src = pattern;
  const lead = /^\(\?([imsU]+)\)/.exec(src);
  if (lead) {
    if (lead[1].includes("U")) fail(`\`${name}\`: unsupported RE2 flag U`);
    for (const f of lead[1]) if (!flags.includes(f)) flags += f;
    src = src.slice(lead[0].length);
  }
  let out = "";
  let inClass = false;
  for (let i = 0; i < src.length; i++) {
    const c = src[i];
    if (c === "\\") {
      const n = src[i + 1];
      if (n === undefined) fail(`\`${name}\`: trailing backslash in ${JSON.stringify(pattern)}`);
      i++;
      if (/[1-9]/.test(n)) fail(`\`${name}\`: invalid escape sequence \\${n} (backreferences are not supported by RE2)`);
      if (n === "Q") {
        const end = src.indexOf("\\E", i + 1);
        const lit = src.slice(i + 1, end < 0 ? undefined : end);
        out += lit.replace(/[\\^$.*+?()[\]{}|/-]/g, "\\$&");
        i = end < 0 ? src.length : end + 1;
        continue;
      }
      if (n === "z") {
        out += "$(?![\\s\\S])";
        continue;
      }
      if (n === "A") {
        out += "^";
        continue;
      }
      if (n === "C") fail(`\`${name}\`: \\C is not supported`);
      if (/[dDwWsSbBpPnrtfvx0]/.test(n) || /[a-zA-Z]/.test(n)) {
        out += "\\" + n;
        continue;
      }
      // escaped punctuation: emit a hex escape so the `u` flag accepts it
      out += "\\x" + n.charCodeAt(0).toString(16).padStart(2, "0");
      continue;
    }
    if (inClass) {
      if (c === "[" && src[i + 1] === ":") {
        const end = src.indexOf(":]", i);
        const cls = end > 0 ? src.slice(i + 2, end) : "";
        const neg = cls.startsWith("^");
        const body = CLASSES[neg ? cls.slice(1) : cls];
        if (!body || neg) fail(`\`${name}\`: unsupported character class [:${cls}:]`);
        out += body;
        i = end + 1;
        continue;
      }
      if (c === "]") inClass = false;
      out += c === "[" ? "\\[" : c;
      continue;
    }
    if (c === "[") {
      inClass = true;
      out += c;
      if (src[i + 1] === "^") {
        out += "^";
        i++;
      }
      if (src[i + 1] === "]") {
        out += "\\]";
        i++;
      }
      continue;
    }
    if (c === "(" && src[i + 1] === "?") {
      const rest = src.slice(i + 2);
      if (rest.startsWith("P<")) {
        out += "(?<";
        i += 3;
        continue;
      }
      if (rest.startsWith(":")) {
        out += "(?:";
        i += 2;
        continue;
      }
      if (rest.startsWith("<") && !rest.startsWith("<=") && !rest.startsWith("<!")) {
        out += "(?<";
        i += 2;
        continue;
      }
      fail(`\`${name}\`: unsupported group syntax (?${rest.slice(0, 2)} in ${JSON.stringify(pattern)}`);
    }
    out += c;
  }
  let re: RegExp;
  try {
    re = new RegExp(out, flags);
  } catch (err) {
    return fail(`\`${name}\`: invalid regular expression ${JSON.stringify(pattern)}: ${(err as Error).message}`);
  }
  if (cache.size > 500) cache.clear();
  cache.set(pattern, re);
  return re;
}

function global(re: RegExp): RegExp {
  return new RegExp(re.source, re.flags + "g");
}

export const regexBuiltins: BuiltinTable = {
  "regex.match": def(2, ([p, v]) => re2(str("regex.match", p)).test(str("regex.match", v))),
  re_match: def(2, ([p, v]) => re2(str("re_match", p), "re_match").test(str("re_match", v))),
  "regex.is_valid": def(1, ([p]) => {
    if (typeof p !== "string") return false;
    try {
      re2(p);
      return true;
    } catch {
      return false;
    }
  }),
  "regex.find_n": def(3, ([p, v, n]) => {
    const max = int("regex.find_n", n);
    const out: string[] = [];
    for (const m of str("regex.find_n", v).matchAll(global(re2(str("regex.find_n", p), "regex.find_n")))) {
      if (max >= 0 && out.length >= max) break;
      out.push(m[0]);
    }
    return out;
  }),
  "regex.find_all_string_submatch_n": def(3, ([p, v, n]) => {
    const max = int("regex.find_all_string_submatch_n", n);
    const out: string[][] = [];
    for (const m of str("regex.find_all_string_submatch_n", v).matchAll(global(re2(str("regex.find_all_string_submatch_n", p))))) {
      if (max >= 0 && out.length >= max) break;
      out.push([...m].map((x) => x ?? ""));
    }
    return out;
  }),
  "regex.split": def(2, ([p, v]) => str("regex.split", v).split(global(re2(str("regex.split", p), "regex.split")))),
  "regex.replace": def(3, ([s, p, r]) => {
    const repl = str("regex.replace", r).replace(/\$\{(\w+)\}/g, (_m, g) => (/^\d+$/.test(g) ? `$${g}` : `$<${g}>`));
    return str("regex.replace", s).replace(global(re2(str("regex.replace", p), "regex.replace")), repl);
  }),
  "strings.split_n": def(3, ([v, d, n]) => {
    const s = str("strings.split_n", v);
    const sep = str("strings.split_n", d);
    const max = int("strings.split_n", n);
    const parts = s.split(sep);
    if (max < 0 || parts.length <= max) return parts;
    if (max === 0) return [];
    return [...parts.slice(0, max - 1), parts.slice(max - 1).join(sep)];
  }),
};
