/**
 * Unexpected errors, handled one way on every path (Yoga's masking and its own log calls, the fast
 * path, the front door, the resolver): the client sees "Unexpected error." with
 * INTERNAL_SERVER_ERROR, and the log gets one line with the error's name and code, never its
 * message (it may quote a token). Yoga's `maskError` is the model, less its development mode: the
 * original error is never attached, whatever NODE_ENV says.
 */
import { GraphQLError } from 'graphql';
import { withoutStackTrace } from './stack-traces.js';

export const UNEXPECTED_MESSAGE = 'Unexpected error.';

/** What the log line needs of a logger. */
export interface ErrorLog {
  error(message: string, fields: Record<string, string | undefined>): void;
}

/** A GraphQLError the gateway (or graphql-js) made on purpose, not one wrapping a crash. */
const isDeliberate = (error: unknown): error is GraphQLError =>
  error instanceof GraphQLError &&
  (error.originalError == null || isDeliberate(error.originalError));

/** What the client may see of an error: itself when it was made on purpose, else the mask. */
export function maskUnexpected(error: unknown): GraphQLError {
  if (isDeliberate(error)) return error;
  const located = error instanceof GraphQLError ? error : undefined;
  return withoutStackTrace(
    () =>
      new GraphQLError(UNEXPECTED_MESSAGE, {
        nodes: located?.nodes,
        source: located?.source,
        positions: located?.positions,
        path: located?.path,
        extensions: { code: 'INTERNAL_SERVER_ERROR', retryable: false },
      }),
  );
}

/** The one log line of an unexpected error: its name and code. */
export function logUnexpected(log: ErrorLog, error: unknown): void {
  const code = (error as { code?: unknown } | null | undefined)?.code;
  log.error('unexpected error', {
    errorName: error instanceof Error ? error.name : typeof error,
    errorCode: typeof code === 'string' ? code : undefined,
  });
}

/** Masks an error and, when it was unexpected, logs it once. */
export function maskAndLog(log: ErrorLog, error: unknown): GraphQLError {
  const masked = maskUnexpected(error);
  if (masked !== error) logUnexpected(log, error);
  return masked;
}
