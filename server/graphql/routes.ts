// POST/GET /graphql per GraphQL-over-HTTP (graphql-http's fetch handler). The caller comes from
// `Authorization: Bearer <jwt>`; a missing or bad token is not an HTTP error: protected fields
// answer 200 with a GraphQL error saying "unauthorized", as Spacelift's clients expect.
import { Hono } from "hono";
import { bodyLimit } from "hono/body-limit";
import { createHandler } from "graphql-http/lib/use/fetch";
import { GraphQLError, parse, specifiedRules, type GraphQLSchema } from "graphql";
import type { Sql } from "../../shared/db/connect.ts";
import type { Logger } from "../../shared/log.ts";
import { GantryError } from "../../shared/errors.ts";
import { verifyJwt } from "../../shared/auth/jwt.ts";
import { actorForKey } from "../../shared/auth/queries.ts";
import { createContext, type Context } from "./context.ts";
import { normaliseEmptyArguments } from "./normalise.ts";
import { limitRule, MAX_QUERY_CHARACTERS } from "./limits.ts";
import { buildGantrySchema } from "./schema.ts";
import type { Endpoints } from "../../shared/workers/operations.ts";
import type { ObjectStore } from "../../shared/storage/object_store.ts";

export const MAX_GRAPHQL_BODY_BYTES = 1024 * 1024;

export type GraphqlDeps = Readonly<{
  sql: Sql;
  log: Logger;
  jwtKey: Buffer;
  /** Seals stack configuration values at rest. */
  configKey: Buffer;
  /** Run logs and other artifacts; null where a test has none. */
  store: ObjectStore | null;
  publicUrl: string;
  endpoints: Endpoints;
  schema?: GraphQLSchema;
}>;

export function graphqlRoutes(deps: GraphqlDeps): Hono {
  const schema = deps.schema ?? buildGantrySchema();
  const audience = deps.publicUrl.replace(/\/+$/, "");
  const handler = createHandler<Context>({
    schema,
    parse: ((source: string | { body: string }) => {
      const text = typeof source === "string" ? source : source.body;
      if (text.length > MAX_QUERY_CHARACTERS) throw new GraphQLError(`query is longer than ${MAX_QUERY_CHARACTERS} characters`);
      return parse(normaliseEmptyArguments(text));
    }) as typeof parse,
    validationRules: [...specifiedRules, limitRule()],
    context: async (req) => {
      const header = (req.raw as Request).headers.get("authorization") ?? "";
      const token = /^Bearer\s+(\S+)$/i.exec(header)?.[1];
      const claims = token ? verifyJwt(deps.jwtKey, token, audience) : null;
      const actor = claims ? await actorForKey(deps.sql, claims.sub) : null;
      return createContext({ sql: deps.sql, log: deps.log, actor, jwtKey: deps.jwtKey, configKey: deps.configKey, store: deps.store, audience, endpoints: deps.endpoints });
    },
    formatError: (error) => {
      const original = (error as GraphQLError).originalError;
      if (!(error instanceof GraphQLError) || !original || original instanceof GraphQLError) return error;
      if (original instanceof GantryError) {
        return new GraphQLError(original.message, { nodes: error.nodes, path: error.path, extensions: { code: original.code } });
      }
      deps.log.error("graphql resolver failed", { path: error.path?.join("."), reason: original.message });
      return new GraphQLError("internal error", { nodes: error.nodes, path: error.path, extensions: { code: "Internal" } });
    },
  });
  const app = new Hono();
  app.use(
    "*",
    bodyLimit({
      maxSize: MAX_GRAPHQL_BODY_BYTES,
      onError: (c) => c.json({ errors: [{ message: `request body larger than ${MAX_GRAPHQL_BODY_BYTES} bytes` }] }, 413),
    }),
  );
  app.all("/", (c) => handler(c.req.raw));
  return app;
}
