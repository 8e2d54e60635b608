// The client for an integration, by provider; and the integration (with its credentials) a stack
// uses: the one it names, or its provider's default.
import type { Db } from "../db/connect.ts";
import { GantryError } from "../errors.ts";
import type { ClientOptions, VcsClient } from "./client.ts";
import { githubClient } from "./github.ts";
import { gitlabClient } from "./gitlab.ts";
import type { Credentials, Integration, IntegrationProvider } from "./integration.ts";
import { defaultIntegration, getIntegration, integrationCredentials } from "./queries.ts";

export function createClient(integration: Integration, credentials: Credentials | null, options: ClientOptions = {}): VcsClient {
  if (integration.provider === "GITHUB") return githubClient(integration, credentials, options);
  if (integration.provider === "GITLAB") return gitlabClient(integration, credentials, options);
  throw new GantryError("Invalid", `raw Git integrations have no API client`);
}

const PROVIDERS: readonly string[] = ["GITHUB", "GITLAB", "GIT"];

/** The integration a stack uses: the one it names, or the default of its provider; null when none. */
export async function stackIntegration(db: Db, stack: Readonly<{ provider: string; vcsIntegrationId: string | null }>): Promise<Integration | null> {
  if (!PROVIDERS.includes(stack.provider)) return null;
  if (stack.vcsIntegrationId) {
    const found = await getIntegration(db, stack.vcsIntegrationId);
    return found && found.provider === stack.provider ? found : null;
  }
  return defaultIntegration(db, stack.provider as IntegrationProvider);
}

export async function clientForIntegration(db: Db, key: Buffer, integration: Integration, options: ClientOptions = {}): Promise<VcsClient> {
  return createClient(integration, await integrationCredentials(db, key, integration.id), options);
}
