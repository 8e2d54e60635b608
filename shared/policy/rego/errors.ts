// Errors raised by the Rego engine. Every error carries a stable `code`
// (callers switch on it) and, where known, a source location.

export type RegoErrorCode =
  | "rego_parse_error"
  | "rego_compile_error"
  | "rego_type_error"
  | "rego_unsafe_var_error"
  | "rego_recursion_error"
  | "rego_disabled_builtin"
  | "eval_conflict_error"
  | "eval_builtin_error"
  | "eval_type_error"
  | "eval_timeout"
  | "eval_step_limit"
  | "eval_size_limit"
  | "eval_error";

export const REGO_ERROR_CODES: readonly RegoErrorCode[] = Object.freeze([
  "rego_parse_error",
  "rego_compile_error",
  "rego_type_error",
  "rego_unsafe_var_error",
  "rego_recursion_error",
  "rego_disabled_builtin",
  "eval_conflict_error",
  "eval_builtin_error",
  "eval_type_error",
  "eval_timeout",
  "eval_step_limit",
  "eval_size_limit",
  "eval_error",
]);

export interface Location {
  file: string;
  line: number;
  col: number;
}

export class RegoError extends Error {
  readonly code: RegoErrorCode;
  readonly location?: Location;
  constructor(code: RegoErrorCode, message: string, location?: Location) {
    super(location ? `${location.file}:${location.line}:${location.col}: ${message}` : message);
    this.name = "RegoError";
    this.code = code;
    this.location = location;
  }
}

/** A syntax error: always carries line and column. */
export class RegoParseError extends RegoError {
  readonly line: number;
  readonly col: number;
  readonly file: string;
  constructor(message: string, location: Location) {
    super("rego_parse_error", message, location);
    this.name = "RegoParseError";
    this.line = location.line;
    this.col = location.col;
    this.file = location.file;
  }
}

/** Raised by builtins for bad arguments; non-strict evaluation turns these into `undefined`. */
export class BuiltinError extends RegoError {
  constructor(message: string) {
    super("eval_builtin_error", message);
    this.name = "BuiltinError";
  }
}
