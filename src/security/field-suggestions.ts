import type { ExecutionResult, GraphQLError } from 'graphql';
import { copyGraphQLError } from '../errors/copy-graphql-error.js';

// graphql-js ends validation and coercion messages with `Did you mean "x", "y", or "z"?` (or
// `the enum value "X"`): a free map of the schema for anyone probing it with typos.
const SUGGESTION = /\s*Did you mean [^?]*\?/g;

const withoutSuggestion = (error: GraphQLError): GraphQLError =>
  error.message.includes('Did you mean ')
    ? copyGraphQLError(error, { message: error.message.replace(SUGGESTION, '').trim() })
    : error;

/** The result with "Did you mean …?" cut from every error message. */
export function hideFieldSuggestions(result: ExecutionResult): ExecutionResult {
  if (!result.errors?.length) return result;
  return { ...result, errors: result.errors.map(withoutSuggestion) };
}
