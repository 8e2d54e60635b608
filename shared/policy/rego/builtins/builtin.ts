// Builtin function contract and argument helpers producing stable messages
// (`name` expects string argument. Got `x` instead).

import { BuiltinError } from "../errors.ts";
import { formatValue, isObject, RegoSet, type RegoObject, type Value } from "../value.ts";

export interface BuiltinContext {
  /** evaluation-time clock in ns (time.now_ns); fixed per evaluation */
  nowNs(): bigint;
  print(msg: string): void;
  /** per-evaluation memo for non-deterministic builtins (rand.intn, uuid.rfc4122) */
  memo: Map<string, Value>;
  /** bound on produced collections */
  maxCollection: number;
}

export interface Builtin {
  /** number of arguments; -1 for variadic (print) */
  arity: number;
  fn: (args: Value[], ctx: BuiltinContext) => Value | undefined;
}

export type BuiltinTable = Record<string, Builtin>;

export function def(arity: number, fn: Builtin["fn"]): Builtin {
  return { arity, fn };
}

export function fail(msg: string): never {
  throw new BuiltinError(msg);
}

export function got(name: string, what: string, v: Value): never {
  return fail(`\`${name}\` expects ${what}. Got \`${formatValue(v)}\` instead`);
}

export function str(name: string, v: Value): string {
  if (typeof v !== "string") got(name, "string argument", v);
  return v as string;
}
export function num(name: string, v: Value): number {
  if (typeof v !== "number") got(name, "numeric argument", v);
  return v as number;
}
export function int(name: string, v: Value): number {
  const n = num(name, v);
  if (!Number.isInteger(n)) fail(`\`${name}\` expects integer argument. Got \`${formatValue(v)}\` instead (must be integer)`);
  return n;
}
export function bool(name: string, v: Value): boolean {
  if (typeof v !== "boolean") got(name, "boolean argument", v);
  return v as boolean;
}
export function arr(name: string, v: Value): Value[] {
  if (!Array.isArray(v)) got(name, "array argument", v);
  return v as Value[];
}
export function obj(name: string, v: Value): RegoObject {
  if (!isObject(v)) got(name, "object argument", v);
  return v as RegoObject;
}
export function set(name: string, v: Value): RegoSet {
  if (!(v instanceof RegoSet)) got(name, "set argument", v);
  return v as RegoSet;
}
/** array or set elements */
export function coll(name: string, v: Value, msg = "requires array/set argument."): Value[] {
  if (Array.isArray(v)) return v;
  if (v instanceof RegoSet) return [...v.values()];
  return fail(`\`${name}\` ${msg} Got \`${formatValue(v)}\` instead`);
}
