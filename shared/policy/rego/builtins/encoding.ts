// JSON, base64, base64url, hex and URL query encoding.

import { fromJSON, objectEntries, RegoSet, toJSON, type Value } from "../value.ts";
import { type BuiltinTable, def, fail, got, obj, str } from "./builtin.ts";

const enc = new TextEncoder();
const dec = new TextDecoder("utf-8", { fatal: false });

function b64encode(bytes: Uint8Array, url: boolean, padding = true): string {
  let bin = "";
  for (const b of bytes) bin += String.fromCharCode(b);
  let s = btoa(bin);
  if (url) s = s.replace(/\+/g, "-").replace(/\//g, "_");
  if (!padding) s = s.replace(/=+$/, "");
  return s;
}

function b64decode(name: string, s: string, url: boolean): string {
  let t = url ? s.replace(/-/g, "+").replace(/_/g, "/") : s;
  if (url) while (t.length % 4) t += "=";
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(t) || t.length % 4 === 1) fail(`\`${name}\`: illegal base64 data`);
  let bin: string;
  try {
    bin = atob(t);
  } catch {
    return fail(`\`${name}\`: illegal base64 data`);
  }
  return dec.decode(Uint8Array.from(bin, (c) => c.charCodeAt(0)));
}

/** JSON text with sorted keys, sets as arrays (OPA json.marshal) */
function marshal(v: Value): string {
  return JSON.stringify(toJSON(v));
}

function unmarshal(name: string, s: string): Value {
  try {
    return fromJSON(JSON.parse(s));
  } catch {
    return fail(`\`${name}\`: invalid JSON`);
  }
}

function qEscape(s: string): string {
  return encodeURIComponent(s).replace(/%20/g, "+").replace(/[!'()*]/g, (c) => "%" + c.charCodeAt(0).toString(16).toUpperCase());
}

export const encodingBuiltins: BuiltinTable = {
  "json.marshal": def(1, ([v]) => marshal(v)),
  "json.marshal_with_options": def(2, ([v, o]) => {
    const opts = obj("json.marshal_with_options", o);
    const ents = Object.fromEntries(objectEntries(opts).map(([k, x]) => [String(k), x]));
    const pretty = ents.pretty === true || ents.indent !== undefined || ents.prefix !== undefined;
    if (!pretty) return marshal(v);
    const indent = typeof ents.indent === "string" ? ents.indent : "\t";
    const prefix = typeof ents.prefix === "string" ? ents.prefix : "";
    return JSON.stringify(toJSON(v), null, indent).split("\n").map((l) => prefix + l).join("\n");
  }),
  "json.unmarshal": def(1, ([s]) => unmarshal("json.unmarshal", str("json.unmarshal", s))),
  "json.is_valid": def(1, ([s]) => {
    if (typeof s !== "string") return false;
    try {
      JSON.parse(s);
      return true;
    } catch {
      return false;
    }
  }),
  "base64.encode": def(1, ([s]) => b64encode(enc.encode(str("base64.encode", s)), false)),
  "base64.decode": def(1, ([s]) => b64decode("base64.decode", str("base64.decode", s), false)),
  "base64.is_valid": def(1, ([s]) => {
    const t = str("base64.is_valid", s);
    return /^[A-Za-z0-9+/]*={0,2}$/.test(t) && t.length % 4 === 0;
  }),
  "base64url.encode": def(1, ([s]) => b64encode(enc.encode(str("base64url.encode", s)), true)),
  "base64url.encode_no_pad": def(1, ([s]) => b64encode(enc.encode(str("base64url.encode_no_pad", s)), true, false)),
  "base64url.decode": def(1, ([s]) => b64decode("base64url.decode", str("base64url.decode", s), true)),
  "hex.encode": def(1, ([s]) => [...enc.encode(str("hex.encode", s))].map((b) => b.toString(16).padStart(2, "0")).join("")),
  "hex.decode": def(1, ([s]) => {
    const t = str("hex.decode", s);
    if (!/^([0-9a-fA-F]{2})*$/.test(t)) fail("`hex.decode`: invalid hex string");
    return dec.decode(Uint8Array.from(t.match(/../g) ?? [], (h) => parseInt(h, 16)));
  }),
  "urlquery.encode": def(1, ([s]) => qEscape(str("urlquery.encode", s))),
  "urlquery.decode": def(1, ([s]) => {
    try {
      return decodeURIComponent(str("urlquery.decode", s).replace(/\+/g, " "));
    } catch {
      return fail("`urlquery.decode`: invalid URL escape");
    }
  }),
  "urlquery.encode_object": def(1, ([o]) => {
    const parts: string[] = [];
    const ents = objectEntries(obj("urlquery.encode_object", o)).sort((a, b) => (String(a[0]) < String(b[0]) ? -1 : 1));
    for (const [k, v] of ents) {
      const key = qEscape(str("urlquery.encode_object", k));
      const vals = typeof v === "string" ? [v] : Array.isArray(v) ? v : v instanceof RegoSet ? v.sortedValues() : got("urlquery.encode_object", "string, array or set values", v);
      for (const x of vals) parts.push(`${key}=${qEscape(str("urlquery.encode_object", x))}`);
    }
    return parts.join("&");
  }),
  "urlquery.decode_object": def(1, ([s]) => {
    const out: Record<string, Value> = Object.create(null);
    for (const part of str("urlquery.decode_object", s).split(/[&;]/)) {
      if (!part) continue;
      const [k, v = ""] = part.split("=");
      const key = decodeURIComponent(k.replace(/\+/g, " "));
      ((out[key] ??= []) as Value[]).push(decodeURIComponent(v.replace(/\+/g, " ")));
    }
    return out;
  }),
};
