// Inbound VCS webhooks, mounted at /webhooks: POST /github and POST /gitlab (and /github/:id,
// /gitlab/:id to name one integration). On the request path only: verify the delivery against
// the integrations' webhook secrets, store it raw (deduplicated by its delivery id) and enqueue
// it in one transaction, answer 202. Processing happens in the drain (drain/webhooks.ts).
// 401 for a missing or bad signature (nothing stored), 413 above the body limit, 400 without a
// delivery id or with a body that is not JSON; an event Gantry does not use is recorded and 202.
import { createHash } from "node:crypto";
import { Hono, type Context as HonoContext } from "hono";
import { bodyLimit } from "hono/body-limit";
import type { Sql } from "../../shared/db/connect.ts";
import type { Logger } from "../../shared/log.ts";
import { recordDelivery } from "../../shared/vcs/deliveries.ts";
import { USED_EVENTS } from "../../shared/vcs/events.ts";
import type { HookProvider } from "../../shared/vcs/integration.ts";
import { webhookSecrets, type WebhookSecret } from "../../shared/vcs/queries.ts";
import { verifyGithub, verifyGitlab } from "../../shared/vcs/signature.ts";

export type WebhookDeps = Readonly<{
  sql: Sql;
  log: Logger;
  /** vcsKey(configKey): opens the integrations' webhook secrets. */
  key: Buffer;
  maxBodyBytes: number;
  /** How long unsealed secrets are reused before they are read again (a miss re-reads at once). */
  secretsTtlMs?: number;
}>;

const error = (c: HonoContext, status: 400 | 401 | 413, code: string, message: string) => c.json({ error: { code, message } }, status);

/** The secrets of each provider's integrations, re-read after a TTL or when none verifies a delivery. */
class SecretCache {
  private readonly entries = new Map<HookProvider, { at: number; secrets: Promise<WebhookSecret[]> }>();
  constructor(private readonly deps: WebhookDeps) {}

  async get(provider: HookProvider, fresh = false): Promise<WebhookSecret[]> {
    const entry = this.entries.get(provider);
    if (!fresh && entry && Date.now() - entry.at < (this.deps.secretsTtlMs ?? 10_000)) return entry.secrets;
    const secrets = webhookSecrets(this.deps.sql, this.deps.key, provider);
    this.entries.set(provider, { at: Date.now(), secrets });
    secrets.catch(() => this.entries.delete(provider));
    return secrets;
  }
}

/** The repository a payload is about (namespace/name), for ordering deliveries per repository. */
function repositoryOf(provider: HookProvider, payload: Record<string, any>): string { // eslint-disable-line @typescript-eslint/no-explicit-any
  const path = provider === "GITHUB" ? payload.repository?.full_name : payload.project?.path_with_namespace;
  return typeof path === "string" ? path : "";
}

export function webhookRoutes(deps: WebhookDeps): Hono {
  const secrets = new SecretCache(deps);
  const app = new Hono();
  app.use(
    "*",
    bodyLimit({
      maxSize: deps.maxBodyBytes,
      onError: (c) => error(c, 413, "Invalid", `request body larger than ${deps.maxBodyBytes} bytes`),
    }),
  );

  const receive = (provider: HookProvider) => async (c: HonoContext) => {
    const body = new Uint8Array(await c.req.arrayBuffer());
    const only = c.req.param("integration");
    const verify = async (fresh: boolean) => {
      const all = await secrets.get(provider, fresh);
      const candidates = only ? all.filter((s) => s.integrationId === only) : all;
      return provider === "GITHUB" ? verifyGithub(candidates, body, c.req.header("x-hub-signature-256")) : verifyGitlab(candidates, c.req.header("x-gitlab-token"));
    };
    const integrationId = (await verify(false)) ?? (await verify(true));
    if (!integrationId) return error(c, 401, "Unauthorized", "unauthorized: the delivery's signature does not match any integration's webhook secret");

    const event = (provider === "GITHUB" ? c.req.header("x-github-event") : c.req.header("x-gitlab-event")) ?? "";
    // GitLab: Idempotency-Key stays the same across retries (GitLab 17.4+); X-Gitlab-Event-UUID before that.
    const deliveryId = provider === "GITHUB" ? c.req.header("x-github-delivery") : (c.req.header("idempotency-key") ?? c.req.header("x-gitlab-event-uuid") ?? `sha256:${createHash("sha256").update(body).digest("hex")}`);
    if (!deliveryId || deliveryId.length > 200) return error(c, 400, "Invalid", "a delivery id header is required (X-GitHub-Delivery)");
    if (!event) return error(c, 400, "Invalid", "an event header is required");

    let payload: Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
    let raw = body;
    try {
      const type = c.req.header("content-type") ?? "";
      // GitHub can be configured to send application/x-www-form-urlencoded: the JSON is in `payload`.
      if (type.startsWith("application/x-www-form-urlencoded")) raw = new TextEncoder().encode(new URLSearchParams(new TextDecoder().decode(body)).get("payload") ?? "");
      payload = JSON.parse(new TextDecoder().decode(raw));
      if (payload === null || typeof payload !== "object") throw new Error("not an object");
    } catch {
      return error(c, 400, "Invalid", "the payload must be a JSON object");
    }
    const used = USED_EVENTS[provider].includes(event);
    const result = await recordDelivery(deps.sql, { provider, deliveryId, integrationId, event, payload: raw, repository: repositoryOf(provider, payload), used });
    return c.json({ delivery: deliveryId, status: result === "duplicate" ? "duplicate" : used ? "queued" : "ignored" }, 202);
  };

  app.post("/github", receive("GITHUB"));
  app.post("/github/:integration", receive("GITHUB"));
  app.post("/gitlab", receive("GITLAB"));
  app.post("/gitlab/:integration", receive("GITLAB"));
  return app;
}
