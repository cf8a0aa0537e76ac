import { GraphQLError } from 'graphql';
import {
  CircleCircuitOpenError,
  type CircleClientError,
  CircleHttpError,
  CircleMalformedResponseError,
  CircleOverloadedError,
  CircleTimeoutError,
  isCircleClientError,
} from '../circle/errors.js';
import { withoutStackTrace } from '../observability/stack-traces.js';
import { isClientGoneError } from '../refresh/client-gone.js';
import { GATEWAY_ERROR_CODES, type GatewayErrorCode } from './error-codes.js';
import type { ErrorLocation } from './input-rules.js';

export { GATEWAY_ERROR_CODES, type GatewayErrorCode };

const CIRCLE_CODES: Record<number, { code: GatewayErrorCode; message: string }> = {
  155104: {
    code: 'USER_TOKEN_EXPIRED',
    message: 'The user token has expired. Sign the user in again, or refresh by userId.',
  },
  155103: { code: 'USER_TOKEN_INVALID', message: 'Circle does not recognise this user token.' },
  155105: { code: 'USER_TOKEN_INVALID', message: 'The user token is malformed.' },
  155102: { code: 'USER_NOT_FOUND', message: 'Circle has no user with this userId.' },
  155109: { code: 'USER_DISABLED', message: 'This user is disabled at Circle.' },
  155113: { code: 'DEVICE_INVALID', message: 'Circle does not recognise this deviceId.' },
  155137: { code: 'DEVICE_INVALID', message: 'The deviceId does not match this session.' },
};

/** Seconds a client is told to wait after a 429 that came with no Retry-After. */
const DEFAULT_RETRY_AFTER_SECONDS = 1;

function upstreamOf(error: CircleClientError, code: GatewayErrorCode) {
  if (error instanceof CircleHttpError) {
    return {
      status: error.status,
      code: error.circleCode ?? null,
      requestId: error.requestId ?? null,
      // Circle's words about the gateway's own key are for the operator's logs, not the caller.
      message: code === 'UPSTREAM_AUTH_FAILED' ? null : (error.circleMessage ?? null),
    };
  }
  if (error instanceof CircleMalformedResponseError) {
    return { status: error.status, code: null, requestId: error.requestId ?? null, message: null };
  }
  return undefined;
}

function classifyHttp(error: CircleHttpError): {
  code: GatewayErrorCode;
  message: string;
  extra?: Record<string, unknown>;
} {
  const { status, circleCode } = error;
  if ((status === 401 && circleCode === 401) || (status === 403 && circleCode === 3)) {
    return {
      code: 'UPSTREAM_AUTH_FAILED',
      message: "The gateway could not authenticate with Circle. This is not your request's fault.",
    };
  }
  const known = circleCode === undefined ? undefined : CIRCLE_CODES[circleCode];
  if (known) return known;
  if (status === 429) {
    const seconds =
      error.retryAfterMs === undefined
        ? DEFAULT_RETRY_AFTER_SECONDS
        : Math.max(1, Math.ceil(error.retryAfterMs / 1000));
    return {
      code: 'RATE_LIMITED',
      message: `Circle is rate limiting these calls. Retry after ${seconds} s.`,
      extra: { retryAfter: seconds },
    };
  }
  if (status === 401 && circleCode === undefined) {
    return {
      code: 'UPSTREAM_AUTH_FAILED',
      message: "The gateway could not authenticate with Circle. This is not your request's fault.",
    };
  }
  if (status >= 400 && status < 500) {
    return {
      code: 'REFRESH_REJECTED',
      message: error.circleMessage
        ? `Circle rejected the request: ${error.circleMessage}`
        : `Circle rejected the request (HTTP ${status}).`,
    };
  }
  return { code: 'UPSTREAM_UNAVAILABLE', message: 'Circle is not available right now.' };
}

/** The codes that say Circle refused the caller's own credentials (not the gateway's, not load). */
const CALLER_REFUSALS: ReadonlySet<GatewayErrorCode> = new Set<GatewayErrorCode>([
  'USER_TOKEN_EXPIRED',
  'USER_TOKEN_INVALID',
  'USER_NOT_FOUND',
  'USER_DISABLED',
  'DEVICE_INVALID',
  'REFRESH_REJECTED',
]);

/** Whether Circle answered that the caller's token, user, device or refresh token is no good. */
export const isCallerRefusal = (error: unknown): boolean =>
  error instanceof CircleHttpError && CALLER_REFUSALS.has(classifyHttp(error).code);

const RETRYABLE: ReadonlySet<string> = new Set<GatewayErrorCode>([
  'RATE_LIMITED',
  'UPSTREAM_TIMEOUT',
  'UPSTREAM_UNAVAILABLE',
]);

/** Whether the same request may succeed later, by code. */
export const isRetryableCode = (code: string): boolean => RETRYABLE.has(code);

/**
 * The one place where upstream failures become GraphQL errors. Anything that is not a Circle
 * client error or an already-typed GraphQLError goes through unchanged, and Yoga masks it.
 */
export function toGraphQLError(error: unknown, at?: ErrorLocation): unknown {
  if (isClientGoneError(error)) return clientGone(error, at);
  if (!isCircleClientError(error)) return error;
  let code: GatewayErrorCode;
  let message: string;
  let extra: Record<string, unknown> | undefined;
  if (error instanceof CircleHttpError) {
    ({ code, message, extra } = classifyHttp(error));
  } else if (error instanceof CircleTimeoutError) {
    code = 'UPSTREAM_TIMEOUT';
    message = 'Circle did not answer before the deadline.';
  } else if (error instanceof CircleCircuitOpenError) {
    code = 'UPSTREAM_UNAVAILABLE';
    message = 'Circle is failing; the gateway is not calling it for a short pause.';
  } else if (error instanceof CircleOverloadedError) {
    code = 'UPSTREAM_UNAVAILABLE';
    message = 'Too many calls to Circle are in flight. Retry shortly.';
  } else if (error instanceof CircleMalformedResponseError) {
    code = 'UPSTREAM_UNAVAILABLE';
    message = 'Circle sent an answer the gateway could not read.';
  } else {
    code = 'UPSTREAM_UNAVAILABLE';
    message = 'Circle could not be reached.';
  }
  const upstream = upstreamOf(error, code);
  return withoutStackTrace(
    () =>
      new GraphQLError(message, {
        ...at,
        extensions: {
          code,
          retryable: RETRYABLE.has(code),
          // Retrying with this key is safe: Circle replays a refresh it already did.
          ...(RETRYABLE.has(code) && error.idempotencyKey
            ? { idempotencyKey: error.idempotencyKey }
            : {}),
          ...(upstream ? { upstream } : {}),
          ...extra,
        },
      }),
  );
}

/**
 * The client left before Circle was called: refused as the gateway's own refusals are
 * (src/security/refusal.ts), with a status of its own. Nobody reads it; the log line does.
 */
function clientGone(error: Error, at: ErrorLocation | undefined): GraphQLError {
  return withoutStackTrace(
    () =>
      new GraphQLError(error.message, {
        ...at,
        extensions: {
          code: 'BAD_USER_INPUT',
          retryable: false,
          reason: 'CLIENT_GONE',
          http: { status: 400, spec: false, headers: {} },
        },
      }),
  );
}
