// No imports, and no graphql-js: the browser client (src/client/) imports this list too.

/** Every `extensions.code` a client can see: the contract's table. */
export const GATEWAY_ERROR_CODES = [
  'BAD_USER_INPUT',
  'USER_TOKEN_EXPIRED',
  'USER_TOKEN_INVALID',
  'USER_NOT_FOUND',
  'USER_DISABLED',
  'DEVICE_INVALID',
  'REFRESH_REJECTED',
  'RATE_LIMITED',
  'FORBIDDEN',
  'UPSTREAM_AUTH_FAILED',
  'UPSTREAM_TIMEOUT',
  'UPSTREAM_UNAVAILABLE',
  'INTERNAL_SERVER_ERROR',
] as const;

export type GatewayErrorCode = (typeof GATEWAY_ERROR_CODES)[number];
