// uuid.rfc4122 (random v4, memoized per evaluation and seed) and uuid.parse
// (fields as OPA/regorus report them, following Go's google/uuid).

import { makeObject, type Value } from "../value.ts";
import { type BuiltinTable, def, str } from "./builtin.ts";

function randomHex(n: number): string {
  let s = "";
  for (let i = 0; i < n; i++) s += Math.floor(Math.random() * 16).toString(16);
  return s;
}

/** 16 bytes of a UUID in any of Go's accepted spellings, or undefined */
function uuidBytes(s: string): number[] | undefined {
  let hex: string;
  if (s.length === 36 || s.length === 38 || s.length === 45) {
    if (s.length === 45) {
      if (s.slice(0, 9).toLowerCase() !== "urn:uuid:") return undefined;
      s = s.slice(9);
    } else if (s.length === 38) {
      if (s[0] !== "{" || s[37] !== "}") return undefined;
      s = s.slice(1, 37);
    }
    if (s[8] !== "-" || s[13] !== "-" || s[18] !== "-" || s[23] !== "-") return undefined;
    hex = s.slice(0, 8) + s.slice(9, 13) + s.slice(14, 18) + s.slice(19, 23) + s.slice(24);
  } else if (s.length === 32) hex = s;
  else return undefined;
  if (!/^[0-9a-fA-F]{32}$/.test(hex)) return undefined;
  const b: number[] = [];
  for (let i = 0; i < 32; i += 2) b.push(parseInt(hex.slice(i, i + 2), 16));
  return b;
}

const G1582_NS100 = 122192928000000000n; // 100ns intervals from 1582-10-15 to 1970-01-01

function be(b: number[], from: number, to: number): bigint {
  let v = 0n;
  for (let i = from; i < to; i++) v = (v << 8n) | BigInt(b[i]);
  return v;
}

function variantName(b8: number): string {
  if ((b8 & 0xc0) === 0x80) return "RFC4122";
  if ((b8 & 0xe0) === 0xe0) return "Future";
  if ((b8 & 0xe0) === 0xc0) return "Microsoft";
  return "Reserved";
}

/** Unix time in ns of a v1/v2/v6/v7 UUID */
function unixNs(b: number[], version: number): number {
  let t: bigint;
  if (version === 6) t = (be(b, 0, 4) << 28n) | (be(b, 4, 6) << 12n) | (be(b, 6, 8) & 0xfffn);
  else if (version === 7) t = (be(b, 0, 8) >> 16n) * 10000n + G1582_NS100;
  else t = be(b, 0, 4) | (be(b, 4, 6) << 32n) | ((be(b, 6, 8) & 0xfffn) << 48n);
  const d = t - G1582_NS100;
  const sec = d / 10000000n;
  const nsec = (d % 10000000n) * 100n;
  return Number(sec * 1000000000n + nsec);
}

const DOMAINS = ["Person", "Group", "Org"];

export function parseUUID(s: string): Value | undefined {
  const b = uuidBytes(s);
  if (!b) return undefined;
  const version = b[6] >> 4;
  const out: [string, Value][] = [
    ["version", version],
    ["variant", variantName(b[8])],
  ];
  if (version === 1 || version === 2 || version === 6 || version === 7) out.push(["time", unixNs(b, version)]);
  if (version === 1 || version === 2) {
    out.push(["clocksequence", ((b[8] << 8) | b[9]) & 0x3fff]);
    const node = b.slice(10, 16);
    out.push(["nodeid", node.map((x) => x.toString(16).padStart(2, "0")).join("-")]);
    out.push(["macvariables", `${node[0] & 0x02 ? "local" : "global"}:${node[0] & 0x01 ? "multicast" : "unicast"}`]);
  }
  if (version === 2) {
    out.push(["id", Number(be(b, 0, 4))]);
    out.push(["domain", DOMAINS[b[9]] ?? `Domain${b[9]}`]);
  }
  return makeObject(out);
}

export const uuidBuiltins: BuiltinTable = {
  "uuid.rfc4122": def(1, ([s], ctx) => {
    const key = `uuid.rfc4122\u0000${str("uuid.rfc4122", s)}`;
    let v = ctx.memo.get(key);
    if (v === undefined) {
      const h = randomHex(32).split("");
      h[12] = "4";
      h[16] = "89ab"[Math.floor(Math.random() * 4)];
      const x = h.join("");
      ctx.memo.set(key, (v = `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20)}`));
    }
    return v;
  }),
  "uuid.parse": def(1, ([s]) => parseUUID(str("uuid.parse", s))),
};
