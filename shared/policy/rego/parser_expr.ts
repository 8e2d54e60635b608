// Token cursor plus the expression/literal grammar shared by module and query parsing.

import type { BinaryOp, Expr, Literal, Query, With } from "./ast.ts";
import { type Location, RegoParseError } from "./errors.ts";
import type { Token } from "./lexer.ts";

const BASE_KEYWORDS = new Set(["as", "default", "else", "import", "not", "package", "some", "with", "true", "false", "null"]);

export class ExprParser {
  i = 0;
  /** enabled future keywords (in, every, if, contains) */
  readonly kws = new Set<string>();
  /** >0 while inside (), [] or {} literals: newlines do not end literals there */
  protected nesting = 0;
  private wildcards = 0;

  constructor(readonly toks: Token[], readonly file: string) {}

  peek(o = 0): Token {
    return this.toks[Math.min(this.i + o, this.toks.length - 1)];
  }
  next(): Token {
    const t = this.toks[this.i];
    if (this.i < this.toks.length - 1) this.i++;
    return t;
  }
  loc(t: Token): Location {
    return { file: this.file, line: t.line, col: t.col };
  }
  fail(msg: string): never {
    return this.failAt(this.peek(), msg);
  }
  failAt(t: Token, msg: string): never {
    throw new RegoParseError(msg, this.loc(t));
  }
  isOp(v: string): boolean {
    const t = this.peek();
    return t.k === "op" && t.v === v;
  }
  isIdent(v: string): boolean {
    const t = this.peek();
    return t.k === "ident" && t.v === v;
  }
  isKw(v: string): boolean {
    return this.kws.has(v) && this.isIdent(v);
  }
  isKeyword(v: string): boolean {
    return BASE_KEYWORDS.has(v) || this.kws.has(v);
  }
  /** token directly follows the previous one (no whitespace) */
  adjacent(t: Token): boolean {
    const prev = this.toks[this.i - 1];
    return t === this.toks[this.i] && prev !== undefined && prev.end === t.pos;
  }
  expectOp(v: string): Token {
    const t = this.peek();
    if (t.k !== "op" || t.v !== v) this.failAt(t, `expecting \`${v}\``);
    return this.next();
  }
  /** run f; on a parse error restore the cursor and return undefined */
  attempt<T>(f: () => T): T | undefined {
    const i = this.i;
    const w = this.wildcards;
    try {
      return f();
    } catch (err) {
      if (!(err instanceof RegoParseError)) throw err;
      this.i = i;
      this.wildcards = w;
      return undefined;
    }
  }

  withNesting<T>(f: () => T): T {
    this.nesting++;
    try {
      return f();
    } finally {
      this.nesting--;
    }
  }
  withoutNesting<T>(f: () => T): T {
    const n = this.nesting;
    this.nesting = 0;
    try {
      return f();
    } finally {
      this.nesting = n;
    }
  }
  /** a token that starts a new literal when not nested */
  private breaksLine(t: Token): boolean {
    return t.nl && this.nesting === 0;
  }

  // ---- bodies ---------------------------------------------------------

  /** literals separated by `;` or newlines, up to `}`/`]`/EOF */
  parseBodyLiterals(topLevel: boolean): Query {
    const q: Query = [];
    for (;;) {
      const t = this.peek();
      if (t.k === "eof" || (t.k === "op" && (t.v === "}" || t.v === "]"))) break;
      if (t.k === "op" && t.v === ";") {
        this.next();
        continue;
      }
      if (q.length > 0 && !t.nl && !(this.toks[this.i - 1].k === "op" && this.toks[this.i - 1].v === ";")) {
        this.failAt(t, topLevel ? "expecting EOF" : "expecting `;` or newline between literals");
      }
      q.push(this.parseLiteral());
    }
    if (q.length === 0) this.fail("empty body");
    return q;
  }

  parseLiteral(): Literal {
    const t = this.peek();
    const loc = this.loc(t);
    if (t.k === "ident" && t.v === "some") {
      this.next();
      const terms: Expr[] = [this.parseTermExprNoIn()];
      while (this.isOp(",")) {
        this.next();
        terms.push(this.parseTermExprNoIn());
      }
      if (this.isKw("in")) {
        this.next();
        if (terms.length > 2) this.fail("too many terms before `in`");
        const coll = this.parseRelation();
        const withs = this.parseWiths();
        return terms.length === 2
          ? { t: "somein", key: terms[0], value: terms[1], coll, withs, loc }
          : { t: "somein", value: terms[0], coll, withs, loc };
      }
      for (const v of terms) if (v.t !== "var") throw new RegoParseError("expecting variable after `some`", v.loc);
      return { t: "some", vars: terms, loc };
    }
    if (this.isKw("every")) {
      this.next();
      const first = this.parseTermExprNoIn();
      let key: Expr | undefined;
      let value = first;
      if (this.isOp(",")) {
        this.next();
        key = first;
        value = this.parseTermExprNoIn();
      }
      if (!this.isKw("in")) this.fail("expecting `in` after every variables");
      this.next();
      const domain = this.parseRelation();
      this.expectOp("{");
      const body = this.withoutNesting(() => this.parseBodyLiterals(false));
      this.expectOp("}");
      const withs = this.parseWiths();
      return { t: "every", key, value, domain, body, withs, loc };
    }
    let negated = false;
    if (t.k === "ident" && t.v === "not") {
      this.next();
      negated = true;
    }
    let expr = this.parseAssignExpr();
    if (!negated && this.isOp(",") && this.kws.has("in")) {
      // `k, v in coll`
      this.next();
      const rest = this.parseInExpr();
      if (rest.t !== "in" || rest.key) throw new RegoParseError("expecting `in` membership expression", rest.loc);
      expr = { t: "in", key: expr, value: rest.value, coll: rest.coll, loc: expr.loc };
    }
    const withs = this.parseWiths();
    return { t: "expr", expr, negated, withs, loc };
  }

  private parseWiths(): With[] {
    const withs: With[] = [];
    while (this.isIdent("with")) {
      const w = this.next();
      const target = this.parseTerm();
      if (!this.isIdent("as")) this.fail("expecting `as`");
      this.next();
      const value = this.parseInExpr();
      withs.push({ target, value, loc: this.loc(w) });
    }
    return withs;
  }

  // ---- expressions ----------------------------------------------------

  parseAssignExpr(): Expr {
    const lhs = this.parseInExpr();
    const t = this.peek();
    if (t.k === "op" && (t.v === ":=" || t.v === "=") && !this.breaksLine(t)) {
      this.next();
      const rhs = this.parseInExpr();
      return t.v === ":=" ? { t: "assign", lhs, rhs, loc: lhs.loc } : { t: "unify", lhs, rhs, loc: lhs.loc };
    }
    return lhs;
  }

  /** a full term expression as used in rule heads / values (membership allowed) */
  parseTermExpr(): Expr {
    return this.parseInExpr();
  }

  parseTermExprNoIn(): Expr {
    return this.parseRelation();
  }

  parseInExpr(): Expr {
    let left = this.parseRelation();
    while (this.isKw("in") && !this.breaksLine(this.peek())) {
      this.next();
      const coll = this.parseRelation();
      left = { t: "in", value: left, coll, loc: left.loc };
    }
    return left;
  }

  private binary(next: () => Expr, ops: readonly string[]): Expr {
    let left = next();
    for (;;) {
      const t = this.peek();
      if (t.k !== "op" || !ops.includes(t.v) || this.breaksLine(t)) return left;
      this.next();
      const right = next();
      left = { t: "binop", op: t.v as BinaryOp, left, right, loc: left.loc };
    }
  }

  parseRelation(): Expr {
    return this.binary(() => this.parseOr(), ["==", "!=", "<", "<=", ">", ">="]);
  }
  private parseOr(): Expr {
    return this.binary(() => this.parseAnd(), ["|"]);
  }
  private parseAnd(): Expr {
    return this.binary(() => this.parseArith(), ["&"]);
  }
  private parseArith(): Expr {
    return this.binary(() => this.parseFactor(), ["+", "-"]);
  }
  private parseFactor(): Expr {
    return this.binary(() => this.parseUnary(), ["*", "/", "%"]);
  }
  protected parseUnary(): Expr {
    const t = this.peek();
    if (t.k === "op" && t.v === "-") {
      this.next();
      const n = this.peek();
      // `-ref` parses (the compiler rejects it); a sign before a number is part of the literal
      if (n.k === "ident") return { t: "neg", expr: this.parseTerm(), loc: this.loc(t) };
      if (n.k !== "number") this.failAt(t, "unary - can only be used with numeric literals");
      this.next();
      return this.parseSuffixes({ t: "scalar", value: -Number(n.v), loc: this.loc(t) });
    }
    return this.parseTerm();
  }

  parseExprList(close: string): Expr[] {
    const items: Expr[] = [];
    while (!this.isOp(close)) {
      items.push(this.parseInExpr());
      if (this.isOp(",")) this.next();
      else if (!this.isOp(close)) this.fail(`expecting \`${close}\``);
    }
    this.expectOp(close);
    return items;
  }

  parseTerm(): Expr {
    const t = this.next();
    const loc = this.loc(t);
    let e: Expr;
    if (t.k === "number") {
      e = { t: "scalar", value: Number(t.v), loc };
    } else if (t.k === "string") {
      e = { t: "scalar", value: t.v, loc };
    } else if (t.k === "ident") {
      if (t.v === "true" || t.v === "false") e = { t: "scalar", value: t.v === "true", loc };
      else if (t.v === "null") e = { t: "scalar", value: null, loc };
      else if (t.v === "set" && this.isOp("(") && this.peek(1).k === "op" && this.peek(1).v === ")") {
        this.next();
        this.next();
        e = { t: "set", items: [], loc };
      } else {
        if (this.isKeyword(t.v) && !["set"].includes(t.v)) this.failAt(t, `unexpected keyword \`${t.v}\``);
        const name = t.v === "_" ? `$_${this.wildcards++}` : t.v;
        e = { t: "var", name, loc };
      }
    } else if (t.k === "op" && t.v === "(") {
      e = this.withNesting(() => this.parseInExpr());
      this.expectOp(")");
    } else if (t.k === "op" && t.v === "[") {
      e = this.parseArrayOrCompr(loc);
    } else if (t.k === "op" && t.v === "{") {
      e = this.parseBraceTerm(loc);
    } else if (t.k === "eof") {
      return this.failAt(t, "unexpected end of input");
    } else {
      return this.failAt(t, `unexpected token \`${t.v}\``);
    }
    return this.parseSuffixes(e);
  }

  private parseSuffixes(e: Expr): Expr {
    for (;;) {
      const s = this.peek();
      if (s.k !== "op" || !this.adjacent(s)) return e;
      if (s.v === ".") {
        this.next();
        const id = this.next();
        if (id.k !== "ident" || id.pos !== s.end) this.failAt(s, "invalid whitespace between . and identifier");
        e = appendPath(e, { t: "scalar", value: id.v, loc: this.loc(id) });
      } else if (s.v === "[") {
        this.next();
        const k = this.withNesting(() => this.parseInExpr());
        this.expectOp("]");
        e = appendPath(e, k);
      } else if (s.v === "(") {
        this.next();
        const fn = callName(e);
        if (!fn) this.failAt(s, "invalid function name");
        const args = this.withNesting(() => this.parseExprList(")"));
        e = { t: "call", fn, args, loc: e.loc };
      } else return e;
    }
  }

  /** `term | body` up to `close`, or undefined with the cursor restored: only a single term (no infix
   *  operators) directly followed by `|` starts a comprehension, as OPA (`[x - y | z]` is an array) */
  private comprehension(close: string): { head: Expr; body: Query } | undefined {
    return this.attempt(() => {
      const head = this.withNesting(() => this.parseUnary());
      if (!this.isOp("|")) this.fail("not a comprehension");
      this.next();
      const body = this.withoutNesting(() => this.parseBodyLiterals(false));
      this.expectOp(close);
      return { head, body };
    });
  }

  /** comma-separated items up to `close` (the opening bracket already consumed) */
  private itemsUntil(close: string, items: Expr[] = []): Expr[] {
    this.withNesting(() => {
      if (items.length === 0) items.push(this.parseInExpr());
      while (this.isOp(",")) {
        this.next();
        if (this.isOp(close)) break;
        items.push(this.parseInExpr());
      }
    });
    this.expectOp(close);
    return items;
  }

  private parseArrayOrCompr(loc: Location): Expr {
    if (this.isOp("]")) {
      this.next();
      return { t: "array", items: [], loc };
    }
    const c = this.comprehension("]");
    if (c) return { t: "arraycompr", term: c.head, body: c.body, loc };
    return { t: "array", items: this.itemsUntil("]"), loc };
  }

  private parseBraceTerm(loc: Location): Expr {
    if (this.isOp("}")) {
      this.next();
      return { t: "object", entries: [], loc };
    }
    const c = this.comprehension("}");
    if (c) return { t: "setcompr", term: c.head, body: c.body, loc };
    const first = this.withNesting(() => this.parseInExpr());
    if (!this.isOp(":")) return { t: "set", items: this.itemsUntil("}", [first]), loc };
    this.next();
    const vc = this.comprehension("}");
    if (vc) return { t: "objectcompr", key: first, value: vc.head, body: vc.body, loc };
    const entries: [Expr, Expr][] = [[first, this.withNesting(() => this.parseInExpr())]];
    this.withNesting(() => {
      while (this.isOp(",")) {
        this.next();
        if (this.isOp("}")) break;
        const k = this.parseInExpr();
        this.expectOp(":");
        entries.push([k, this.parseInExpr()]);
      }
    });
    this.expectOp("}");
    return { t: "object", entries, loc };
  }
}

function appendPath(e: Expr, k: Expr): Expr {
  if (e.t === "ref") return { t: "ref", head: e.head, path: [...e.path, k], loc: e.loc };
  return { t: "ref", head: e, path: [k], loc: e.loc };
}

function callName(e: Expr): string[] | undefined {
  if (e.t === "var") return [e.name];
  if (e.t === "ref" && e.head.t === "var") {
    const out = [e.head.name];
    for (const p of e.path) {
      if (p.t !== "scalar" || typeof p.value !== "string") return undefined;
      out.push(p.value);
    }
    return out;
  }
  return undefined;
}
