// The rule tree: every rule's full data path, grouped into rule sets that the
// evaluator memoizes per evaluation.

import type { Expr, Module, Rule, RuleKind } from "./ast.ts";
import { RegoError } from "./errors.ts";

export interface RuleSet {
  id: number;
  /** path below `data` */
  path: string[];
  kind: RuleKind;
  rules: Rule[];
  defaults: Rule[];
  arity: number;
  /** every rule is `p := <constant>`-like or a boolean: first solution decides */
  module: Module;
  /** the tree node holding this rule set (an object rule set may have child rules, e.g. `p[1] = 1` and `p.q = 2`) */
  node: TreeNode;
}

export interface TreeNode {
  children: Map<string, TreeNode>;
  ruleSet?: RuleSet;
}

export function newNode(): TreeNode {
  return { children: new Map() };
}

/** static prefix of a rule head ref: name plus leading string keys */
export function staticPrefix(ref: Expr[]): { names: string[]; rest: Expr[] } {
  const names = [(ref[0] as { name: string }).name];
  let i = 1;
  for (; i < ref.length; i++) {
    const p = ref[i];
    if (p.t === "scalar" && typeof p.value === "string") names.push(p.value);
    else break;
  }
  return { names, rest: ref.slice(i) };
}

export class RuleIndex {
  readonly root = newNode();
  readonly sets: RuleSet[] = [];

  add(mod: Module, rule: Rule): RuleSet {
    const { names } = staticPrefix(rule.ref);
    const path = [...mod.pkg, ...names];
    let node = this.root;
    for (let i = 0; i < path.length; i++) {
      if (node.ruleSet && node.ruleSet.kind !== "object") {
        throw new RegoError("rego_compile_error", `rule conflicts with the following rule: data.${node.ruleSet.path.join(".")}`, rule.loc);
      }
      let c = node.children.get(path[i]);
      if (!c) {
        c = newNode();
        node.children.set(path[i], c);
      }
      node = c;
    }
    let rs = node.ruleSet;
    if (!rs) {
      if (node.children.size > 0 && rule.kind !== "object") {
        throw new RegoError("rego_compile_error", `rule conflicts with the following rule: data.${path.join(".")}`, rule.loc);
      }
      rs = { id: this.sets.length, path, kind: rule.kind, rules: [], defaults: [], arity: rule.args?.length ?? 0, module: mod, node };
      node.ruleSet = rs;
      this.sets.push(rs);
    } else if (rs.kind !== rule.kind) {
      if (rule.isDefault && rs.kind !== "function" && rule.kind !== "function") {
        // `default p[k] = v` next to `p[k] = v` style rules: keep the set's kind
      } else if (!(rs.rules.length === 0 && rs.defaults.length > 0 && !rs.defaults[0].args === !rule.args)) {
        throw new RegoError("rego_compile_error", `rule conflicts with the following rule: data.${path.join(".")} (${rs.kind} vs ${rule.kind})`, rule.loc);
      } else {
        rs.kind = rule.kind;
      }
    }
    if (rule.kind === "function" && rs.kind === "function" && (rs.rules.length || rs.defaults.length) && rs.arity !== rule.args!.length) {
      throw new RegoError("rego_compile_error", `function data.${path.join(".")} has arity ${rs.arity} and ${rule.args!.length}`, rule.loc);
    }
    if (rule.isDefault && rule.kind !== "object") {
      if (rs.defaults.length > 0) throw new RegoError("rego_compile_error", `multiple default rules data.${path.join(".")} found`, rule.loc);
      rs.defaults.push(rule);
    } else rs.rules.push(rule);
    return rs;
  }

  /** make the package's node exist, so an empty package reads as `{}` */
  addPackage(pkg: string[]): void {
    let node = this.root;
    for (const name of pkg) {
      if (node.ruleSet) return;
      let c = node.children.get(name);
      if (!c) node.children.set(name, (c = newNode()));
      node = c;
    }
  }

  /** rule set at exactly this data path (without "data") */
  find(path: string[]): RuleSet | undefined {
    let node: TreeNode | undefined = this.root;
    for (const p of path) {
      node = node.children.get(p);
      if (!node) return undefined;
    }
    return node.ruleSet;
  }

  /** is there any rule at or below this path? */
  hasPrefix(path: string[]): boolean {
    let node: TreeNode | undefined = this.root;
    for (const p of path) {
      node = node.children.get(p);
      if (!node) return false;
    }
    return true;
  }
}

function constantOf(r: Rule): Expr | undefined {
  if (r.body.length || r.elses.length || r.isDefault) return undefined;
  const v = r.value;
  if (!v) return undefined;
  if (v.t === "scalar") return v;
  if ((v.t === "array" || v.t === "set" || v.t === "object") && v.cv !== undefined) return v;
  return undefined;
}

/** unconditional rules with constant, different values for the same document (regorus reports these at compile time) */
export function checkStaticConflicts(index: RuleIndex, same: (a: Expr, b: Expr) => boolean): void {
  for (const rs of index.sets) {
    if (rs.kind !== "complete" && !(rs.kind === "function" && rs.arity === 0)) continue;
    let first: Expr | undefined;
    for (const r of rs.rules) {
      if (rs.kind === "complete" && staticPrefix(r.ref).rest.length) continue;
      const c = constantOf(r);
      if (!c) continue;
      if (!first) first = c;
      else if (!same(first, c)) {
        const msg = rs.kind === "function"
          ? `rules should not produce multiple outputs: data.${rs.path.join(".")}`
          : `rule conflicts with the following rule: data.${rs.path.join(".")}`;
        throw new RegoError("rego_compile_error", msg, r.loc);
      }
    }
  }
}
