/**
 * The Circle client's option defaults, written once: the client, its retry policy and breaker take
 * them when an option is absent, and the settings (src/circle/settings.ts) show and use the same
 * values, so code and environment cannot drift apart.
 */

export const DEFAULT_CIRCLE_BASE_URL = 'https://api.circle.com';

export const CIRCLE_CLIENT_DEFAULTS = {
  connectTimeoutMs: 2_000,
  connections: 64,
  attemptTimeoutMs: 5_000,
  maxInFlight: 256,
  maxQueued: 1_024,
  queueTimeoutMs: 1_000,
} as const;

export const RETRY_DEFAULTS = {
  maxAttempts: 3,
  baseDelayMs: 100,
  maxDelayMs: 2_000,
  budgetRatio: 0.2,
  budgetMinRetries: 10,
} as const;

export const CIRCUIT_BREAKER_DEFAULTS = {
  failureThreshold: 5,
  resetAfterMs: 5_000,
} as const;
