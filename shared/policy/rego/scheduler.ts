// Body reordering for safety: literals run once the variables they read are
// bound (as OPA does), e.g. `y > 1; y = x + 1` runs the unification first.
// Literals that never become ready keep their original relative order.

import type { Expr, Literal, Query } from "./ast.ts";

type Slots = Set<number>;

function slotOf(e: Expr): number | undefined {
  return e.t === "var" && e.bind && e.bind.kind !== "global" ? e.bind.slot : undefined;
}

/** every local slot referenced anywhere in e, including nested bodies */
function allSlots(e: Expr, out: Slots): void {
  const s = slotOf(e);
  if (s !== undefined) {
    out.add(s);
    return;
  }
  switch (e.t) {
    case "ref":
      allSlots(e.head, out);
      for (const p of e.path) allSlots(p, out);
      return;
    case "array":
    case "set":
      for (const i of e.items) allSlots(i, out);
      return;
    case "object":
      for (const [k, v] of e.entries) {
        allSlots(k, out);
        allSlots(v, out);
      }
      return;
    case "arraycompr":
    case "setcompr":
      allSlots(e.term, out);
      bodySlots(e.body, out);
      return;
    case "objectcompr":
      allSlots(e.key, out);
      allSlots(e.value, out);
      bodySlots(e.body, out);
      return;
    case "call":
      for (const a of e.args) allSlots(a, out);
      return;
    case "binop":
      allSlots(e.left, out);
      allSlots(e.right, out);
      return;
    case "neg":
      allSlots(e.expr, out);
      return;
    case "in":
      if (e.key) allSlots(e.key, out);
      allSlots(e.value, out);
      allSlots(e.coll, out);
      return;
    case "assign":
    case "unify":
      allSlots(e.lhs, out);
      allSlots(e.rhs, out);
      return;
  }
}

export function bodySlots(q: Query, out: Slots): void {
  for (const lit of q) literalSlots(lit, out);
}

function literalSlots(lit: Literal, out: Slots): void {
  switch (lit.t) {
    case "expr":
      allSlots(lit.expr, out);
      for (const w of lit.withs) allSlots(w.value, out);
      return;
    case "some":
      return;
    case "somein":
      if (lit.key) allSlots(lit.key, out);
      allSlots(lit.value, out);
      allSlots(lit.coll, out);
      return;
    case "every":
      if (lit.key) allSlots(lit.key, out);
      allSlots(lit.value, out);
      allSlots(lit.domain, out);
      bodySlots(lit.body, out);
      return;
  }
}

class BodyScheduler {
  /** slots visible to this body (bound before it, or appearing at its level) */
  constructor(private readonly visible: Slots) {}

  /** can `e` be evaluated (as a value, enumerating unbound ref keys) with `bound`? */
  canEval(e: Expr, bound: Slots): boolean {
    const s = slotOf(e);
    if (s !== undefined) return bound.has(s);
    switch (e.t) {
      case "scalar":
      case "var":
        return true;
      case "ref":
        if (!this.canEval(e.head, bound)) return false;
        for (const p of e.path) if (slotOf(p) === undefined && !this.canEval(p, bound)) return false;
        return true;
      case "array":
      case "set":
        return e.items.every((i) => this.canEval(i, bound));
      case "object":
        return e.entries.every(([k, v]) => this.canEval(k, bound) && this.canEval(v, bound));
      case "arraycompr":
      case "setcompr":
      case "objectcompr": {
        const used = new Set<number>();
        allSlots(e, used);
        for (const u of used) if (this.visible.has(u) && !bound.has(u)) return false;
        return true;
      }
      case "call":
        return e.args.every((a) => this.canEval(a, bound));
      case "binop":
        return this.canEval(e.left, bound) && this.canEval(e.right, bound);
      case "neg":
        return this.canEval(e.expr, bound);
      case "in":
        return (!e.key || this.canEval(e.key, bound)) && this.canEval(e.value, bound) && this.canEval(e.coll, bound);
      case "assign":
        return this.canEval(e.rhs, bound);
      case "unify":
        return this.canUnify(e.lhs, e.rhs, bound);
    }
  }

  private canUnify(l: Expr, r: Expr, bound: Slots): boolean {
    if (this.canEval(r, bound) || this.canEval(l, bound)) return true;
    if (l.t === "array" && r.t === "array" && l.items.length === r.items.length) {
      return l.items.every((x, i) => this.canUnify(x, r.items[i], bound));
    }
    return false;
  }

  ready(lit: Literal, bound: Slots): boolean {
    switch (lit.t) {
      case "some":
        return true;
      case "expr": {
        if (!lit.withs.every((w) => this.canEval(w.value, bound))) return false;
        if (lit.negated) {
          const used = new Set<number>();
          allSlots(lit.expr, used);
          for (const u of used) if (this.visible.has(u) && !bound.has(u) && !this.ownLevel(lit, u)) return false;
          return true;
        }
        return this.canEval(lit.expr, bound);
      }
      case "somein":
        return this.canEval(lit.coll, bound);
      case "every": {
        if (!this.canEval(lit.domain, bound)) return false;
        const used = new Set<number>();
        bodySlots(lit.body, used);
        for (const u of used) if (this.visible.has(u) && !bound.has(u)) return false;
        return true;
      }
    }
  }

  /** slot u is only referenced by this (negated) literal: it is local to it */
  private ownLevel(_lit: Literal, u: number): boolean {
    return !this.producedElsewhere.has(u);
  }
  producedElsewhere: Slots = new Set();

  schedule(q: Query, bound: Slots): Query {
    // slots produced by non-negated literals
    for (const lit of q) {
      if (lit.t === "expr" && lit.negated) continue;
      if (lit.t === "every" || lit.t === "some") continue;
      literalSlots(lit, this.producedElsewhere);
    }
    const remaining = [...q];
    const out: Query = [];
    const b = new Set(bound);
    while (remaining.length) {
      let idx = remaining.findIndex((l) => this.ready(l, b));
      if (idx < 0) idx = 0;
      const lit = remaining.splice(idx, 1)[0];
      scheduleNested(lit, b);
      out.push(lit);
      if (!(lit.t === "expr" && lit.negated) && lit.t !== "every" && lit.t !== "some") literalSlots(lit, b);
    }
    return out;
  }
}

/** reorder `q` in place given the slots bound before it; recurses into nested bodies */
export function scheduleBody(q: Query, bound: Slots): void {
  const visible = new Set(bound);
  for (const lit of q) levelSlots(lit, visible);
  const s = new BodyScheduler(visible);
  const order = s.schedule(q, bound);
  q.splice(0, q.length, ...order);
}

function levelSlots(lit: Literal, out: Slots): void {
  const add = (e: Expr) => levelExprSlots(e, out);
  switch (lit.t) {
    case "expr":
      add(lit.expr);
      for (const w of lit.withs) add(w.value);
      return;
    case "somein":
      if (lit.key) add(lit.key);
      add(lit.value);
      add(lit.coll);
      return;
    case "every":
      add(lit.domain);
      return;
    case "some":
      for (const v of lit.vars) add(v);
      return;
  }
}

function levelExprSlots(e: Expr, out: Slots): void {
  const s = slotOf(e);
  if (s !== undefined) {
    out.add(s);
    return;
  }
  switch (e.t) {
    case "ref":
      levelExprSlots(e.head, out);
      for (const p of e.path) levelExprSlots(p, out);
      return;
    case "array":
    case "set":
      for (const i of e.items) levelExprSlots(i, out);
      return;
    case "object":
      for (const [k, v] of e.entries) {
        levelExprSlots(k, out);
        levelExprSlots(v, out);
      }
      return;
    case "call":
      for (const a of e.args) levelExprSlots(a, out);
      return;
    case "binop":
      levelExprSlots(e.left, out);
      levelExprSlots(e.right, out);
      return;
    case "neg":
      levelExprSlots(e.expr, out);
      return;
    case "in":
      if (e.key) levelExprSlots(e.key, out);
      levelExprSlots(e.value, out);
      levelExprSlots(e.coll, out);
      return;
    case "assign":
    case "unify":
      levelExprSlots(e.lhs, out);
      levelExprSlots(e.rhs, out);
      return;
    default:
      return;
  }
}

export function scheduleNested(lit: Literal, bound: Slots): void {
  const visit = (e: Expr): void => {
    switch (e.t) {
      case "arraycompr":
      case "setcompr":
      case "objectcompr":
        scheduleBody(e.body, bound);
        return;
      case "ref":
        visit(e.head);
        e.path.forEach(visit);
        return;
      case "array":
      case "set":
        e.items.forEach(visit);
        return;
      case "object":
        for (const [k, v] of e.entries) {
          visit(k);
          visit(v);
        }
        return;
      case "call":
        e.args.forEach(visit);
        return;
      case "binop":
        visit(e.left);
        visit(e.right);
        return;
      case "neg":
        visit(e.expr);
        return;
      case "in":
        if (e.key) visit(e.key);
        visit(e.value);
        visit(e.coll);
        return;
      case "assign":
      case "unify":
        visit(e.lhs);
        visit(e.rhs);
        return;
      default:
        return;
    }
  };
  switch (lit.t) {
    case "expr":
      visit(lit.expr);
      lit.withs.forEach((w) => visit(w.value));
      return;
    case "somein":
      visit(lit.coll);
      return;
    case "every": {
      visit(lit.domain);
      const inner = new Set(bound);
      if (lit.key) allSlots(lit.key, inner);
      allSlots(lit.value, inner);
      scheduleBody(lit.body, inner);
      return;
    }
    default:
      return;
  }
}
