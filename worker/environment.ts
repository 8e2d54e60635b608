// The environment a run's commands see, and the secrets to keep out of logs and notes.
//
// Precedence, lowest first (Spacelift's: computed values < the stack's variables): the variables
// the worker passes through (PATH, HOME, … from its configuration), the driver's (TF_IN_AUTOMATION,
// …), the run's metadata (GANTRY_* and Spacelift's TF_VAR_spacelift_*), then the stack's own
// variables, secret ones included. TF_VAR_spacelift_run_state follows the state of each phase.
import { backendEnvironment } from "../shared/state/override.ts";
import { Buffer } from "node:buffer";
import type { RunSpec } from "../shared/workers/protocol.ts";
import type { Workspace } from "./drivers/driver.ts";

/** Stack variables that carry HTTPS credentials for the clone; never passed in a URL or an argument. */
export const GIT_USERNAME_VARIABLE = "GANTRY_GIT_USERNAME";
export const GIT_TOKEN_VARIABLE = "GANTRY_GIT_TOKEN";

export type Credentials = Readonly<{ username: string; password: string }>;

/** A URL without its user information (`https://user:token@host/…` → `https://host/…`). */
export function withoutCredentials(url: string): string {
  try {
    const parsed = new URL(url);
    if (!parsed.username && !parsed.password) return url;
    parsed.username = "";
    parsed.password = "";
    return parsed.toString();
  } catch {
    return url.replace(/^([a-z][a-z0-9+.-]*:\/\/)[^@/]*@/i, "$1");
  }
}

/**
 * The clone's credentials: the stack's VCS integration's (RunSpec.repository.credentials), else the
 * stack's GANTRY_GIT_TOKEN (and GANTRY_GIT_USERNAME, default x-access-token), else user
 * information in an https URL. Null when there are none.
 */
export function gitCredentials(run: RunSpec): Credentials | null {
  if (run.repository.credentials) return { username: run.repository.credentials.username, password: run.repository.credentials.password };
  const variable = (name: string) => run.environment.find((v) => v.name === name)?.value;
  const token = variable(GIT_TOKEN_VARIABLE);
  if (token) return { username: variable(GIT_USERNAME_VARIABLE) || "x-access-token", password: token };
  try {
    const url = new URL(run.repository.url ?? "");
    if ((url.protocol === "https:" || url.protocol === "http:") && (url.username || url.password)) {
      return { username: decodeURIComponent(url.username) || "x-access-token", password: decodeURIComponent(url.password) };
    }
  } catch {
    // not a URL git would take over HTTPS: no credentials
  }
  return null;
}

/** The values to mask: secret variables, secret files' contents (line by line), credentials in the URL. */
export function secretValues(run: RunSpec): string[] {
  const values = new Set<string>();
  for (const v of run.environment) if (v.secret && v.value.length >= 3) values.add(v.value);
  if (run.stateBackend) values.add(run.stateBackend.password);
  if (run.repository.credentials && run.repository.credentials.password.length >= 3) values.add(run.repository.credentials.password);
  const token = run.environment.find((v) => v.name === GIT_TOKEN_VARIABLE)?.value;
  if (token && token.length >= 3) values.add(token);
  for (const f of run.files) {
    if (!f.secret) continue;
    const text = Buffer.from(f.contentBase64, "base64").toString("utf8");
    for (const line of text.split("\n")) if (line.trim().length >= 6) values.add(line.trim());
  }
  const credentials = gitCredentials(run);
  if (credentials && credentials.password.length >= 3) values.add(credentials.password);
  // Longest first, so a secret that contains another is masked whole.
  return [...values].sort((a, b) => b.length - a.length);
}

/** `text` with every secret value replaced by `*****`. */
export function maskSecrets(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const secret of secrets) if (out.includes(secret)) out = out.split(secret).join("*****");
  return out;
}

export type EnvironmentInput = Readonly<{
  commit: string;
  workspace: Workspace;
  /** What the worker passes through from its own environment (worker/config.ts). */
  base: Readonly<Record<string, string>>;
  /** The driver's variables (TF_IN_AUTOMATION, …). */
  driver?: Readonly<Record<string, string>>;
}>;

/** The environment of the run's commands, before the per-phase TF_VAR_spacelift_run_state. */
export function runEnvironment(run: RunSpec, input: EnvironmentInput): Record<string, string> {
  const { commit, workspace } = input;
  const repository = run.repository.url ? withoutCredentials(run.repository.url) : "";
  const metadata: Record<string, string> = {
    GANTRY_RUN_ID: run.id,
    GANTRY_RUN_TYPE: run.type,
    GANTRY_STACK_ID: run.stackId,
    GANTRY_COMMIT_SHA: commit,
    GANTRY_COMMIT_BRANCH: run.repository.branch,
    GANTRY_WORKSPACE_ROOT: workspace.root,
    GANTRY_PROJECT_ROOT: run.repository.projectRoot,
    TF_VAR_spacelift_run_id: run.id,
    TF_VAR_spacelift_run_type: run.type,
    TF_VAR_spacelift_stack_id: run.stackId,
    TF_VAR_spacelift_commit_sha: commit,
    TF_VAR_spacelift_commit_branch: run.repository.branch,
    TF_VAR_spacelift_project_root: run.repository.projectRoot,
    TF_VAR_spacelift_repository: repository,
    TF_VAR_spacelift_workspace_root: workspace.root,
    TF_VAR_spacelift_local_preview: "false",
  };
  const stack: Record<string, string> = {};
  for (const v of run.environment) if (v.name !== GIT_TOKEN_VARIABLE && v.name !== GIT_USERNAME_VARIABLE) stack[v.name] = v.value;
  // Managed state: the backend's settings, after the stack's variables so none can redirect them.
  const backend = run.stateBackend ? backendEnvironment(run.stateBackend) : {};
  return { ...input.base, ...input.driver, ...metadata, ...stack, ...backend };
}

/** Run metadata that changes with the phase: the state, and in afterRun hooks the final state. */
export function phaseEnvironment(env: Readonly<Record<string, string>>, state: string, finalState?: string): Record<string, string> {
  return {
    ...env,
    TF_VAR_spacelift_run_state: state,
    GANTRY_RUN_STATE: state,
    ...(finalState ? { TF_VAR_spacelift_final_run_state: finalState, GANTRY_FINAL_RUN_STATE: finalState } : {}),
  };
}
