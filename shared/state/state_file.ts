// Terraform (and OpenTofu) state files: checking one before it is stored, and what Gantry takes
// from it — the outputs (Stack.outputs, sensitive values dropped) and the resource instances
// (Stack.entities, values sanitised). Pure functions; no I/O.
import { createHash } from "node:crypto";
import { invalid } from "../errors.ts";

/** The state format Terraform ≥ 0.12 and OpenTofu write. */
export const STATE_FORMAT_VERSION = 4;
const MAX_OUTPUT_VALUE = 1024 * 1024;

export type StateOutput = Readonly<{ id: string; sensitive: boolean; value: string | null }>;

export type StateInstance = Readonly<{
  address: string;
  mode: string;
  type: string;
  name: string;
  /** The module address, "" for the root module. */
  module: string;
  provider: string;
  tainted: boolean;
  /** The attributes as the state holds them: sanitise with sanitisedValues before showing or storing them. */
  attributes: unknown;
  sensitivePaths: ReadonlyArray<ReadonlyArray<string | number>>;
  /** hex SHA-256 of the attributes as the state holds them: a change means the resource was updated. */
  valuesHash: string;
}>;

export type StateFile = Readonly<{
  serial: number;
  lineage: string;
  terraformVersion: string;
  checksum: string;
  size: number;
  /** The parsed document. */
  document: Readonly<Record<string, unknown>>;
}>;

export const sha256 = (bytes: Uint8Array | string): string => createHash("sha256").update(bytes).digest("hex");

/**
 * Checks that bytes are a whole Terraform state (format 4): UTF-8 JSON, an object with a
 * non-negative integer serial, a lineage, outputs and resources of the right shapes. A truncated
 * or corrupted upload fails here with a message that says so.
 */
export function parseStateFile(bytes: Uint8Array): StateFile {
  if (bytes.length === 0) throw invalid("the state is empty");
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    throw invalid("the state is not UTF-8 text: corrupted");
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw invalid(`the state is not valid JSON (truncated or corrupted): ${(error as Error).message}`);
  }
  if (!value || typeof value !== "object" || Array.isArray(value)) throw invalid("the state must be a JSON object");
  const doc = value as Record<string, unknown>;
  if (doc.version !== STATE_FORMAT_VERSION) throw invalid(`the state's format version must be ${STATE_FORMAT_VERSION} (Terraform ≥ 0.12, OpenTofu), got ${JSON.stringify(doc.version ?? null)}`);
  if (!Number.isSafeInteger(doc.serial) || (doc.serial as number) < 0) throw invalid("the state's serial must be a non-negative integer");
  if (typeof doc.lineage !== "string" || doc.lineage === "" || doc.lineage.length > 256) throw invalid("the state's lineage must be a non-empty string");
  if (doc.terraform_version !== undefined && typeof doc.terraform_version !== "string") throw invalid("the state's terraform_version must be a string");
  if (doc.outputs !== undefined && (typeof doc.outputs !== "object" || doc.outputs === null || Array.isArray(doc.outputs))) throw invalid("the state's outputs must be an object");
  for (const [name, output] of Object.entries((doc.outputs ?? {}) as Record<string, unknown>)) {
    if (!output || typeof output !== "object" || !("value" in output)) throw invalid(`the state's output ${name} must be an object with a value`);
  }
  if (doc.resources !== undefined && !Array.isArray(doc.resources)) throw invalid("the state's resources must be a list");
  for (const [i, r] of ((doc.resources ?? []) as unknown[]).entries()) {
    const resource = r as Record<string, unknown> | null;
    if (!resource || typeof resource !== "object" || typeof resource.type !== "string" || typeof resource.name !== "string" || !Array.isArray(resource.instances)) {
      throw invalid(`the state's resources[${i}] must be an object with type, name and instances`);
    }
  }
  return { serial: doc.serial as number, lineage: doc.lineage, terraformVersion: (doc.terraform_version as string | undefined) ?? "", checksum: sha256(bytes), size: bytes.length, document: doc };
}

/** The state's outputs; a sensitive output's value is never returned. */
export function stateOutputs(state: StateFile): StateOutput[] {
  const outputs = (state.document.outputs ?? {}) as Record<string, { value: unknown; sensitive?: unknown }>;
  return Object.entries(outputs)
    .map(([id, o]) => {
      const sensitive = o.sensitive === true;
      const text = sensitive ? null : JSON.stringify(o.value ?? null);
      return { id, sensitive, value: text !== null && text.length <= MAX_OUTPUT_VALUE ? text : null };
    })
    .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

const indexSuffix = (key: unknown): string => (key === undefined || key === null ? "" : typeof key === "string" ? `[${JSON.stringify(key)}]` : `[${String(key)}]`);

/** Every current (not deposed) resource instance of the state. */
export function stateInstances(state: StateFile): StateInstance[] {
  const out: StateInstance[] = [];
  for (const r of (state.document.resources ?? []) as Array<Record<string, unknown>>) {
    const module = typeof r.module === "string" ? r.module : "";
    const mode = typeof r.mode === "string" ? r.mode : "managed";
    const base = `${module ? `${module}.` : ""}${mode === "data" ? "data." : ""}${r.type}.${r.name}`;
    for (const inst of r.instances as Array<Record<string, unknown>>) {
      if (!inst || typeof inst !== "object" || inst.deposed) continue;
      const attributes = inst.attributes ?? (typeof inst.attributes_flat === "object" ? inst.attributes_flat : {});
      out.push({
        address: `${base}${indexSuffix(inst.index_key)}`,
        mode,
        type: r.type as string,
        name: r.name as string,
        module,
        provider: typeof r.provider === "string" ? r.provider : "",
        tainted: inst.status === "tainted",
        attributes,
        sensitivePaths: sensitivePaths(inst.sensitive_attributes),
        valuesHash: sha256(JSON.stringify(attributes ?? null)),
      });
    }
  }
  return out;
}

/** An instance's attributes as Gantry stores and shows them: smart sanitisation hides the sensitive ones, else every string. */
export function sanitisedValues(instance: StateInstance, options: Readonly<{ smartSanitization: boolean }>): unknown {
  return options.smartSanitization ? sanitisePaths(instance.attributes, instance.sensitivePaths) : sanitiseAll(instance.attributes);
}

/** The module addresses the instances live in, with every enclosing module ("module.a", "module.a.module.b"). */
export function moduleAddresses(modules: Iterable<string>): string[] {
  const all = new Set<string>();
  for (const m of modules) {
    const parts = m.match(/module\.[^.[]+(\[[^\]]*\])?/g) ?? [];
    for (let i = 1; i <= parts.length; i++) all.add(parts.slice(0, i).join("."));
  }
  return [...all].sort();
}

/** The enclosing module of a module address, "" at the top. */
export function parentModule(address: string): string {
  const parts = address.match(/module\.[^.[]+(\[[^\]]*\])?/g) ?? [];
  return parts.slice(0, -1).join(".");
}

/** A sanitised value: the first 7 hex characters of its SHA-256 (as Spacelift shows them). */
export const sanitised = (value: unknown): string => sha256(JSON.stringify(value ?? null)).slice(0, 7);

/** Every string replaced by its sanitised form; numbers, booleans and the structure kept. */
export function sanitiseAll(value: unknown): unknown {
  if (typeof value === "string") return sanitised(value);
  if (Array.isArray(value)) return value.map(sanitiseAll);
  if (value && typeof value === "object") return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, sanitiseAll(v)]));
  return value;
}

type Step = string | number;

/** The paths of sensitive_attributes: lists of {type: get_attr|index, value} steps (or bare keys). */
function sensitivePaths(raw: unknown): Step[][] {
  if (!Array.isArray(raw)) return [];
  const step = (s: unknown): Step | null => {
    if (typeof s === "string" || typeof s === "number") return s;
    const v = (s as { value?: unknown } | null)?.value;
    if (typeof v === "string" || typeof v === "number") return v;
    const inner = (v as { value?: unknown } | null)?.value; // index steps: {type: "index", value: {value: 0, type: "number"}}
    return typeof inner === "string" || typeof inner === "number" ? inner : null;
  };
  return raw.map((path) => (Array.isArray(path) ? path : [path]).map(step)).filter((p): p is Step[] => p.length > 0 && p.every((s) => s !== null));
}

/** The value with each sensitive path replaced by its sanitised form (smart sanitisation). */
export function sanitisePaths(value: unknown, paths: ReadonlyArray<ReadonlyArray<Step>>): unknown {
  if (paths.length === 0) return value;
  const copy = structuredClone(value ?? null) as Record<string | number, unknown> | null;
  for (const path of paths) {
    let at: Record<string | number, unknown> | null = copy;
    for (let i = 0; i < path.length - 1 && at && typeof at === "object"; i++) at = at[path[i]] as Record<string | number, unknown> | null;
    const last = path[path.length - 1];
    if (at && typeof at === "object" && last in at) at[last] = sanitised(at[last]);
  }
  return copy;
}
