// The backend override file a worker writes into the project root for a run of a stack with
// managed state (RunSpec.stateBackend): Terraform's `http` backend at Gantry with the run's
// credentials. An *_override.tf file replaces a backend block the project may have. No database
// here: the worker imports this.
import type { StateBackend } from "../workers/protocol.ts";

/** The file's name: Terraform merges *_override.tf files over the configuration. */
export const BACKEND_OVERRIDE_FILE = "gantry_backend_override.tf";

/** An HCL string literal: JSON escapes, plus HCL's template sequences ${ and %{ escaped. */
const hcl = (value: string): string => JSON.stringify(value).replace(/([$%])\{/g, (_, sigil: string) => `${sigil}${sigil}{`);

export function backendOverride(backend: StateBackend): string {
  return [
    "# Written by Gantry for this run: the stack's managed state. Do not commit.",
    "terraform {",
    '  backend "http" {',
    `    address        = ${hcl(backend.address)}`,
    `    lock_address   = ${hcl(backend.lockAddress)}`,
    `    unlock_address = ${hcl(backend.unlockAddress)}`,
    `    username       = ${hcl(backend.username)}`,
    `    password       = ${hcl(backend.password)}`,
    "  }",
    "}",
    "",
  ].join("\n");
}

/**
 * What a worker uses: the override names only the backend, and the settings come from Terraform's
 * TF_HTTP_* variables. A saved plan keeps the backend's configuration, so credentials written into
 * the file at planning would be replayed at the apply, whose hand-over has credentials of its own;
 * the variables are read afresh by each command, and no password lands on disk.
 */
export const ENVIRONMENT_BACKEND_OVERRIDE = ["# Written by Gantry for this run: the stack's managed state (settings in TF_HTTP_* variables). Do not commit.", "terraform {", '  backend "http" {}', "}", ""].join("\n");

export function backendEnvironment(backend: StateBackend): Record<string, string> {
  return {
    TF_HTTP_ADDRESS: backend.address,
    TF_HTTP_LOCK_ADDRESS: backend.lockAddress,
    TF_HTTP_UNLOCK_ADDRESS: backend.unlockAddress,
    TF_HTTP_USERNAME: backend.username,
    TF_HTTP_PASSWORD: backend.password,
  };
}
