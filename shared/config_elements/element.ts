// A stack's configuration elements (Spacelift's ConfigElement): environment variables and mounted
// files. Values are sealed at rest (shared/crypto_seal.ts); a write-only element's value is never
// served again, only given to the worker running the stack. Pure checks here; SQL in queries.ts.
import { createHash } from "node:crypto";
import { invalid } from "../errors.ts";

export const CONFIG_TYPES = Object.freeze(["ENVIRONMENT_VARIABLE", "FILE_MOUNT"] as const);
export type ConfigType = (typeof CONFIG_TYPES)[number];

export type ConfigElement = Readonly<{
  stackId: string;
  id: string;
  type: ConfigType;
  /** The value: null once read back for a client when write-only. */
  value: string | null;
  writeOnly: boolean;
  description: string | null;
  checksum: string;
  createdAt: Date;
}>;

export type ConfigInput = Readonly<{ id: string; type: string; value: string; writeOnly: boolean; description?: string | null }>;

export const MAX_VALUE_BYTES = 256 * 1024;
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,254}$/;
/** Variables a stack may not set: the run's own metadata and what would change the worker's tools under it. */
const RESERVED = /^(GANTRY_|SPACELIFT_|TF_VAR_spacelift_)/;

export const checksum = (value: string): string => createHash("sha256").update(value, "utf8").digest("hex");

/** The input checked: a variable name or a relative file path, a value within limits. */
export function checkConfigInput(input: ConfigInput): ConfigInput & { type: ConfigType } {
  if (!(CONFIG_TYPES as readonly string[]).includes(input.type)) throw invalid(`config type must be one of ${CONFIG_TYPES.join(", ")}`);
  const type = input.type as ConfigType;
  if (type === "ENVIRONMENT_VARIABLE") {
    if (!ENV_NAME.test(input.id)) throw invalid(`"${input.id.slice(0, 100)}" is not a valid environment variable name (letters, digits and _, not starting with a digit)`);
    if (RESERVED.test(input.id)) throw invalid(`environment variable ${input.id} is reserved: Gantry sets it for every run`);
    if (input.value.includes("\0")) throw invalid("an environment variable's value cannot contain NUL");
  } else {
    checkMountPath(input.id);
    if (!/^[A-Za-z0-9+/]*={0,2}$/.test(input.value)) throw invalid("a mounted file's value must be base64-encoded");
  }
  if (Buffer.byteLength(input.value, "utf8") > MAX_VALUE_BYTES) throw invalid(`a config value is limited to ${MAX_VALUE_BYTES} bytes`);
  if (input.description != null && input.description.length > 1024) throw invalid("description is limited to 1024 characters");
  return { ...input, type };
}

/** A mounted file's path: relative, normalised, inside the workspace. */
export function checkMountPath(path: string): void {
  const segments = path.split("/");
  const bad = path === "" || path.length > 1024 || path.startsWith("/") || path.includes("\\") || path.includes("\0") || segments.some((s) => s === "" || s === "." || s === "..");
  if (bad) throw invalid(`"${path.slice(0, 100)}" is not a valid mount path: it must be relative to the workspace, without . or .. segments`);
}
