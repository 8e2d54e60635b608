// sprintf with Go fmt verbs, converting arguments as OPA does: integers and
// floats stay numbers, strings stay strings, everything else is formatted as
// Rego text. Deviation from OPA: %t also accepts booleans directly.

import { formatValue, RegoSet, type Value } from "../value.ts";
import { arr, type BuiltinTable, def, str } from "./builtin.ts";

interface Spec {
  minus: boolean;
  plus: boolean;
  zero: boolean;
  space: boolean;
  sharp: boolean;
  width?: number;
  prec?: number;
}

type GoArg = { k: "int"; v: number } | { k: "float"; v: number } | { k: "string"; v: string } | { k: "bool"; v: boolean };

function toGo(v: Value): GoArg {
  if (typeof v === "number") return Number.isInteger(v) ? { k: "int", v } : { k: "float", v };
  if (typeof v === "string") return { k: "string", v };
  if (typeof v === "boolean") return { k: "bool", v };
  return { k: "string", v: formatValue(v) };
}

function goTypeName(a: GoArg): string {
  return a.k === "int" ? "int" : a.k === "float" ? "float64" : a.k === "bool" ? "bool" : "string";
}

function goDefault(a: GoArg): string {
  switch (a.k) {
    case "int":
      return String(a.v);
    case "float":
      return formatG(a.v, undefined);
    case "bool":
      return String(a.v);
    case "string":
      return a.v;
  }
}

function bad(verb: string, a: GoArg): string {
  return `%!${verb}(${goTypeName(a)}=${goDefault(a)})`;
}

/** Go %g (shortest representation by default) */
function formatG(n: number, prec: number | undefined): string {
  if (!Number.isFinite(n)) return n > 0 ? "+Inf" : n < 0 ? "-Inf" : "NaN";
  let s: string;
  if (prec === undefined) {
    const exp = n === 0 ? 0 : Math.floor(Math.log10(Math.abs(n)));
    if (exp < -4 || exp >= 21) s = n.toExponential();
    else s = String(n);
  } else {
    s = n.toPrecision(prec === 0 ? 1 : prec);
    if (s.includes("e")) s = s.replace(/\.?0+e/, "e");
    else if (s.includes(".")) s = s.replace(/\.?0+$/, "");
  }
  return s.replace(/e([+-])(\d)$/, "e$10$2");
}

function pad(s: string, spec: Spec, numeric: boolean): string {
  if (spec.width === undefined || s.length >= spec.width) return s;
  const n = spec.width - s.length;
  if (spec.minus) return s + " ".repeat(n);
  if (spec.zero && numeric) {
    const sign = s[0] === "-" || s[0] === "+" ? s[0] : "";
    return sign + "0".repeat(n) + s.slice(sign.length);
  }
  return " ".repeat(n) + s;
}

function signed(s: string, neg: boolean, spec: Spec): string {
  if (neg) return "-" + s;
  if (spec.plus) return "+" + s;
  if (spec.space) return " " + s;
  return s;
}

function quoteGo(s: string): string {
  return JSON.stringify(s).replace(/\u2028/g, "\\u2028").replace(/\u2029/g, "\\u2029");
}

function fmtOne(verb: string, spec: Spec, a: GoArg): string {
  switch (verb) {
    case "v":
      return pad(goDefault(a), spec, a.k === "int" || a.k === "float");
    case "s":
      if (a.k !== "string") return bad(verb, a);
      return pad(spec.prec !== undefined ? a.v.slice(0, spec.prec) : a.v, spec, false);
    case "q":
      if (a.k !== "string") return bad(verb, a);
      return pad(quoteGo(a.v), spec, false);
    case "t":
      if (a.k !== "bool") return bad(verb, a);
      return pad(String(a.v), spec, false);
    case "d":
      if (a.k !== "int") return bad(verb, a);
      return pad(signed(String(Math.abs(a.v)), a.v < 0, spec), spec, true);
    case "b":
    case "o":
    case "x":
    case "X": {
      if (a.k === "string" && (verb === "x" || verb === "X")) {
        const hex = [...new TextEncoder().encode(a.v)].map((b) => b.toString(16).padStart(2, "0")).join("");
        return pad(verb === "X" ? hex.toUpperCase() : hex, spec, false);
      }
      if (a.k !== "int") return bad(verb, a);
      const base = verb === "b" ? 2 : verb === "o" ? 8 : 16;
      let s = Math.abs(a.v).toString(base);
      if (verb === "X") s = s.toUpperCase();
      if (spec.sharp) s = (verb === "o" ? "0" : verb === "b" ? "0b" : verb === "x" ? "0x" : "0X") + s;
      return pad(signed(s, a.v < 0, spec), spec, true);
    }
    case "f":
    case "F":
    case "e":
    case "E":
    case "g":
    case "G": {
      if (a.k !== "int" && a.k !== "float") return bad(verb, a);
      const n = a.v;
      let s: string;
      if (verb === "f" || verb === "F") s = Math.abs(n).toFixed(spec.prec ?? 6);
      else if (verb === "e" || verb === "E") s = Math.abs(n).toExponential(spec.prec ?? 6).replace(/e([+-])(\d)$/, "e$10$2");
      else s = formatG(Math.abs(n), spec.prec);
      if (verb === "E" || verb === "G") s = s.toUpperCase();
      return pad(signed(s, n < 0 || Object.is(n, -0), spec), spec, true);
    }
    default:
      return `%!${verb}(${goTypeName(a)}=${goDefault(a)})`;
  }
}

export function sprintf(format: string, args: Value[]): string {
  let out = "";
  let argi = 0;
  let i = 0;
  while (i < format.length) {
    const c = format[i];
    if (c !== "%") {
      out += c;
      i++;
      continue;
    }
    i++;
    if (format[i] === "%") {
      out += "%";
      i++;
      continue;
    }
    const spec: Spec = { minus: false, plus: false, zero: false, space: false, sharp: false };
    for (;;) {
      const f = format[i];
      if (f === "-") spec.minus = true;
      else if (f === "+") spec.plus = true;
      else if (f === "0") spec.zero = true;
      else if (f === " ") spec.space = true;
      else if (f === "#") spec.sharp = true;
      else break;
      i++;
    }
    let w = "";
    while (i < format.length && format[i] >= "0" && format[i] <= "9") w += format[i++];
    if (w) spec.width = Number(w);
    if (format[i] === ".") {
      i++;
      let p = "";
      while (i < format.length && format[i] >= "0" && format[i] <= "9") p += format[i++];
      spec.prec = p ? Number(p) : 0;
    }
    const verb = format[i++];
    if (verb === undefined) {
      out += "%!(NOVERB)";
      break;
    }
    if (argi >= args.length) {
      out += `%!${verb}(MISSING)`;
      continue;
    }
    out += fmtOne(verb, spec, toGo(args[argi++]));
  }
  if (argi < args.length) {
    out += "%!(EXTRA " + args.slice(argi).map((a) => {
      const g = toGo(a);
      return `${goTypeName(g)}=${goDefault(g)}`;
    }).join(", ") + ")";
  }
  return out;
}

export const sprintfBuiltins: BuiltinTable = {
  sprintf: def(2, ([f, a]) => {
    const fmt = str("sprintf", f);
    const items = a instanceof RegoSet ? a.sortedValues() : arr("sprintf", a);
    return sprintf(fmt, items);
  }),
};
