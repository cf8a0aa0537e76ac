import { brandErrorClass, isBrandedError } from '../errors/brand.js';
import {
  endsSessionCode,
  GATEWAY_ERROR_CODES,
  type GatewayErrorCode,
} from '../errors/gateway-codes.js';

export type { GatewayErrorCode };

/**
 * Codes of the client's own, beside the contract's:
 * - `NETWORK_ERROR`: no GraphQL answer arrived (the connection failed or timed out, or something
 *   that is not the gateway answered). Circle may or may not have processed the call, so a retry
 *   must reuse the idempotency key.
 * - `LOGGED_OUT`: the app ended the session (`keeper.clear()`), in this tab or another.
 */
export type ClientErrorCode = 'NETWORK_ERROR' | 'LOGGED_OUT';

/** Circle's side of a failure, as the gateway passes it on (`extensions.upstream`). */
export interface UpstreamDetails {
  status: number | null;
  code: number | null;
  requestId: string | null;
  message: string | null;
}

/** One GraphQL error as the gateway sends it. */
export interface GraphQLErrorBody {
  message: string;
  path?: ReadonlyArray<string | number>;
  extensions?: Record<string, unknown>;
}

/**
 * The codes after which refreshing again cannot help: the refresh token was used or rejected,
 * the user token expired or is unknown, the user or device is gone, or the stored session is
 * malformed. The user has to log in again.
 */
export const SESSION_ENDING_CODES: ReadonlySet<string> = new Set<
  GatewayErrorCode | ClientErrorCode
>(['LOGGED_OUT', ...GATEWAY_ERROR_CODES.filter(endsSessionCode)]);

interface GatewayErrorFields {
  code: GatewayErrorCode | ClientErrorCode;
  retryable: boolean;
  retryAfter?: number | undefined;
  upstream?: UpstreamDetails | undefined;
  idempotencyKey?: string | undefined;
  errors?: readonly GraphQLErrorBody[];
  cause?: unknown;
}

/**
 * A failed gateway call. Match on `code` (stable), not on the message. It never carries a token:
 * only the gateway's own error texts and Circle's request id.
 */
export class GatewayError extends Error {
  override readonly name = 'GatewayError';
  /** The contract's `extensions.code`, or `NETWORK_ERROR` when no GraphQL answer arrived. */
  readonly code: GatewayErrorCode | ClientErrorCode;
  /** Whether the same request (same idempotency key) may succeed later. */
  readonly retryable: boolean;
  /** Seconds to wait before retrying, when the gateway or Circle said so. */
  readonly retryAfter: number | undefined;
  /** Circle's status, code, request id and message, when Circle answered. */
  readonly upstream: UpstreamDetails | undefined;
  /** The idempotency key the call was sent with, when there was one: retry with it. */
  readonly idempotencyKey: string | undefined;
  /** Every GraphQL error of the answer (the first one gave `code`). */
  readonly errors: readonly GraphQLErrorBody[];

  constructor(message: string, fields: GatewayErrorFields) {
    super(message, fields.cause === undefined ? undefined : { cause: fields.cause });
    this.code = fields.code;
    this.retryable = fields.retryable;
    this.retryAfter = fields.retryAfter;
    this.upstream = fields.upstream;
    this.idempotencyKey = fields.idempotencyKey;
    this.errors = fields.errors ?? [];
  }

  /** True when refreshing again cannot help and the user has to log in again. */
  get sessionEnded(): boolean {
    return SESSION_ENDING_CODES.has(this.code);
  }
}
brandErrorClass(GatewayError);

/**
 * Whether `error` is a GatewayError from any copy of this client (an app may bundle two). Its
 * `code` is the gateway's, shared with the server's errors, so the stable `name` tells it apart.
 */
export const isGatewayError = (error: unknown): error is GatewayError =>
  isBrandedError(error) && error.name === 'GatewayError';

/** Reads a GatewayError out of a GraphQL answer's errors (the first error decides). */
export function gatewayErrorFrom(
  errors: readonly GraphQLErrorBody[],
  retryAfterHeader: string | null,
  idempotencyKey: string | undefined,
): GatewayError {
  const first = errors[0];
  const extensions = first?.extensions ?? {};
  const code =
    typeof extensions.code === 'string'
      ? (extensions.code as GatewayErrorCode)
      : 'INTERNAL_SERVER_ERROR';
  const retryAfter =
    typeof extensions.retryAfter === 'number' ? extensions.retryAfter : secondsOf(retryAfterHeader);
  const upstream = extensions.upstream;
  return new GatewayError(first?.message ?? 'The gateway answered with an error.', {
    code,
    retryable: extensions.retryable === true,
    retryAfter,
    upstream:
      upstream !== null && typeof upstream === 'object' ? (upstream as UpstreamDetails) : undefined,
    idempotencyKey,
    errors,
  });
}

function secondsOf(header: string | null): number | undefined {
  if (header === null) return undefined;
  const seconds = /^\d+$/.test(header.trim())
    ? Number(header)
    : (Date.parse(header) - Date.now()) / 1000;
  return Number.isFinite(seconds) ? Math.max(0, Math.ceil(seconds)) : undefined;
}
