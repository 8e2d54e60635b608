// net.cidr_contains / net.cidr_intersects for IPv4 and IPv6.

import { type BuiltinTable, def, fail, str } from "./builtin.ts";

interface Net {
  v6: boolean;
  addr: bigint;
  bits: number;
}

function parseV4(s: string): bigint | undefined {
  const p = s.split(".");
  if (p.length !== 4 || !p.every((x) => /^\d{1,3}$/.test(x) && Number(x) <= 255)) return undefined;
  return p.reduce((a, x) => (a << 8n) | BigInt(Number(x)), 0n);
}

function parseV6(s: string): bigint | undefined {
  let tail4: bigint | undefined;
  let t = s;
  const lastColon = t.lastIndexOf(":");
  if (t.includes(".")) {
    tail4 = parseV4(t.slice(lastColon + 1));
    if (tail4 === undefined) return undefined;
    t = t.slice(0, lastColon + 1) + "0:0";
  }
  const halves = t.split("::");
  if (halves.length > 2) return undefined;
  const head = halves[0] ? halves[0].split(":") : [];
  const tail = halves.length === 2 && halves[1] ? halves[1].split(":") : [];
  const missing = 8 - head.length - tail.length;
  if ((halves.length === 1 && missing !== 0) || missing < 0) return undefined;
  const groups = [...head, ...Array(halves.length === 2 ? missing : 0).fill("0"), ...tail];
  if (!groups.every((g) => /^[0-9a-fA-F]{1,4}$/.test(g))) return undefined;
  let v = groups.reduce((a, g) => (a << 16n) | BigInt(parseInt(g, 16)), 0n);
  if (tail4 !== undefined) v = (v & ~0xffffffffn) | tail4;
  return v;
}

function parse(name: string, s: string, cidr: boolean): Net {
  const [ip, len] = s.split("/");
  const v6 = ip.includes(":");
  const addr = v6 ? parseV6(ip) : parseV4(ip);
  const max = v6 ? 128 : 32;
  if (addr === undefined) return fail(`\`${name}\`: invalid ${cidr ? "CIDR" : "IP"} ${JSON.stringify(s)}`);
  let bits = max;
  if (len !== undefined) {
    if (!/^\d+$/.test(len) || Number(len) > max) fail(`\`${name}\`: invalid CIDR ${JSON.stringify(s)}`);
    bits = Number(len);
  } else if (cidr) fail(`\`${name}\`: invalid CIDR ${JSON.stringify(s)}`);
  return { v6, addr, bits };
}

function range(n: Net): [bigint, bigint] {
  const max = n.v6 ? 128 : 32;
  const host = (1n << BigInt(max - n.bits)) - 1n;
  const start = n.addr & ~host & ((1n << BigInt(max)) - 1n);
  return [start, start | host];
}

export const netBuiltins: BuiltinTable = {
  "net.cidr_contains": def(2, ([c, x]) => {
    const outer = parse("net.cidr_contains", str("net.cidr_contains", c), true);
    const inner = parse("net.cidr_contains", str("net.cidr_contains", x), false);
    if (outer.v6 !== inner.v6) return false;
    const [a, b] = range(outer);
    const [c2, d2] = range(inner);
    return c2 >= a && d2 <= b;
  }),
  "net.cidr_intersects": def(2, ([x, y]) => {
    const n1 = parse("net.cidr_intersects", str("net.cidr_intersects", x), true);
    const n2 = parse("net.cidr_intersects", str("net.cidr_intersects", y), true);
    if (n1.v6 !== n2.v6) return false;
    const [a, b] = range(n1);
    const [c, d] = range(n2);
    return a <= d && c <= b;
  }),
};
