// Object, array and set builtins.

import { isObject, ObjectBuilder, objectEntries, objectGet, objectKeys, RegoSet, type RegoObject, type Value } from "../value.ts";
import { arr, type BuiltinTable, def, fail, got, num, obj } from "./builtin.ts";

function keySet(name: string, v: Value): RegoSet {
  if (Array.isArray(v)) return new RegoSet(v);
  if (v instanceof RegoSet) return v;
  if (isObject(v)) return new RegoSet(objectKeys(v));
  return got(name, "array/set/object argument", v);
}

function union(a: RegoObject, b: RegoObject): RegoObject {
  const ob = new ObjectBuilder();
  for (const [k, v] of objectEntries(a)) ob.set(k, v);
  for (const [k, v] of objectEntries(b)) {
    const prev = ob.get(k);
    ob.set(k, prev !== undefined && isObject(prev) && isObject(v) ? union(prev, v) : v);
  }
  return ob.build();
}

function getPath(o: Value, path: Value[]): Value | undefined {
  let cur: Value | undefined = o;
  for (const p of path) {
    if (cur === undefined) return undefined;
    if (Array.isArray(cur)) cur = typeof p === "number" && Number.isInteger(p) ? cur[p] : undefined;
    else if (isObject(cur)) cur = objectGet(cur, p);
    else if (cur instanceof RegoSet) cur = cur.has(p) ? p : undefined;
    else return undefined;
  }
  return cur;
}

function setOf(name: string, v: Value): RegoSet {
  if (!(v instanceof RegoSet)) got(name, "set argument", v);
  return v as RegoSet;
}

export const collectionBuiltins: BuiltinTable = {
  "object.keys": def(1, ([o]) => new RegoSet(objectKeys(obj("object.keys", o)))),
  "object.get": def(3, ([o, k, d]) => {
    const x = obj("object.get", o);
    if (Array.isArray(k)) {
      const v = getPath(x, k);
      return v === undefined ? d : v;
    }
    const v = objectGet(x, k);
    return v === undefined ? d : v;
  }),
  "object.union": def(2, ([a, b]) => union(obj("object.union", a), obj("object.union", b))),
  "object.union_n": def(1, ([xs]) => {
    let out: RegoObject = new ObjectBuilder().build();
    for (const x of arr("object.union_n", xs)) out = union(out, obj("object.union_n", x));
    return out;
  }),
  "object.remove": def(2, ([o, ks]) => {
    const x = obj("object.remove", o);
    const drop = keySet("object.remove", ks);
    const ob = new ObjectBuilder();
    for (const [k, v] of objectEntries(x)) if (!drop.has(k)) ob.set(k, v);
    return ob.build();
  }),
  "object.filter": def(2, ([o, ks]) => {
    const x = obj("object.filter", o);
    const keep = keySet("object.filter", ks);
    const ob = new ObjectBuilder();
    for (const [k, v] of objectEntries(x)) if (keep.has(k)) ob.set(k, v);
    return ob.build();
  }),
  "object.subset": def(2, ([sup, sub]) => subset(sup, sub)),
  "array.concat": def(2, ([a, b]) => [...arr("array.concat", a), ...arr("array.concat", b)]),
  "array.reverse": def(1, ([a]) => [...arr("array.reverse", a)].reverse()),
  "array.slice": def(3, ([a, s, e]) => {
    const xs = arr("array.slice", a);
    let start = Math.trunc(num("array.slice", s));
    let end = Math.trunc(num("array.slice", e));
    if (start < 0) start = 0;
    if (end > xs.length) end = xs.length;
    if (start >= end) return [];
    return xs.slice(start, end);
  }),
  union: def(1, ([s]) => {
    const out = new RegoSet();
    for (const x of setOf("union", s).values()) for (const [k, v] of setOf("union", x).m) out.m.set(k, v);
    return out;
  }),
  intersection: def(1, ([s]) => {
    const sets = [...setOf("intersection", s).values()].map((x) => setOf("intersection", x));
    if (sets.length === 0) return new RegoSet();
    const out = new RegoSet();
    for (const [k, v] of sets[0].m) if (sets.every((x) => x.m.has(k))) out.m.set(k, v);
    return out;
  }),
  "json.filter": def(2, ([o, paths]) => jsonFilter(obj("json.filter", o), pathList("json.filter", paths))),
  "json.remove": def(2, ([o, paths]) => jsonRemove(obj("json.remove", o), pathList("json.remove", paths))),
};

function subset(sup: Value, sub: Value): boolean {
  if (isObject(sup) && isObject(sub)) {
    for (const [k, v] of objectEntries(sub)) {
      const x = objectGet(sup, k);
      if (x === undefined || !subset(x, v)) return false;
    }
    return true;
  }
  if (sup instanceof RegoSet && sub instanceof RegoSet) {
    for (const k of sub.m.keys()) if (!sup.m.has(k)) return false;
    return true;
  }
  if (Array.isArray(sup) && Array.isArray(sub)) {
    if (sub.length === 0) return true;
    outer: for (let i = 0; i + sub.length <= sup.length; i++) {
      for (let j = 0; j < sub.length; j++) if (!subset(sup[i + j], sub[j]) || !subset(sub[j], sup[i + j])) continue outer;
      return true;
    }
    return false;
  }
  if (sup instanceof RegoSet && Array.isArray(sub)) return sub.every((x) => sup.has(x));
  return JSON.stringify(sup) === JSON.stringify(sub);
}

function pathList(name: string, v: Value): string[][] {
  const items = Array.isArray(v) ? v : v instanceof RegoSet ? [...v.values()] : fail(`\`${name}\` expects array/set of paths`);
  return items.map((p) => {
    if (typeof p === "string") return p.split("/").filter((x) => x.length > 0);
    if (Array.isArray(p)) return p.map((x) => String(x));
    return fail(`\`${name}\` expects paths as strings or arrays`);
  });
}

function jsonFilter(o: Value, paths: string[][]): Value {
  if (paths.some((p) => p.length === 0)) return o;
  if (!isObject(o) && !Array.isArray(o)) return o;
  const groups = new Map<string, string[][]>();
  for (const p of paths) {
    const g = groups.get(p[0]) ?? [];
    g.push(p.slice(1));
    groups.set(p[0], g);
  }
  if (Array.isArray(o)) {
    const out: Value[] = [];
    o.forEach((x, i) => {
      const g = groups.get(String(i));
      if (g) out.push(jsonFilter(x, g));
    });
    return out;
  }
  const ob = new ObjectBuilder();
  for (const [k, v] of objectEntries(o)) {
    const g = groups.get(String(k));
    if (g) ob.set(k, jsonFilter(v, g));
  }
  return ob.build();
}

function jsonRemove(o: Value, paths: string[][]): Value {
  if (!isObject(o)) return o;
  const ob = new ObjectBuilder();
  for (const [k, v] of objectEntries(o)) {
    const rel = paths.filter((p) => p[0] === String(k));
    if (rel.some((p) => p.length === 1)) continue;
    ob.set(k, rel.length ? jsonRemove(v, rel.map((p) => p.slice(1))) : v);
  }
  return ob.build();
}
