// Abstract syntax of Rego modules and queries, produced by parser.ts and
// annotated in place (on a private copy) by compiler.ts.

import type { Location } from "./errors.ts";
import type { Value } from "./value.ts";

export type RegoVersion = "v0" | "v1";
export const REGO_VERSIONS: readonly RegoVersion[] = Object.freeze(["v0", "v1"]);

export type Scalar = null | boolean | number | string;

export type BinaryOp =
  | "+" | "-" | "*" | "/" | "%"
  | "|" | "&"
  | "==" | "!=" | "<" | "<=" | ">" | ">=";

/** Resolution of a variable, filled in by the compiler. */
export type VarBinding =
  | { kind: "local"; slot: number }
  | { kind: "global"; path: string[] } // data.* / input.* path (path[0] is "data" or "input")
  | { kind: "wildcard"; slot: number };

export type Expr =
  | { t: "scalar"; value: Scalar; loc: Location }
  | { t: "var"; name: string; loc: Location; bind?: VarBinding }
  | { t: "ref"; head: Expr; path: Expr[]; loc: Location; global?: string[] }
  | { t: "array"; items: Expr[]; loc: Location; cv?: Value }
  | { t: "object"; entries: [Expr, Expr][]; loc: Location; cv?: Value }
  | { t: "set"; items: Expr[]; loc: Location; cv?: Value }
  | { t: "arraycompr"; term: Expr; body: Query; loc: Location }
  | { t: "setcompr"; term: Expr; body: Query; loc: Location }
  | { t: "objectcompr"; key: Expr; value: Expr; body: Query; loc: Location }
  | { t: "call"; fn: string[]; args: Expr[]; loc: Location; target?: CallTarget }
  | { t: "binop"; op: BinaryOp; left: Expr; right: Expr; loc: Location }
  | { t: "neg"; expr: Expr; loc: Location }
  | { t: "in"; key?: Expr; value: Expr; coll: Expr; loc: Location }
  | { t: "assign"; lhs: Expr; rhs: Expr; loc: Location }
  | { t: "unify"; lhs: Expr; rhs: Expr; loc: Location };

/** What a call resolves to, filled in by the compiler. */
export type CallTarget =
  | { kind: "builtin"; name: string }
  | { kind: "function"; path: string[] };

export interface With {
  target: Expr;
  value: Expr;
  loc: Location;
  /** filled by compiler: "input"/"data" path or function/builtin name being mocked */
  path?: string[];
  /** filled by compiler when the target is a function and the value names a function */
  mock?: CallTarget;
  /** filled by compiler when the target is a function or builtin */
  fnTarget?: CallTarget;
}

export type Literal =
  | { t: "expr"; expr: Expr; negated: boolean; withs: With[]; loc: Location }
  | { t: "some"; vars: Expr[]; loc: Location }
  | { t: "somein"; key?: Expr; value: Expr; coll: Expr; withs: With[]; loc: Location }
  | { t: "every"; key?: Expr; value: Expr; domain: Expr; body: Query; withs: With[]; loc: Location };

export type Query = Literal[];

export type RuleKind = "complete" | "set" | "object" | "function";

export interface ElseClause {
  value?: Expr;
  body: Query;
  loc: Location;
}

export interface Rule {
  kind: RuleKind;
  /** head reference: first element is a var (rule name), rest are path terms */
  ref: Expr[];
  args?: Expr[];
  /** element of a partial set rule */
  key?: Expr;
  value?: Expr;
  body: Query;
  elses: ElseClause[];
  isDefault: boolean;
  assign: boolean;
  loc: Location;
  /** number of local slots, set by the compiler */
  slots?: number;
}

export interface Import {
  path: string[];
  alias?: string;
  loc: Location;
}

export interface Module {
  file: string;
  version: RegoVersion;
  pkg: string[];
  imports: Import[];
  rules: Rule[];
  /** true when v1 keywords were switched on (v1 module or `import rego.v1`) */
  regoV1: boolean;
}
