// json.patch (RFC 6902) over Rego values, including sets (a path segment names
// the set element). A failing operation makes the result undefined, as in OPA.

import { equal, isObject, ObjectBuilder, objectEntries, objectGet, RegoSet, type RegoObject, type Value } from "../value.ts";
import { arr, type BuiltinTable, def, obj } from "./builtin.ts";

class PatchFailed extends Error {}
const no = (): never => {
  throw new PatchFailed();
};

/** a present value (null is a value) */
function must(v: Value | undefined): Value {
  return v === undefined ? no() : v;
}

/** the whole document after `remove ""` (until a root `add` replaces it) */
const REMOVED: Value = Object.freeze(new RegoSet()) as unknown as Value;

function segs(p: Value | undefined): Value[] {
  if (typeof p === "string") {
    if (p === "") return [];
    if (!p.startsWith("/")) no();
    return p.slice(1).split("/").map((s) => s.replace(/~1/g, "/").replace(/~0/g, "~"));
  }
  if (Array.isArray(p)) return p;
  return no();
}

function arrayIndex(a: Value[], s: Value, forAdd: boolean): number {
  if (s === "-" && forAdd) return a.length;
  const n = typeof s === "number" ? s : typeof s === "string" && /^(0|[1-9]\d*)$/.test(s) ? Number(s) : NaN;
  if (!Number.isInteger(n) || n < 0 || n > (forAdd ? a.length : a.length - 1)) no();
  return n;
}

function get(doc: Value, path: Value[]): Value {
  let cur = doc;
  for (const s of path) {
    if (Array.isArray(cur)) cur = cur[arrayIndex(cur, s, false)];
    else if (isObject(cur)) cur = must(objectGet(cur, s));
    else if (cur instanceof RegoSet) cur = cur.has(s) ? s : no();
    else no();
  }
  return cur;
}

function withKey(o: RegoObject, k: Value, v: Value | undefined): RegoObject {
  const ob = new ObjectBuilder();
  for (const [key, x] of objectEntries(o)) if (!equal(key, k)) ob.set(key, x);
  if (v !== undefined) ob.set(k, v);
  return ob.build();
}

/** apply f to the container at path[..-1] and the last segment */
function update(doc: Value, path: Value[], f: (parent: Value, last: Value) => Value): Value {
  if (path.length === 0) return no();
  const [h, ...rest] = path;
  if (rest.length === 0) return f(doc, h);
  if (Array.isArray(doc)) {
    const i = arrayIndex(doc, h, false);
    const out = [...doc];
    out[i] = update(doc[i], rest, f);
    return out;
  }
  if (isObject(doc)) return withKey(doc, h, update(must(objectGet(doc, h)), rest, f));
  if (doc instanceof RegoSet) {
    if (!doc.has(h)) no();
    const out = new RegoSet([...doc.values()].filter((x) => !equal(x, h)));
    out.add(update(h, rest, f));
    return out;
  }
  return no();
}

function add(doc: Value, path: Value[], v: Value): Value {
  if (path.length === 0) return v;
  return update(doc, path, (parent, last) => {
    if (Array.isArray(parent)) {
      const i = arrayIndex(parent, last, true);
      return [...parent.slice(0, i), v, ...parent.slice(i)];
    }
    if (isObject(parent)) return withKey(parent, last, v);
    if (parent instanceof RegoSet) return new RegoSet([...parent.values(), v]);
    return no();
  });
}

function remove(doc: Value, path: Value[]): Value {
  if (path.length === 0) return doc === REMOVED ? no() : REMOVED;
  return update(doc, path, (parent, last) => {
    if (Array.isArray(parent)) {
      const i = arrayIndex(parent, last, false);
      return [...parent.slice(0, i), ...parent.slice(i + 1)];
    }
    if (isObject(parent)) {
      if (objectGet(parent, last) === undefined) no();
      return withKey(parent, last, undefined);
    }
    if (parent instanceof RegoSet) {
      if (!parent.has(last)) no();
      return new RegoSet([...parent.values()].filter((x) => !equal(x, last)));
    }
    return no();
  });
}

function apply(doc: Value, op: RegoObject): Value {
  const kind = objectGet(op, "op");
  const path = segs(objectGet(op, "path"));
  const value = objectGet(op, "value");
  if (doc === REMOVED && !(kind === "add" && path.length === 0)) no();
  switch (kind) {
    case "add":
      return add(doc, path, must(value));
    case "remove":
      return remove(doc, path);
    case "replace":
      get(doc, path);
      return path.length === 0 ? must(value) : add(remove(doc, path), path, must(value));
    case "move": {
      const from = segs(objectGet(op, "from"));
      const v = get(doc, from);
      return add(remove(doc, from), path, v);
    }
    case "copy":
      return add(doc, path, get(doc, segs(objectGet(op, "from"))));
    case "test":
      return equal(get(doc, path), must(value)) ? doc : no();
    default:
      return no();
  }
}

export const jsonPatchBuiltins: BuiltinTable = {
  "json.patch": def(2, ([doc, patches]) => {
    let cur = doc;
    try {
      for (const p of arr("json.patch", patches)) cur = apply(cur, obj("json.patch", p));
    } catch (err) {
      if (err instanceof PatchFailed) return undefined;
      throw err;
    }
    return cur === REMOVED ? undefined : cur;
  }),
};
