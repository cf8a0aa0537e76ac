/**
 * The contract's `extensions.code` table and what each code means to whoever handles it: the
 * gateway (what it sets in `extensions.retryable`, which refusals count against a caller) and the
 * browser client (which codes end a session). Pure data with no imports: src/client/ bundles it.
 */

interface GatewayCodeFacts {
  /** `extensions.retryable`: the same request may succeed later. */
  readonly retryable: boolean;
  /**
   * Circle refused the caller's own token, user, device or refresh token: not the gateway's key,
   * not load. The rate limiter charges these to the caller.
   */
  readonly callerRefused: boolean;
  /** Refreshing again cannot help: the client ends the session and the user logs in again. */
  readonly endsSession: boolean;
}

const refusedCaller = { retryable: false, callerRefused: true, endsSession: true } as const;
const retryable = { retryable: true, callerRefused: false, endsSession: false } as const;
const final = { retryable: false, callerRefused: false, endsSession: false } as const;

/** Every `extensions.code` a client can see (the contract's table), in the contract's order. */
export const GATEWAY_CODE_FACTS = {
  BAD_USER_INPUT: { ...final, endsSession: true },
  USER_TOKEN_EXPIRED: refusedCaller,
  USER_TOKEN_INVALID: refusedCaller,
  USER_NOT_FOUND: refusedCaller,
  USER_DISABLED: refusedCaller,
  DEVICE_INVALID: refusedCaller,
  REFRESH_REJECTED: refusedCaller,
  RATE_LIMITED: retryable,
  FORBIDDEN: final,
  UPSTREAM_AUTH_FAILED: final,
  UPSTREAM_TIMEOUT: retryable,
  UPSTREAM_UNAVAILABLE: retryable,
  INTERNAL_SERVER_ERROR: final,
} as const satisfies Record<string, GatewayCodeFacts>;

export type GatewayErrorCode = keyof typeof GATEWAY_CODE_FACTS;

/** Every `extensions.code` a client can see: the contract's table. */
export const GATEWAY_ERROR_CODES = Object.keys(GATEWAY_CODE_FACTS) as readonly GatewayErrorCode[];

const factsOf = (code: string): GatewayCodeFacts | undefined =>
  Object.hasOwn(GATEWAY_CODE_FACTS, code)
    ? GATEWAY_CODE_FACTS[code as GatewayErrorCode]
    : undefined;

/** Whether the same request may succeed later, by code. */
export const isRetryableCode = (code: string): boolean => factsOf(code)?.retryable === true;

/** Whether a code says Circle refused the caller's own credentials. */
export const isCallerRefusedCode = (code: string): boolean => factsOf(code)?.callerRefused === true;

/** Whether a code ends a client's session (the user has to log in again). */
export const endsSessionCode = (code: string): boolean => factsOf(code)?.endsSession === true;
