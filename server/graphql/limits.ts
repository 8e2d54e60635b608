// Limits on what one GraphQL document may ask: nesting depth, and complexity counted as the
// number of fields selected once fragments are expanded (each list of runs or stacks is paged on
// the server, so fields are a fair measure of work).
import { GraphQLError, Kind, type ASTVisitor, type SelectionSetNode, type ValidationContext } from "graphql";

export const MAX_DEPTH = 12;
export const MAX_FIELDS = 600;
export const MAX_QUERY_CHARACTERS = 64 * 1024;

function measure(context: ValidationContext, set: SelectionSetNode, depth: number, seen: Set<string>): { depth: number; fields: number } {
  let maxDepth = depth;
  let fields = 0;
  for (const selection of set.selections) {
    if (selection.kind === Kind.FIELD) {
      fields++;
      if (selection.selectionSet) {
        const inner = measure(context, selection.selectionSet, depth + 1, seen);
        maxDepth = Math.max(maxDepth, inner.depth);
        fields += inner.fields;
      }
    } else {
      let inner: SelectionSetNode | undefined;
      if (selection.kind === Kind.INLINE_FRAGMENT) inner = selection.selectionSet;
      else if (!seen.has(selection.name.value)) {
        inner = context.getFragment(selection.name.value)?.selectionSet;
        if (inner) seen = new Set([...seen, selection.name.value]);
      }
      if (inner) {
        const m = measure(context, inner, depth, seen);
        maxDepth = Math.max(maxDepth, m.depth);
        fields += m.fields;
      }
    }
  }
  return { depth: maxDepth, fields };
}

export function limitRule(maxDepth = MAX_DEPTH, maxFields = MAX_FIELDS) {
  return (context: ValidationContext): ASTVisitor => ({
    OperationDefinition(node) {
      const { depth, fields } = measure(context, node.selectionSet, 1, new Set());
      if (depth > maxDepth) context.reportError(new GraphQLError(`query is too deep: ${depth} levels, at most ${maxDepth}`, { nodes: [node] }));
      if (fields > maxFields) context.reportError(new GraphQLError(`query is too complex: ${fields} fields, at most ${maxFields}`, { nodes: [node] }));
    },
  });
}
