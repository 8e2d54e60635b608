// On first start (no API key exists yet) an administrative key is created, and its id and secret
// are written to <data dir>/admin-api-key.json (0600) for the operator. Processes starting together
// serialise on an advisory lock, so exactly one key is made.
import { chmodSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Sql } from "../db/connect.ts";
import { insertApiKey } from "./queries.ts";

export const BOOTSTRAP_LOCK = 0x67616e7472790002n; // "gantry" + 2
export const BOOTSTRAP_FILE = "admin-api-key.json";

export type Bootstrapped = Readonly<{ id: string; secret: string; file: string }>;

export async function bootstrapAdminKey(sql: Sql, dataDir: string, endpoint: string): Promise<Bootstrapped | null> {
  return sql.begin(async (tx) => {
    await tx`select pg_advisory_xact_lock(${BOOTSTRAP_LOCK.toString()}::bigint)`;
    const [any] = await tx`select 1 from api_keys limit 1`;
    if (any) return null;
    const { key, secret } = await insertApiKey(tx, "bootstrap", { name: "bootstrap admin", description: "Created at first start", admin: true });
    mkdirSync(dataDir, { recursive: true });
    const file = join(dataDir, BOOTSTRAP_FILE);
    writeFileSync(file, `${JSON.stringify({ endpoint, id: key.id, secret }, null, 2)}\n`, { mode: 0o600 });
    chmodSync(file, 0o600);
    return { id: key.id, secret, file };
  });
}
