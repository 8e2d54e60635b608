// Tokeniser for Rego source. Newlines are not tokens: each token records
// whether a newline preceded it, which the parser uses as a separator.

import { RegoParseError } from "./errors.ts";

export type TokenKind = "ident" | "string" | "number" | "op" | "eof";

export interface Token {
  k: TokenKind;
  v: string;
  line: number;
  col: number;
  pos: number;
  end: number;
  /** a newline (or start of input) precedes this token */
  nl: boolean;
  raw?: boolean;
}

const OPS3 = new Set<string>([]);
const OPS2 = new Set([":=", "==", "!=", "<=", ">="]);
const OPS1 = new Set(["{", "}", "[", "]", "(", ")", ".", ",", ";", ":", "=", "<", ">", "+", "-", "*", "/", "%", "|", "&"]);

function isIdentStart(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || c === 95;
}
function isIdentPart(c: number): boolean {
  return isIdentStart(c) || (c >= 48 && c <= 57);
}
function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

export function tokenize(src: string, file: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  let line = 1;
  let lineStart = 0;
  let nl = true;
  const n = src.length;
  const err = (msg: string, at: number, l = line, ls = lineStart): never => {
    throw new RegoParseError(msg, { file, line: l, col: at - ls + 1 });
  };
  while (i < n) {
    const c = src.charCodeAt(i);
    if (c === 10) {
      i++;
      line++;
      lineStart = i;
      nl = true;
      continue;
    }
    if (c === 32 || c === 9 || c === 13) {
      i++;
      continue;
    }
    if (c === 35) {
      // comment
      while (i < n && src.charCodeAt(i) !== 10) i++;
      continue;
    }
    const start = i;
    const col = i - lineStart + 1;
    const startLine = line;
    if (isIdentStart(c)) {
      while (i < n && isIdentPart(src.charCodeAt(i))) i++;
      out.push({ k: "ident", v: src.slice(start, i), line, col, pos: start, end: i, nl });
      nl = false;
      continue;
    }
    if (isDigit(c) || (c === 46 && isDigit(src.charCodeAt(i + 1)) && !(out.length && isRefEnd(out[out.length - 1]) && out[out.length - 1].end === i))) {
      while (i < n && isDigit(src.charCodeAt(i))) i++;
      if (src.charCodeAt(i) === 46 && isDigit(src.charCodeAt(i + 1))) {
        i++;
        while (i < n && isDigit(src.charCodeAt(i))) i++;
      }
      const e = src.charCodeAt(i);
      if (e === 101 || e === 69) {
        let j = i + 1;
        const s = src.charCodeAt(j);
        if (s === 43 || s === 45) j++;
        if (isDigit(src.charCodeAt(j))) {
          i = j;
          while (i < n && isDigit(src.charCodeAt(i))) i++;
        }
      }
      out.push({ k: "number", v: src.slice(start, i), line, col, pos: start, end: i, nl });
      nl = false;
      continue;
    }
    if (c === 34) {
      // "string"
      i++;
      let s = "";
      for (;;) {
        if (i >= n || src.charCodeAt(i) === 10) err("unterminated string", start, startLine);
        const ch = src[i];
        if (ch === '"') {
          i++;
          break;
        }
        if (ch === "\\") {
          const esc = src[i + 1];
          i += 2;
          switch (esc) {
            case '"': s += '"'; break;
            case "\\": s += "\\"; break;
            case "/": s += "/"; break;
            case "b": s += "\b"; break;
            case "f": s += "\f"; break;
            case "n": s += "\n"; break;
            case "r": s += "\r"; break;
            case "t": s += "\t"; break;
            case "u": {
              const hex = src.slice(i, i + 4);
              if (!/^[0-9a-fA-F]{4}$/.test(hex)) err("invalid unicode escape in string", i - 2);
              s += String.fromCharCode(parseInt(hex, 16));
              i += 4;
              break;
            }
            default:
              err(`invalid escape sequence \\${esc ?? ""}`, i - 2);
          }
          continue;
        }
        s += ch;
        i++;
      }
      out.push({ k: "string", v: s, line: startLine, col, pos: start, end: i, nl });
      nl = false;
      continue;
    }
    if (c === 96) {
      // `raw string`
      i++;
      const close = src.indexOf("`", i);
      if (close < 0) err("unterminated raw string", start, startLine);
      const s = src.slice(i, close);
      for (const ch of s) if (ch === "\n") line++;
      const lastNl = s.lastIndexOf("\n");
      if (lastNl >= 0) lineStart = i + lastNl + 1;
      i = close + 1;
      out.push({ k: "string", v: s, line: startLine, col, pos: start, end: i, nl, raw: true });
      nl = false;
      continue;
    }
    const two = src.slice(i, i + 2);
    const three = src.slice(i, i + 3);
    let op: string | undefined;
    if (OPS3.has(three)) op = three;
    else if (OPS2.has(two)) op = two;
    else if (OPS1.has(src[i])) op = src[i];
    if (!op) err(`unexpected character '${src[i]}'`, i);
    i += op!.length;
    out.push({ k: "op", v: op!, line, col, pos: start, end: i, nl });
    nl = false;
  }
  out.push({ k: "eof", v: "", line, col: i - lineStart + 1, pos: i, end: i, nl: true });
  return out;
}

function isRefEnd(t: Token): boolean {
  return t.k === "ident" || (t.k === "op" && (t.v === "]" || t.v === ")"));
}
