// semver.is_valid / semver.compare (Semantic Versioning 2.0.0).

import { type BuiltinTable, def, fail, str } from "./builtin.ts";

const SEMVER = /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-((?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?(?:\+([0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?$/;

function parse(s: string): [number[], string[]] {
  const m = SEMVER.exec(s);
  if (!m) return fail(`\`semver.compare\`: invalid semantic version ${JSON.stringify(s)}`);
  return [[Number(m[1]), Number(m[2]), Number(m[3])], m[4] ? m[4].split(".") : []];
}

function cmpPre(a: string[], b: string[]): number {
  if (!a.length || !b.length) return a.length === b.length ? 0 : a.length ? -1 : 1;
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    const x = a[i];
    const y = b[i];
    if (x === y) continue;
    const nx = /^\d+$/.test(x);
    const ny = /^\d+$/.test(y);
    if (nx && ny) return Number(x) < Number(y) ? -1 : 1;
    if (nx !== ny) return nx ? -1 : 1;
    return x < y ? -1 : 1;
  }
  return Math.sign(a.length - b.length);
}

export const semverBuiltins: BuiltinTable = {
  "semver.is_valid": def(1, ([v]) => typeof v === "string" && SEMVER.test(v)),
  "semver.compare": def(2, ([a, b]) => {
    // both operands are type-checked before either is parsed (as OPA)
    const sa = str("semver.compare", a);
    const sb = str("semver.compare", b);
    const [x, px] = parse(sa);
    const [y, py] = parse(sb);
    for (let i = 0; i < 3; i++) if (x[i] !== y[i]) return x[i] < y[i] ? -1 : 1;
    return cmpPre(px, py);
  }),
};
