// The worker pool token: what workerPoolCreate and workerPoolReset show once, and what a worker
// starts with (GANTRY_WORKER_POOL_TOKEN). Base64 of a JSON object holding the server URL, the
// broker endpoint, the pool id and the pool secret. Gantry keeps only scrypt(secret).
export type PoolToken = Readonly<{
  version: 1;
  serverUrl: string;
  broker: Readonly<{ endpoint: string }>;
  poolId: string;
  secret: string;
}>;

export function encodePoolToken(token: Omit<PoolToken, "version">): string {
  const body: PoolToken = { version: 1, serverUrl: token.serverUrl, broker: { endpoint: token.broker.endpoint }, poolId: token.poolId, secret: token.secret };
  return Buffer.from(JSON.stringify(body)).toString("base64");
}

/** Decodes and checks a token; the error never repeats the token (it holds a secret). */
export function decodePoolToken(text: string): PoolToken {
  let value: Record<string, unknown>;
  try {
    value = JSON.parse(Buffer.from(text.trim(), "base64").toString("utf8"));
  } catch {
    throw new Error("the worker pool token is not base64-encoded JSON");
  }
  const broker = value?.broker as Record<string, unknown> | undefined;
  if (
    value?.version !== 1 ||
    typeof value.serverUrl !== "string" ||
    !/^https?:\/\//.test(value.serverUrl) ||
    typeof broker?.endpoint !== "string" ||
    typeof value.poolId !== "string" ||
    typeof value.secret !== "string" ||
    value.secret.length < 16
  ) {
    throw new Error("the worker pool token is not a Gantry worker pool token (version 1 with serverUrl, broker.endpoint, poolId and secret)");
  }
  return { version: 1, serverUrl: value.serverUrl.replace(/\/+$/, ""), broker: { endpoint: broker.endpoint }, poolId: value.poolId, secret: value.secret };
}
