// Object, array and set builtins.

import { formatValue, isObject, keyOf, ObjectBuilder, objectEntries, objectGet, objectKeys, RegoSet, type RegoObject, type Value } from "../value.ts";
import { arr, type BuiltinTable, def, fail, got, int, obj } from "./builtin.ts";

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
    let start = int("array.slice", s);
    let end = int("array.slice", e);
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
  "json.filter": def(2, ([o, paths]) => jsonFilter(obj("json.filter", o), pathTree("json.filter", paths))),
  "json.remove": def(2, ([o, paths]) => jsonRemove(obj("json.remove", o), pathTree("json.remove", paths))),
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

// json.filter / json.remove as OPA: paths become a tree of keys (a leaf is `null`,
// meaning "the whole value"); array positions are matched by their decimal string key
// ("a/0/b"), set elements and object keys by value.
type PathTree = null | Map<unknown, PathTree>;

function pathTree(name: string, v: Value): Map<unknown, PathTree> {
  const items = Array.isArray(v) ? v : v instanceof RegoSet ? [...v.values()] : got(name, "set or array argument", v);
  const root = new Map<unknown, PathTree>();
  for (const p of items) {
    let segs: Value[];
    if (typeof p === "string") {
      segs = p === "" ? [] : p.replace(/^\/+/, "").split("/").map((x) => x.replaceAll("~1", "/").replaceAll("~0", "~"));
    } else if (Array.isArray(p)) segs = p;
    else return fail(`\`${name}\` expects paths as strings or arrays. Got \`${formatValue(p)}\` instead`);
    if (segs.length === 0) continue;
    let node = root;
    let covered = false;
    for (let i = 0; i < segs.length - 1 && !covered; i++) {
      const k = keyOf(segs[i]);
      const child = node.get(k);
      if (child === undefined) {
        const m = new Map<unknown, PathTree>();
        node.set(k, m);
        node = m;
      } else if (child === null) covered = true;
      else node = child;
    }
    if (!covered) node.set(keyOf(segs[segs.length - 1]), null);
  }
  return root;
}

function jsonFilter(o: Value, t: PathTree): Value {
  if (t === null || o === null || typeof o !== "object") return o;
  if (Array.isArray(o)) {
    const out: Value[] = [];
    for (let i = 0; i < o.length; i++) {
      const sub = t.get(String(i));
      if (sub !== undefined) out.push(jsonFilter(o[i], sub));
    }
    return out;
  }
  if (o instanceof RegoSet) {
    const out = new RegoSet();
    for (const [k, x] of o.m) {
      const sub = t.get(k);
      if (sub !== undefined) out.add(jsonFilter(x, sub));
    }
    return out;
  }
  const ob = new ObjectBuilder();
  for (const [k, x] of objectEntries(o)) {
    const sub = t.get(keyOf(k));
    if (sub !== undefined) ob.set(k, jsonFilter(x, sub));
  }
  return ob.build();
}

/** undefined: the value is removed */
function jsonRemove(o: Value, t: PathTree | undefined): Value | undefined {
  if (t === undefined || o === null || typeof o !== "object") return o;
  if (t === null) return undefined;
  if (Array.isArray(o)) {
    const out: Value[] = [];
    for (let i = 0; i < o.length; i++) {
      const x = jsonRemove(o[i], t.get(String(i)));
      if (x !== undefined) out.push(x);
    }
    return out;
  }
  if (o instanceof RegoSet) {
    const out = new RegoSet();
    for (const [k, v] of o.m) {
      const x = jsonRemove(v, t.get(k));
      if (x !== undefined) out.add(x);
    }
    return out;
  }
  const ob = new ObjectBuilder();
  for (const [k, v] of objectEntries(o)) {
    const x = jsonRemove(v, t.get(keyOf(k)));
    if (x !== undefined) ob.set(k, x);
  }
  return ob.build();
}
