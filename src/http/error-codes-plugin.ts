import type { ExecutionResult, GraphQLError } from 'graphql';
import { copyGraphQLError } from '../errors/copy-graphql-error.js';
import { GATEWAY_ERROR_CODES, isRetryableCode } from '../errors/gateway-codes.js';
import { withoutInputValues } from '../security/input-echo.js';

const CONTRACT_CODES: ReadonlySet<string> = new Set(GATEWAY_ERROR_CODES);

/** The extension keys a client may see; anything else (Yoga's `originalError`…) is dropped. */
const ALLOWED_EXTENSIONS = new Set([
  'code',
  'retryable',
  'reason',
  'field',
  'upstream',
  'retryAfter',
  'idempotencyKey',
  'http',
]);

function needsWork(error: GraphQLError): boolean {
  const extensions = error.extensions ?? {};
  const code = extensions.code;
  if (typeof code !== 'string' || !CONTRACT_CODES.has(code)) return true;
  if (typeof extensions.retryable !== 'boolean') return true;
  for (const key of Object.keys(extensions)) if (!ALLOWED_EXTENSIONS.has(key)) return true;
  return withoutInputValues(error) !== error.message;
}

function normalize(error: GraphQLError): GraphQLError {
  if (!needsWork(error)) return error;
  const extensions: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(error.extensions ?? {})) {
    if (ALLOWED_EXTENSIONS.has(key)) extensions[key] = value;
  }
  const code = extensions.code;
  if (typeof code !== 'string' || !CONTRACT_CODES.has(code)) {
    // Raised before execution (syntax, validation, coercion, a malformed request): the
    // caller's input. Yoga's own code, if any, stays as the reason.
    extensions.code = 'BAD_USER_INPUT';
    if (typeof code === 'string' && extensions.reason === undefined) extensions.reason = code;
  }
  if (typeof extensions.retryable !== 'boolean') {
    extensions.retryable = isRetryableCode(extensions.code as string);
  }
  return copyGraphQLError(error, { message: withoutInputValues(error), extensions });
}

/** The result as a client may see it: contract codes, `retryable`, allow-listed extensions. */
export function normalizeResult(result: ExecutionResult): ExecutionResult {
  if (!result.errors?.some(needsWork)) return result;
  return { ...result, errors: result.errors.map(normalize) };
}
