// Builds the executable schema: the SDL with the resolvers attached. Every root field must have a
// resolver (buildGantrySchema throws otherwise), so no field is served without one.
import { buildSchema, isObjectType, isUnionType, type GraphQLFieldResolver, type GraphQLSchema, type GraphQLTypeResolver } from "graphql";
import { SDL } from "./sdl.ts";
import { stackResolvers } from "./resolvers_stacks.ts";
import { runResolvers } from "./resolvers_runs.ts";
import { accessResolvers } from "./resolvers_access.ts";
import { workerResolvers } from "./resolvers_workers.ts";
import { executionResolvers } from "./resolvers_execution.ts";
import { logResolvers } from "./resolvers_logs.ts";
import { stateResolvers } from "./resolvers_state.ts";
import { vcsResolvers } from "./resolvers_vcs.ts";
import { policyResolvers } from "./resolvers_policies.ts";

type ResolverMap = Record<string, Record<string, unknown>>;

function merge(...maps: ResolverMap[]): ResolverMap {
  const out: ResolverMap = {};
  for (const map of maps) for (const [type, fields] of Object.entries(map)) out[type] = { ...(out[type] ?? {}), ...fields };
  return out;
}

export const RESOLVERS: ResolverMap = merge(stackResolvers, runResolvers, accessResolvers, workerResolvers, executionResolvers, logResolvers, stateResolvers, vcsResolvers, policyResolvers);

export function buildGantrySchema(resolvers: ResolverMap = RESOLVERS): GraphQLSchema {
  const schema = buildSchema(SDL);
  for (const [typeName, fields] of Object.entries(resolvers)) {
    const type = schema.getType(typeName);
    if (isUnionType(type)) {
      type.resolveType = fields.__resolveType as GraphQLTypeResolver<unknown, unknown>;
      continue;
    }
    if (!isObjectType(type)) throw new Error(`resolvers for ${typeName}, which is not an object type of the schema`);
    const defined = type.getFields();
    for (const [field, resolve] of Object.entries(fields)) {
      if (!defined[field]) throw new Error(`resolver for ${typeName}.${field}, which the schema does not have`);
      defined[field].resolve = resolve as GraphQLFieldResolver<unknown, unknown>;
    }
  }
  for (const root of [schema.getQueryType(), schema.getMutationType()]) {
    for (const field of Object.values(root?.getFields() ?? {})) {
      if (!field.resolve) throw new Error(`${root?.name}.${field.name} has no resolver`);
    }
  }
  return schema;
}
