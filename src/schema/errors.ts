import { GraphQLError } from 'graphql';
import {
  type AnyCircleClientError,
  type CircleErrorCode,
  type CircleHttpError,
  isCircleError,
} from '../circle/errors.js';
import {
  GATEWAY_ERROR_CODES,
  type GatewayErrorCode,
  isCallerRefusedCode,
  isRetryableCode,
} from '../errors/gateway-codes.js';
import { withoutStackTrace } from '../errors/stack-traces.js';
import { isClientGoneError } from '../refresh/client-gone.js';
import type { ErrorLocation } from './input-rules.js';

export { GATEWAY_ERROR_CODES, type GatewayErrorCode, isRetryableCode };

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

function upstreamOf(error: AnyCircleClientError, code: GatewayErrorCode) {
  if (error.code === 'CIRCLE_HTTP_ERROR') {
    return {
      status: error.status,
      code: error.circleCode ?? null,
      requestId: error.requestId ?? null,
      // Circle's words about the gateway's own key are for the operator's logs, not the caller.
      message: code === 'UPSTREAM_AUTH_FAILED' ? null : (error.circleMessage ?? null),
    };
  }
  if (error.code === 'CIRCLE_MALFORMED_RESPONSE') {
    return { status: error.status, code: null, requestId: error.requestId ?? null, message: null };
  }
  return undefined;
}

/** What a Circle client error becomes: the code, the caller's message, extra extensions. */
interface Classified {
  code: GatewayErrorCode;
  message: string;
  extra?: Record<string, unknown>;
}

function classifyHttp(error: CircleHttpError): Classified {
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

/** Whether Circle answered that the caller's token, user, device or refresh token is no good. */
export const isCallerRefusal = (error: unknown): boolean =>
  isCircleError(error, 'CIRCLE_HTTP_ERROR') && isCallerRefusedCode(classifyHttp(error).code);

/** What the failures that carry no Circle answer become. */
const UNANSWERED: Record<Exclude<CircleErrorCode, 'CIRCLE_HTTP_ERROR'>, Classified> = {
  CIRCLE_TIMEOUT: {
    code: 'UPSTREAM_TIMEOUT',
    message: 'Circle did not answer before the deadline.',
  },
  CIRCLE_CIRCUIT_OPEN: {
    code: 'UPSTREAM_UNAVAILABLE',
    message: 'Circle is failing; the gateway is not calling it for a short pause.',
  },
  CIRCLE_OVERLOADED: {
    code: 'UPSTREAM_UNAVAILABLE',
    message: 'Too many calls to Circle are in flight. Retry shortly.',
  },
  CIRCLE_MALFORMED_RESPONSE: {
    code: 'UPSTREAM_UNAVAILABLE',
    message: 'Circle sent an answer the gateway could not read.',
  },
  CIRCLE_CONNECTION_ERROR: {
    code: 'UPSTREAM_UNAVAILABLE',
    message: 'Circle could not be reached.',
  },
};

/**
 * The one place where upstream failures become GraphQL errors. Anything that is not a Circle
 * client error or an already-typed GraphQLError goes through unchanged, and Yoga masks it.
 */
export function toGraphQLError(error: unknown, at?: ErrorLocation): unknown {
  if (isClientGoneError(error)) return clientGone(error, at);
  if (!isCircleError(error)) return error;
  const { code, message, extra }: Classified =
    error.code === 'CIRCLE_HTTP_ERROR' ? classifyHttp(error) : UNANSWERED[error.code];
  const upstream = upstreamOf(error, code);
  return withoutStackTrace(
    () =>
      new GraphQLError(message, {
        ...at,
        extensions: {
          code,
          retryable: isRetryableCode(code),
          // Retrying with this key is safe: Circle replays a refresh it already did.
          ...(isRetryableCode(code) && error.idempotencyKey
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
