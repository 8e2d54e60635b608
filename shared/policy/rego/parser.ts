// Recursive-descent parser for Rego modules and queries (v0 and v1 syntax).
// Expression-level parsing lives in parser_expr.ts.

import type { ElseClause, Expr, Import, Module, Query, RegoVersion, Rule } from "./ast.ts";
import { RegoParseError } from "./errors.ts";
import { ExprParser } from "./parser_expr.ts";
import { tokenize } from "./lexer.ts";

export interface ParseOptions {
  version?: RegoVersion;
  filename?: string;
}

const FUTURE_KEYWORDS = ["in", "every", "if", "contains"];
const IMPORT_ROOTS = ["data", "input", "future", "rego"];

/** Parse one Rego module. Throws RegoParseError (with line and column) on bad syntax. */
export function parseModule(source: string, opts: ParseOptions = {}): Module {
  const file = opts.filename ?? "policy.rego";
  const version = opts.version ?? "v1";
  const p = new ModuleParser(tokenize(source, file), file, version);
  return p.parseModule();
}

/** Parse a query (a body of literals), e.g. `data.spacelift.deny` or `x := 1; x > 0`. */
export function parseQuery(source: string, opts: ParseOptions = {}): Query {
  const file = opts.filename ?? "<query>";
  const p = new ModuleParser(tokenize(source, file), file, opts.version ?? "v1");
  for (const k of FUTURE_KEYWORDS) p.kws.add(k);
  const q = p.parseBodyLiterals(true);
  if (p.peek().k !== "eof") p.fail("expecting EOF");
  return q;
}

class ModuleParser extends ExprParser {
  regoV1 = false;
  private sawRegoV1Import = false;
  private sawFutureImport = false;

  constructor(toks: ReturnType<typeof tokenize>, file: string, readonly version: RegoVersion) {
    super(toks, file);
    if (version === "v1") {
      this.regoV1 = true;
      for (const k of FUTURE_KEYWORDS) this.kws.add(k);
    }
  }

  parseModule(): Module {
    const t = this.peek();
    if (!(t.k === "ident" && t.v === "package")) this.fail("expecting `package`");
    this.next();
    const pkg = this.parseImportPath();
    const pkgLoc = this.loc(t);
    if (pkg[0] === "data") pkg.shift();
    if (pkg.length === 0) throw new RegoParseError("invalid package name", pkgLoc);
    const imports: Import[] = [];
    while (this.isIdent("import")) imports.push(this.parseImport());
    const rules: Rule[] = [];
    while (this.peek().k !== "eof") {
      if (this.isIdent("import")) this.fail("unexpected keyword `import`");
      if (this.isIdent("package")) this.fail("unexpected keyword `package`");
      rules.push(...this.parseRule());
    }
    return { file: this.file, version: this.version, pkg, imports, rules, regoV1: this.regoV1 };
  }

  private parseImportPath(): string[] {
    const head = this.next();
    if (head.k !== "ident") this.failAt(head, "expecting identifier");
    const path = [head.v];
    for (;;) {
      const t = this.peek();
      if (t.k === "op" && t.v === "." && this.adjacent(t)) {
        this.next();
        const id = this.next();
        if (id.k !== "ident" || id.pos !== t.end) this.failAt(id, "invalid whitespace between . and identifier");
        path.push(id.v);
      } else if (t.k === "op" && t.v === "[" && this.adjacent(t)) {
        this.next();
        const s = this.next();
        if (s.k !== "string") this.failAt(s, "expecting string");
        this.expectOp("]");
        path.push(s.v);
      } else break;
    }
    return path;
  }

  private parseImport(): Import {
    const t = this.next();
    const loc = this.loc(t);
    const path = this.parseImportPath();
    if (!IMPORT_ROOTS.includes(path[0])) {
      throw new RegoParseError("import path must begin with one of: {data, future, input, rego}", loc);
    }
    let alias: string | undefined;
    if (this.isIdent("as")) {
      this.next();
      const a = this.next();
      if (a.k !== "ident") this.failAt(a, "expecting alias identifier");
      alias = a.v;
    }
    if (path[0] === "future") {
      if (path[1] !== "keywords" || path.length > 3) throw new RegoParseError("invalid import of future keywords", loc);
      if (this.sawRegoV1Import) throw new RegoParseError("this import shadows previous import of `rego.v1`", loc);
      this.sawFutureImport = true;
      if (path.length === 2) for (const k of FUTURE_KEYWORDS) this.kws.add(k);
      else if (FUTURE_KEYWORDS.includes(path[2])) this.kws.add(path[2]);
      else throw new RegoParseError(`unexpected keyword ${path[2]} in future import`, loc);
    } else if (path[0] === "rego") {
      if (path.length !== 2 || path[1] !== "v1") throw new RegoParseError("invalid import, only `rego.v1` is supported", loc);
      if (this.sawRegoV1Import || this.sawFutureImport) throw new RegoParseError("this import shadows previous import", loc);
      this.sawRegoV1Import = true;
      this.regoV1 = true;
      for (const k of FUTURE_KEYWORDS) this.kws.add(k);
    }
    return { path, alias, loc };
  }

  private parseRule(): Rule[] {
    const start = this.peek();
    const loc = this.loc(start);
    let isDefault = false;
    if (this.isIdent("default")) {
      this.next();
      isDefault = true;
    }
    const ref = this.parseRuleRef();
    let args: Expr[] | undefined;
    const open = this.peek();
    if (open.k === "op" && open.v === "(" && !open.nl) {
      // `f(x)` and `f (x)` both declare a function (as OPA); calls need no space
      this.next();
      args = this.withNesting(() => this.parseExprList(")"));
    }
    let key: Expr | undefined;
    let value: Expr | undefined;
    let assign = false;
    if (this.isKw("contains")) {
      this.next();
      key = this.parseTermExpr();
    }
    const op = this.peek();
    if (op.k === "op" && (op.v === "=" || op.v === ":=")) {
      this.next();
      assign = op.v === ":=";
      // a default value is a plain term: `default p = 5 in xs` leaves `in` unexpected
      value = isDefault ? this.parseTermExprNoIn() : this.parseTermExpr();
    }
    const usedContains = key !== undefined;
    const lastIsDynamic = ref.length > 1 && isDynamicKey(ref[ref.length - 1]);
    let kind: Rule["kind"];
    const willHaveBody = this.isIfKw() || this.isOp("{");
    if (args) kind = "function";
    else if (key) kind = ref.slice(1).some(isDynamicKey) ? "object" : "set"; // `p[x] contains y`: an object of sets
    else if (value === undefined && lastIsDynamic && this.regoV1 && (ref.length > 2 || willHaveBody)) kind = "object"; // v1 `p[k] if …`: value true
    else if (value === undefined && lastIsDynamic) {
      if (this.regoV1) this.failAt(start, "`contains` keyword is required for partial set rules");
      kind = "set";
      key = ref.pop();
    } else if (value === undefined && ref.length > 1 && !this.regoV1 && !isDefault) {
      // v0 `p.a { ... }` / `p.a`: old partial-set field syntax
      kind = "set";
      key = ref.pop();
    } else if (value === undefined && ref.length > 1 && this.regoV1 && !willHaveBody && !isDefault) {
      // `p.a` reads as an old-style partial set rule; deeper refs (`p.a.b`) are complete rules
      this.failAt(start, ref.length === 2 ? "`contains` keyword is required for partial set rules" : "rule must have a body or assignment");
    } else if (ref.slice(1).some(isDynamicKey)) kind = "object";
    else kind = "complete";

    if (isDefault) {
      if (value === undefined) throw new RegoParseError("default rule must have a value", loc);
      checkDefaultValue(value);
      return [{ kind, ref, args, key, value, body: [], elses: [], isDefault, assign, loc }];
    }
    let body: Query = [];
    let hasBody = false;
    if (this.isIfKw()) {
      this.next();
      body = this.parseRuleBody();
      hasBody = true;
    } else if (this.isOp("{") ) {
      if (this.regoV1) this.fail("`if` keyword is required before rule body");
      body = this.parseBraceBody();
      hasBody = true;
    }
    if (kind === "set" && this.regoV1 && !usedContains) {
      this.failAt(start, "`contains` keyword is required for partial set rules");
    }
    if (!hasBody && value === undefined && kind !== "set") {
      throw new RegoParseError("rule must have a body or assignment", loc);
    }
    if (this.regoV1 && !hasBody && kind === "set" && !key) {
      throw new RegoParseError("rule must have a body", loc);
    }
    const elses: ElseClause[] = [];
    while (this.isIdent("else")) {
      const et = this.next();
      let ev: Expr | undefined;
      const eop = this.peek();
      if (eop.k === "op" && (eop.v === "=" || eop.v === ":=")) {
        this.next();
        ev = this.parseTermExpr();
      }
      let ebody: Query = [];
      if (this.isIfKw()) {
        this.next();
        ebody = this.parseRuleBody();
      } else if (this.isOp("{")) {
        if (this.regoV1) this.fail("`if` keyword is required before rule body");
        ebody = this.parseBraceBody();
      }
      elses.push({ value: ev, body: ebody, loc: this.loc(et) });
    }
    const rules: Rule[] = [{ kind, ref, args, key, value, body, elses, isDefault, assign, loc }];
    // v0 allows several bodies for one head: `p { a } { b }`
    while (!this.regoV1 && this.isOp("{") && !this.peek().nl && hasBody) {
      rules.push({ kind, ref, args, key, value, body: this.parseBraceBody(), elses: [], isDefault, assign, loc });
    }
    return rules;
  }

  private parseRuleRef(): Expr[] {
    const t = this.next();
    if (t.k !== "ident") this.failAt(t, "expecting rule name");
    if (this.isKeyword(t.v)) this.failAt(t, `unexpected keyword \`${t.v}\``);
    const ref: Expr[] = [{ t: "var", name: t.v, loc: this.loc(t) }];
    for (;;) {
      const s = this.peek();
      if (s.k === "op" && s.v === "." && this.adjacent(s)) {
        this.next();
        const id = this.next();
        if (id.k !== "ident" || id.pos !== s.end) this.failAt(id, "invalid whitespace between . and identifier");
        ref.push({ t: "scalar", value: id.v, loc: this.loc(id) });
      } else if (s.k === "op" && s.v === "[" && this.adjacent(s)) {
        this.next();
        const e = this.withNesting(() => this.parseTermExpr());
        this.expectOp("]");
        ref.push(e);
      } else break;
    }
    return ref;
  }

  /** `if` after a rule head; v0 modules accept it without the future import (as regorus), since
   *  an identifier cannot follow a rule head there anyway */
  private isIfKw(): boolean {
    const t = this.peek();
    return this.isKw("if") || (t.k === "ident" && t.v === "if" && !t.nl);
  }

  private parseRuleBody(): Query {
    if (this.isOp("{")) {
      // `p if { 1 | 1 }`, `p if { k: v | … }`: a body that is one comprehension (regorus)
      const t = this.peek();
      const compr = this.attempt(() => {
        const e = this.parseTerm();
        const end = this.peek();
        if ((e.t !== "setcompr" && e.t !== "objectcompr") || !(end.nl || end.k === "eof")) this.fail("not a comprehension body");
        return e;
      });
      if (compr) return [{ t: "expr", expr: compr, negated: false, withs: [], loc: this.loc(t) }];
      return this.parseBraceBody();
    }
    return [this.parseLiteral()];
  }

  private parseBraceBody(): Query {
    this.expectOp("{");
    const q = this.withoutNesting(() => this.parseBodyLiterals(false));
    this.expectOp("}");
    return q;
  }
}

function isDynamicKey(e: Expr): boolean {
  return !(e.t === "scalar" && typeof e.value === "string");
}

function checkDefaultValue(e: Expr): void {
  const bad = (what: string): never => {
    throw new RegoParseError(`invalid \`${what}\` in default value`, e.loc);
  };
  switch (e.t) {
    case "scalar":
    case "arraycompr":
    case "setcompr":
    case "objectcompr":
      return;
    case "var":
      return bad("var");
    case "ref":
      return bad("ref");
    case "call":
      return bad("call");
    case "neg":
      return bad("unaryexpr");
    case "binop":
      if (e.op === "|" || e.op === "&") return bad("binexpr");
      if (["+", "-", "*", "/", "%"].includes(e.op)) return bad("arithexpr");
      return bad("boolexpr");
    case "in":
      return bad("membership");
    case "array":
    case "set":
      for (const i of e.items) checkDefaultValue(i);
      return;
    case "object":
      for (const [k, v] of e.entries) {
        checkDefaultValue(k);
        checkDefaultValue(v);
      }
      return;
    default:
      return bad(e.t);
  }
}
