// The default worker pool: stacks that name no pool run there (the stack_pools view), the way
// Spacelift's stacks without a private pool run on its public workers. The all-in-one `npm start`
// makes sure it exists and runs one local worker in it with the pool token kept in
// <data dir>/default-worker-pool.token (0600). When the pool exists but the file is gone (another
// data directory, a wiped disk), the pool's secret is replaced: the token is never stored readable
// anywhere else. Processes starting together serialise on an advisory lock.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Sql } from "../db/connect.ts";
import { hashSecret, newSecret } from "../auth/api_key.ts";
import { ulid } from "../runs/ulid.ts";
import { decodePoolToken, encodePoolToken } from "./pool_token.ts";
import { insertPool, replacePoolSecret } from "./queries.ts";
import type { Endpoints } from "./operations.ts";

export const DEFAULT_POOL_LOCK = 0x67616e7472790003n; // "gantry" + 3
export const DEFAULT_POOL_TOKEN_FILE = "default-worker-pool.token";

/** The default pool's token, creating the pool (or a new secret for it) when needed. */
export async function ensureDefaultPool(sql: Sql, dataDir: string, endpoints: Endpoints): Promise<Readonly<{ poolId: string; token: string; created: boolean }>> {
  const file = join(dataDir, DEFAULT_POOL_TOKEN_FILE);
  return sql.begin(async (tx) => {
    await tx`select pg_advisory_xact_lock(${DEFAULT_POOL_LOCK.toString()}::bigint)`;
    const [existing] = await tx<{ id: string }[]>`select id from worker_pools where is_default`;
    const saved = existsSync(file) ? readFileSync(file, "utf8").trim() : null;
    if (existing && saved) {
      try {
        const token = decodePoolToken(saved);
        // The endpoints may have moved (another port); the secret is what matters.
        if (token.poolId === existing.id) return { poolId: existing.id, token: encodePoolToken({ ...token, serverUrl: endpoints.serverUrl, broker: { endpoint: endpoints.brokerEndpoint } }), created: false };
      } catch {
        // unreadable: replaced below
      }
    }
    const secret = newSecret();
    const hashed = await hashSecret(secret);
    let poolId: string;
    if (existing) {
      poolId = existing.id;
      await replacePoolSecret(tx, poolId, hashed);
    } else {
      poolId = ulid();
      await insertPool(tx, { id: poolId, spaceId: "root", name: "default", description: "Runs stacks that name no worker pool; npm start runs one local worker in it.", labels: [] }, hashed);
      await tx`update worker_pools set is_default = true where id = ${poolId}`;
    }
    const token = encodePoolToken({ serverUrl: endpoints.serverUrl, broker: { endpoint: endpoints.brokerEndpoint }, poolId, secret });
    mkdirSync(dataDir, { recursive: true });
    writeFileSync(file, `${token}\n`, { mode: 0o600 });
    return { poolId, token, created: !existing };
  });
}
