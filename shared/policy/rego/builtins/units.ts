// units.parse (SI and binary suffixes, "m" is milli) and units.parse_bytes.

import { type BuiltinTable, def, fail, str } from "./builtin.ts";

const SI: Record<string, number> = {
  "": 1, m: 1e-3, k: 1e3, K: 1e3, M: 1e6, G: 1e9, g: 1e9, T: 1e12, t: 1e12, P: 1e15, p: 1e15, E: 1e18, e: 1e18,
  ki: 2 ** 10, Ki: 2 ** 10, mi: 2 ** 20, Mi: 2 ** 20, gi: 2 ** 30, Gi: 2 ** 30, ti: 2 ** 40, Ti: 2 ** 40,
  pi: 2 ** 50, Pi: 2 ** 50, ei: 2 ** 60, Ei: 2 ** 60,
};

const BYTES: Record<string, number> = {
  "": 1, b: 1, k: 1e3, kb: 1e3, ki: 2 ** 10, kib: 2 ** 10, m: 1e6, mb: 1e6, mi: 2 ** 20, mib: 2 ** 20,
  g: 1e9, gb: 1e9, gi: 2 ** 30, gib: 2 ** 30, t: 1e12, tb: 1e12, ti: 2 ** 40, tib: 2 ** 40,
  p: 1e15, pb: 1e15, pi: 2 ** 50, pib: 2 ** 50, e: 1e18, eb: 1e18, ei: 2 ** 60, eib: 2 ** 60,
};

function split(name: string, raw: string): [number, string] {
  const s = raw.replace(/"/g, "");
  if (s.includes(" ")) fail(`\`${name}\`: spaces not allowed in resource strings`);
  const m = /^([0-9]*\.?[0-9]*(?:[eE][-+]?[0-9]+)?)(.*)$/.exec(s);
  if (!m || m[1] === "" || m[1] === ".") fail(`\`${name}\`: no amount provided`);
  return [Number(m![1]), m![2]];
}

export const unitBuiltins: BuiltinTable = {
  "units.parse": def(1, ([v]) => {
    const [n, unit] = split("units.parse", str("units.parse", v));
    const u = unit.length > 1 ? unit[0] + unit.slice(1).toLowerCase() : unit;
    const f = SI[u];
    if (f === undefined) return undefined;
    const r = n * f;
    return Number.isInteger(r) ? r : Number(r.toPrecision(15));
  }),
  "units.parse_bytes": def(1, ([v]) => {
    const [n, unit] = split("units.parse_bytes", str("units.parse_bytes", v));
    const f = BYTES[unit.toLowerCase()];
    if (f === undefined) fail(`\`units.parse_bytes\`: byte unit ${JSON.stringify(unit)} not recognized`);
    return Math.trunc(n * f);
  }),
};
