import { GraphQLError, type GraphQLErrorExtensions } from 'graphql';
import { withoutStackTrace } from './stack-traces.js';

/**
 * A GraphQLError with another message or other extensions, located where the original was. The
 * one way the gateway rewrites an error on its way to a client (contract codes, echoed input,
 * field suggestions); the copy is never thrown, so it carries no stack.
 */
export function copyGraphQLError(
  error: GraphQLError,
  changes: { message?: string; extensions?: GraphQLErrorExtensions },
): GraphQLError {
  return withoutStackTrace(
    () =>
      new GraphQLError(changes.message ?? error.message, {
        nodes: error.nodes,
        source: error.source,
        positions: error.positions,
        path: error.path,
        originalError: error.originalError,
        extensions: changes.extensions ?? error.extensions,
      }),
  );
}
