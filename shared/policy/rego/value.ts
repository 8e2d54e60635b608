// Rego values. JSON-shaped data is used as-is (so `input` needs no conversion):
// null, boolean, number, string, arrays and string-keyed plain objects.
// Sets are `RegoSet`; objects with non-string keys are `KeyedObject`.
// `undefined` means "undefined" in the Rego sense.

export type Value = null | boolean | number | string | Value[] | RegoSet | KeyedObject | PlainObject;
export interface PlainObject {
  [key: string]: Value;
}
export type RegoObject = PlainObject | KeyedObject;
type Key = null | boolean | number | string;

/** Map key for a value: primitives as themselves, composites as a canonical string. */
export function keyOf(v: Value): Key {
  if (v === null || typeof v !== "object") return v;
  return "\u0000" + canonical(v);
}

function canonical(v: Value): string {
  if (v === null) return "null";
  switch (typeof v) {
    case "string":
      return JSON.stringify(v);
    case "number":
      return String(v);
    case "boolean":
      return v ? "true" : "false";
  }
  if (Array.isArray(v)) return "[" + v.map(canonical).join(",") + "]";
  if (v instanceof RegoSet) return "<" + v.sortedValues().map(canonical).join(",") + ">";
  const ents = objectEntries(v).sort((a, b) => compare(a[0], b[0]));
  return "{" + ents.map(([k, x]) => canonical(k) + ":" + canonical(x)).join(",") + "}";
}

export class RegoSet {
  readonly m = new Map<Key, Value>();
  constructor(items?: Iterable<Value>) {
    if (items) for (const i of items) this.add(i);
  }
  private sorted: Value[] | null = null;
  add(v: Value): void {
    this.m.set(keyOf(v), v);
    this.sorted = null;
  }
  has(v: Value): boolean {
    return this.m.has(keyOf(v));
  }
  get size(): number {
    return this.m.size;
  }
  values(): IterableIterator<Value> {
    return this.m.values();
  }
  /** elements in OPA's order (cached until the next add; do not mutate) */
  sortedValues(): Value[] {
    if (this.sorted === null || this.sorted.length !== this.m.size) this.sorted = [...this.m.values()].sort(compare);
    return this.sorted;
  }
}

/** An object whose keys are not all strings. */
export class KeyedObject {
  readonly m = new Map<Key, [Value, Value]>();
  get(k: Value): Value | undefined {
    const e = this.m.get(keyOf(k));
    return e === undefined ? undefined : e[1];
  }
  set(k: Value, v: Value): void {
    this.m.set(keyOf(k), [k, v]);
  }
  get size(): number {
    return this.m.size;
  }
}

const hasOwn = Object.prototype.hasOwnProperty;

export function isObject(v: Value | undefined): v is RegoObject {
  return typeof v === "object" && v !== null && !Array.isArray(v) && !(v instanceof RegoSet);
}

export function objectGet(o: RegoObject, k: Value): Value | undefined {
  if (o instanceof KeyedObject) return o.get(k);
  if (typeof k !== "string") return undefined;
  const v = o[k];
  if (v === undefined) return undefined;
  if (typeof v === "function" || k === "__proto__") return hasOwn.call(o, k) ? v : undefined;
  return v;
}

export function objectEntries(o: RegoObject): [Value, Value][] {
  if (o instanceof KeyedObject) return [...o.m.values()];
  return Object.entries(o);
}

/** keys of a plain object in OPA's iteration order (sorted) */
export function sortedKeys(o: PlainObject): string[] {
  const keys = Object.keys(o);
  for (let i = 1; i < keys.length; i++) {
    if (keys[i - 1] > keys[i]) return keys.sort();
  }
  return keys;
}

/** entries in OPA's iteration order (sorted by key) */
export function sortedEntries(o: RegoObject): [Value, Value][] {
  if (o instanceof KeyedObject) return [...o.m.values()].sort((a, b) => compare(a[0], b[0]));
  return sortedKeys(o).map((k) => [k, o[k]]);
}

export function objectKeys(o: RegoObject): Value[] {
  if (o instanceof KeyedObject) return [...o.m.values()].map((e) => e[0]);
  return Object.keys(o);
}

export function objectSize(o: RegoObject): number {
  if (o instanceof KeyedObject) return o.size;
  let n = 0;
  for (const k in o) if (hasOwn.call(o, k)) n++;
  return n;
}

/** Builds an object, switching to KeyedObject when a non-string key shows up. */
export class ObjectBuilder {
  private plain: PlainObject | null = Object.create(null) as PlainObject;
  private keyed: KeyedObject | null = null;
  private n = 0;
  get(k: Value): Value | undefined {
    if (this.keyed) return this.keyed.get(k);
    if (typeof k !== "string") return undefined;
    return hasOwn.call(this.plain, k) ? this.plain![k] : undefined;
  }
  set(k: Value, v: Value): void {
    if (this.plain && typeof k === "string") {
      if (!hasOwn.call(this.plain, k)) this.n++;
      this.plain[k] = v;
      return;
    }
    if (!this.keyed) {
      this.keyed = new KeyedObject();
      for (const key of Object.keys(this.plain!)) this.keyed.set(key, this.plain![key]);
      this.plain = null;
    }
    this.keyed.set(k, v);
    this.n = this.keyed.size;
  }
  get size(): number {
    return this.n;
  }
  build(): RegoObject {
    return this.keyed ?? this.plain!;
  }
}

export function makeObject(entries: Iterable<[Value, Value]>): RegoObject {
  const b = new ObjectBuilder();
  for (const [k, v] of entries) b.set(k, v);
  return b.build();
}

export type TypeName = "null" | "boolean" | "number" | "string" | "array" | "object" | "set";

export function typeName(v: Value): TypeName {
  if (v === null) return "null";
  switch (typeof v) {
    case "boolean":
      return "boolean";
    case "number":
      return "number";
    case "string":
      return "string";
  }
  if (Array.isArray(v)) return "array";
  if (v instanceof RegoSet) return "set";
  return "object";
}

const TYPE_ORDER: Record<TypeName, number> = { null: 0, boolean: 1, number: 2, string: 3, array: 4, object: 5, set: 6 };

/** Total order over values, as OPA sorts them. */
export function compare(a: Value, b: Value): number {
  const ta = typeName(a);
  const tb = typeName(b);
  if (ta !== tb) return TYPE_ORDER[ta] - TYPE_ORDER[tb];
  switch (ta) {
    case "null":
      return 0;
    case "boolean":
      return a === b ? 0 : a ? 1 : -1;
    case "number":
      return (a as number) < (b as number) ? -1 : (a as number) > (b as number) ? 1 : 0;
    case "string":
      return (a as string) < (b as string) ? -1 : (a as string) > (b as string) ? 1 : 0;
    case "array": {
      const x = a as Value[];
      const y = b as Value[];
      const n = Math.min(x.length, y.length);
      for (let i = 0; i < n; i++) {
        const c = compare(x[i], y[i]);
        if (c !== 0) return c;
      }
      return x.length - y.length;
    }
    case "set":
      return compare((a as RegoSet).sortedValues(), (b as RegoSet).sortedValues());
    case "object": {
      const ea = objectEntries(a as RegoObject).sort((p, q) => compare(p[0], q[0]));
      const eb = objectEntries(b as RegoObject).sort((p, q) => compare(p[0], q[0]));
      const n = Math.min(ea.length, eb.length);
      for (let i = 0; i < n; i++) {
        const c = compare(ea[i][0], eb[i][0]);
        if (c !== 0) return c;
      }
      for (let i = 0; i < n; i++) {
        const c = compare(ea[i][1], eb[i][1]);
        if (c !== 0) return c;
      }
      return ea.length - eb.length;
    }
  }
}

export function equal(a: Value, b: Value): boolean {
  if (a === b) return true;
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return false;
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!equal(a[i], b[i])) return false;
    return true;
  }
  if (Array.isArray(b)) return false;
  if (a instanceof RegoSet) {
    if (!(b instanceof RegoSet) || a.size !== b.size) return false;
    for (const k of a.m.keys()) if (!b.m.has(k)) return false;
    return true;
  }
  if (b instanceof RegoSet) return false;
  if (objectSize(a) !== objectSize(b)) return false;
  for (const [k, v] of objectEntries(a)) {
    const w = objectGet(b, k);
    if (w === undefined || !equal(v, w)) return false;
  }
  return true;
}

/** Convert to plain JSON: sets become sorted arrays, non-string keys are JSON-encoded. */
export function toJSON(v: Value): unknown {
  if (v === null || typeof v !== "object") return v;
  if (Array.isArray(v)) return v.map(toJSON);
  if (v instanceof RegoSet) return v.sortedValues().map(toJSON);
  const out: Record<string, unknown> = {};
  for (const [k, x] of objectEntries(v).sort((p, q) => compare(p[0], q[0]))) {
    out[typeof k === "string" ? k : JSON.stringify(toJSON(k))] = toJSON(x);
  }
  return out;
}

/** Check that host data is JSON-shaped (no functions, no undefined, finite numbers). */
export function fromJSON(x: unknown): Value {
  if (x === null || typeof x === "string" || typeof x === "boolean") return x;
  if (typeof x === "number") {
    if (!Number.isFinite(x)) throw new TypeError("non-finite number in input");
    return x;
  }
  if (Array.isArray(x)) return x.map(fromJSON);
  if (x instanceof RegoSet || x instanceof KeyedObject) return x;
  if (typeof x === "object") {
    const out = Object.create(null) as PlainObject;
    for (const [k, v] of Object.entries(x as object)) if (v !== undefined) out[k] = fromJSON(v);
    return out;
  }
  throw new TypeError(`unsupported value of type ${typeof x}`);
}

/** Rego text representation (used by sprintf %v and error messages). */
export function formatValue(v: Value): string {
  if (v === null) return "null";
  if (typeof v === "string") return JSON.stringify(v);
  if (typeof v === "number") return formatNumber(v);
  if (typeof v === "boolean") return String(v);
  if (Array.isArray(v)) return "[" + v.map(formatValue).join(", ") + "]";
  if (v instanceof RegoSet) return v.size === 0 ? "set()" : "{" + v.sortedValues().map(formatValue).join(", ") + "}";
  const ents = objectEntries(v).sort((p, q) => compare(p[0], q[0]));
  return "{" + ents.map(([k, x]) => formatValue(k) + ": " + formatValue(x)).join(", ") + "}";
}

export function formatNumber(n: number): string {
  if (Number.isInteger(n) && Math.abs(n) < 1e21) return String(n);
  return String(n);
}
