// VCS integrations: GitHub (a token, or GitHub App credentials), GitLab (a token), raw Git (any
// URL, optional credentials, polled). Types and pure validation; SQL is in queries.ts. Credentials
// and webhook secrets are write-only: sealed at rest, never part of an Integration value.
import { createHmac } from "node:crypto";
import { invalid } from "../errors.ts";

export const INTEGRATION_PROVIDERS = Object.freeze(["GITHUB", "GITLAB", "GIT"] as const);
export type IntegrationProvider = (typeof INTEGRATION_PROVIDERS)[number];
/** Providers that deliver webhooks. */
export type HookProvider = Exclude<IntegrationProvider, "GIT">;

export type Integration = Readonly<{
  id: string;
  spaceId: string;
  provider: IntegrationProvider;
  name: string;
  description: string;
  labels: readonly string[];
  isDefault: boolean;
  apiHost: string;
  userFacingHost: string;
  appId: string | null;
  hasCredentials: boolean;
  hasWebhookSecret: boolean;
  createdAt: Date;
  updatedAt: Date;
}>;

/** What is sealed in credentials_sealed. */
export type Credentials = Readonly<{ token?: string; privateKey?: string; username?: string; password?: string }>;

export type IntegrationInput = Readonly<{
  provider: IntegrationProvider;
  spaceId: string;
  name: string;
  description?: string | null;
  labels?: readonly string[] | null;
  isDefault?: boolean | null;
  apiHost?: string | null;
  userFacingHost?: string | null;
  appId?: string | null;
  credentials?: Credentials | null;
  webhookSecret?: string | null;
}>;

export type IntegrationFields = Readonly<{
  spaceId: string;
  provider: IntegrationProvider;
  name: string;
  description: string;
  labels: readonly string[];
  isDefault: boolean;
  apiHost: string;
  userFacingHost: string;
  appId: string | null;
}>;

/**
 * The key VCS credentials are sealed with: a subkey of the configuration key
 * (deriveKey(secretKey, "config-elements")), so every process that already holds that key (the
 * GraphQL API, the worker API, the drain) derives it without new plumbing, and a leaked VCS key
 * reveals nothing else.
 */
export function vcsKey(configKey: Buffer): Buffer {
  return createHmac("sha256", configKey).update("gantry:vcs-credentials").digest();
}

const httpsUrl = (value: string, what: string): string => {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw invalid(`${what} must be a URL`);
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") throw invalid(`${what} must be an http(s) URL`);
  if (url.username || url.password) throw invalid(`${what} must not carry credentials`);
  return value.replace(/\/+$/, "");
};

/** api.github.com → github.com; https://ghe.example.com/api/v3 → https://ghe.example.com. */
export function defaultUserFacingHost(provider: IntegrationProvider, apiHost: string): string {
  if (provider === "GITHUB") {
    const url = new URL(apiHost);
    if (url.hostname === "api.github.com") return "https://github.com";
    return `${url.protocol}//${url.host}`;
  }
  return apiHost;
}

const DEFAULT_API_HOSTS: Readonly<Record<IntegrationProvider, string>> = Object.freeze({ GITHUB: "https://api.github.com", GITLAB: "https://gitlab.com", GIT: "" });

/** Validates and normalises what create and update store (credentials are checked by checkCredentials). */
export function integrationFields(input: IntegrationInput): IntegrationFields {
  if (!INTEGRATION_PROVIDERS.includes(input.provider)) throw invalid(`provider must be one of ${INTEGRATION_PROVIDERS.join(", ")}`);
  if (typeof input.name !== "string" || input.name.trim() === "" || input.name.length > 100) throw invalid("an integration needs a name of 1 to 100 characters");
  const labels = [...(input.labels ?? [])];
  if (new Set(labels).size !== labels.length) throw invalid("labels must be unique");
  const apiHost = input.provider === "GIT" ? "" : httpsUrl(input.apiHost || DEFAULT_API_HOSTS[input.provider], "apiHost");
  const userFacingHost = input.provider === "GIT" ? "" : input.userFacingHost ? httpsUrl(input.userFacingHost, "userFacingHost") : defaultUserFacingHost(input.provider, apiHost);
  const appId = input.appId?.trim() || null;
  if (appId !== null && input.provider !== "GITHUB") throw invalid("appID applies to GitHub integrations only");
  if (appId !== null && !/^\d{1,20}$/.test(appId)) throw invalid("appID must be the GitHub App's numeric id");
  return {
    spaceId: input.spaceId,
    provider: input.provider,
    name: input.name.trim(),
    description: input.description ?? "",
    labels,
    isDefault: input.isDefault ?? false,
    apiHost,
    userFacingHost,
    appId,
  };
}

/** GitHub: a token, or an App's private key with its appID. GitLab: a token. Raw Git: nothing, or a username and password. */
export function checkCredentials(provider: IntegrationProvider, appId: string | null, c: Credentials | null | undefined, creating: boolean): void {
  const given = c ?? {};
  if (provider === "GITHUB") {
    if (given.token && given.privateKey) throw invalid("give a token or an App's private key, not both");
    if (given.privateKey && !appId) throw invalid("a GitHub App private key needs its appID");
    if (creating && !given.token && !given.privateKey) throw invalid("a GitHub integration needs a token, or an appID and a privateKey");
    if (given.privateKey && !/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(given.privateKey)) throw invalid("privateKey must be a PEM private key");
  } else if (provider === "GITLAB") {
    if (creating && !given.token) throw invalid("a GitLab integration needs a privateToken");
  } else if ((given.username === undefined) !== (given.password === undefined)) {
    throw invalid("a raw Git integration takes a username and a password together, or neither");
  }
}

export function checkWebhookSecret(secret: string): string {
  if (secret.length < 16 || secret.length > 256) throw invalid("webhookSecret must be 16 to 256 characters long");
  return secret;
}
