// What a worker clones for a stack (RunSpec.repository): GitHub and GitLab stacks get the https
// clone URL of their integration's host and credentials for it (a token, or a GitHub App
// installation token minted now, valid for an hour); raw Git stacks their repository URL, with
// their integration's username and password when it has them. The URL never carries credentials.
import type { Db } from "../db/connect.ts";
import { clientForIntegration, stackIntegration } from "./clients.ts";
import { vcsKey } from "./integration.ts";
import { integrationCredentials } from "./queries.ts";

export type CloneSource = Readonly<{ url: string | null; credentials?: Readonly<{ username: string; password: string }> }>;

type StackRef = Readonly<{ provider: string; namespace: string; repository: string; vcsIntegrationId: string | null }>;

/** configKey: the configuration-elements key the worker API already holds (vcsKey derives from it). */
export async function cloneSource(db: Db, configKey: Buffer, stack: StackRef): Promise<CloneSource> {
  if (stack.provider === "GIT") {
    if (stack.repository === "") return { url: null };
    const integration = await stackIntegration(db, stack);
    const c = integration ? await integrationCredentials(db, vcsKey(configKey), integration.id) : null;
    return c?.username !== undefined && c.password !== undefined ? { url: stack.repository, credentials: { username: c.username, password: c.password } } : { url: stack.repository };
  }
  if (stack.provider !== "GITHUB" && stack.provider !== "GITLAB") return { url: null };
  const integration = await stackIntegration(db, stack);
  if (!integration) return { url: null };
  const client = await clientForIntegration(db, vcsKey(configKey), integration);
  const auth = await client.cloneAuth({ namespace: stack.namespace, name: stack.repository });
  return auth.credentials ? { url: auth.url, credentials: auth.credentials } : { url: auth.url };
}
