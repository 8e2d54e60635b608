// Helpers for GraphQL tests: an app with /graphql mounted on a test database, an admin session,
// and a request function.
import type { Hono } from "hono";
import type { Sql } from "../../shared/db/connect.ts";
import { memoryLogger } from "../../shared/log.ts";
import { deriveKey } from "../../shared/secret_key.ts";
import { insertApiKey, type NewApiKey } from "../../shared/auth/queries.ts";
import { createApp } from "../app.ts";
import { graphqlRoutes } from "./routes.ts";
import type { ObjectStore } from "../../shared/storage/object_store.ts";

export const PUBLIC_URL = "http://gantry.test";
export const ENDPOINTS = Object.freeze({ serverUrl: PUBLIC_URL, brokerEndpoint: "mqtt://gantry.test:1984" });
export const JWT_KEY = deriveKey("a-test-secret-key-that-is-long-enough", "jwt");

export const CONFIG_KEY = deriveKey("a-test-secret-key-that-is-long-enough", "config-elements");

export function graphqlApp(sql: Sql, options: Readonly<{ store?: ObjectStore }> = {}): Hono {
  const routes = graphqlRoutes({ sql, log: memoryLogger(), jwtKey: JWT_KEY, configKey: CONFIG_KEY, store: options.store ?? null, publicUrl: PUBLIC_URL, endpoints: ENDPOINTS });
  return createApp({ sql, log: memoryLogger(), mqtt: () => null, maxBodyBytes: 10 * 1024 * 1024, mounts: [["/graphql", routes]] });
}

export type GqlResult = { status: number; body: { data?: Record<string, any> | null; errors?: Array<{ message: string; extensions?: { code?: string } }> } }; // eslint-disable-line @typescript-eslint/no-explicit-any

export async function gql(app: Hono, query: string, variables: Record<string, unknown> = {}, token?: string): Promise<GqlResult> {
  const res = await app.request("/graphql", {
    method: "POST",
    headers: { "content-type": "application/json", accept: "application/json", ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify({ query, variables }),
  });
  return { status: res.status, body: await res.json() };
}

/** Creates a key directly and exchanges it through the API: a session token. */
export async function session(app: Hono, sql: Sql, key: NewApiKey): Promise<{ id: string; secret: string; token: string }> {
  const { key: created, secret } = await insertApiKey(sql, "test", key);
  const res = await gql(app, "mutation ($id: ID!, $secret: String!) { apiKeyUser(id: $id, secret: $secret) { jwt } }", { id: created.id, secret });
  const token = res.body.data?.apiKeyUser?.jwt;
  if (!token) throw new Error(`no session: ${JSON.stringify(res.body)}`);
  return { id: created.id, secret, token };
}
