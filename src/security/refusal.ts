import { GraphQLError } from 'graphql';
import { brandErrorClass, isBrandedError } from '../errors/brand.js';
import { type GatewayErrorCode, isRetryableCode } from '../errors/gateway-codes.js';
import { pauseStackTraces } from '../errors/stack-traces.js';

/** Why the gateway refused a request itself, in `extensions.reason`. */
export type RefusalReason =
  | 'MAX_DEPTH'
  | 'MAX_ALIASES'
  | 'MAX_TOKENS'
  | 'MAX_DIRECTIVES'
  | 'MAX_COST'
  | 'TOO_MANY_MUTATIONS'
  | 'BODY_TOO_LARGE'
  | 'INTROSPECTION_DISABLED'
  | 'CSRF_HEADER_REQUIRED'
  | 'UNTRUSTED_DOCUMENT'
  | 'PERSISTED_QUERY_NOT_FOUND'
  | 'USER_ID_PATH_DISABLED'
  | 'USER_ID_NOT_AUTHORIZED'
  | 'NOT_ACCEPTABLE'
  | 'CLIENT_GONE';

export interface RefusalOptions {
  code: Extract<
    GatewayErrorCode,
    'BAD_USER_INPUT' | 'RATE_LIMITED' | 'FORBIDDEN' | 'UPSTREAM_UNAVAILABLE'
  >;
  reason?: RefusalReason;
  /** The HTTP status of the whole response, whatever the Accept header. */
  status: number;
  /** Seconds; sets `extensions.retryAfter` and the `Retry-After` header. */
  retryAfter?: number;
  headers?: Record<string, string>;
}

/**
 * A request the gateway refuses by itself, before or instead of any upstream call. It is a
 * GraphQLError, so Yoga neither masks it nor lets it be remapped; `code` is on the instance too, so
 * the refresh log line names the outcome.
 */
export class GatewayRefusal extends GraphQLError {
  readonly code: RefusalOptions['code'];

  constructor(message: string, options: RefusalOptions) {
    const headers = { ...options.headers };
    if (options.retryAfter !== undefined) headers['retry-after'] = String(options.retryAfter);
    // A refusal is an answer, not a bug: no stack trace.
    const resume = pauseStackTraces();
    super(message, {
      extensions: {
        code: options.code,
        retryable: isRetryableCode(options.code),
        ...(options.reason ? { reason: options.reason } : {}),
        ...(options.retryAfter !== undefined ? { retryAfter: options.retryAfter } : {}),
        // spec: false keeps the status under `Accept: application/json` too (Yoga would send 200).
        http: { status: options.status, spec: false, headers },
      },
    });
    resume();
    this.code = options.code;
  }
}
brandErrorClass(GatewayRefusal);

/**
 * Whether `error` is a refusal (for this reason) made by any copy of the package. A refusal's
 * `code` is the GraphQL code it shows, shared with other errors; being a branded GraphQLError (one
 * graphql-js per process) is what tells it apart.
 */
export const isRefusal = (error: unknown, reason?: RefusalReason): error is GatewayRefusal =>
  isBrandedError(error) &&
  error instanceof GraphQLError &&
  (reason === undefined || error.extensions.reason === reason);

/** A document the limits refuse: 400 BAD_USER_INPUT with the limit as the reason. */
export const limitRefusal = (reason: RefusalReason, message: string) =>
  new GatewayRefusal(message, { code: 'BAD_USER_INPUT', reason, status: 400 });

/** Status, headers and JSON body of a response the gateway ends early (no GraphQL execution). */
export function refusalParts(error: GatewayRefusal): {
  status: number;
  headers: Record<string, string>;
  body: string;
} {
  const { http, ...extensions } = error.extensions as Record<string, unknown> & {
    http: { status: number; headers: Record<string, string> };
  };
  return {
    status: http.status,
    headers: { 'content-type': 'application/json; charset=utf-8', ...http.headers },
    body: JSON.stringify({ errors: [{ message: error.message, extensions }] }),
  };
}
