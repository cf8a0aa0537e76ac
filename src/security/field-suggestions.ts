import { type ExecutionResult, GraphQLError } from 'graphql';

// graphql-js ends validation and coercion messages with `Did you mean "x", "y", or "z"?` (or
// `the enum value "X"`): a free map of the schema for anyone probing it with typos.
const SUGGESTION = /\s*Did you mean [^?]*\?/g;

const withoutSuggestion = (error: GraphQLError): GraphQLError =>
  error.message.includes('Did you mean ')
    ? new GraphQLError(error.message.replace(SUGGESTION, '').trim(), {
        nodes: error.nodes,
        source: error.source,
        positions: error.positions,
        path: error.path,
        originalError: error.originalError,
        extensions: error.extensions,
      })
    : error;

/** The result with "Did you mean …?" cut from every error message. */
export function hideFieldSuggestions(result: ExecutionResult): ExecutionResult {
  if (!result.errors?.length) return result;
  return { ...result, errors: result.errors.map(withoutSuggestion) };
}
