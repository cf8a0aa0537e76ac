/**
 * Circle's settings (where it is, the key file, deadlines, retries, breaker, bulkhead) and their
 * mapping to the client's options. Defaults are the client's own (./defaults.ts).
 */

import { readSecretFile } from '../config/secret-file.js';
import { integer, optional, ratio, setting, text, type ValuesOf } from '../config/setting.js';
import { type CircleClientOptions, isWellFormedApiKey } from './client.js';
import {
  CIRCLE_CLIENT_DEFAULTS,
  CIRCUIT_BREAKER_DEFAULTS,
  DEFAULT_CIRCLE_BASE_URL,
  RETRY_DEFAULTS,
} from './defaults.js';

const client = CIRCLE_CLIENT_DEFAULTS;

export const CIRCLE_SETTINGS = [
  setting({
    key: 'circleApiKeyFile',
    env: 'CIRCLE_API_KEY_FILE',
    default: undefined,
    description:
      'A file holding the API key (a mounted secret), instead of CIRCLE_API_KEY; one trailing newline is ignored.',
    parse: optional(text),
  }),
  setting({
    key: 'circleBaseUrl',
    env: 'CIRCLE_BASE_URL',
    default: DEFAULT_CIRCLE_BASE_URL,
    description: "Circle's origin.",
    parse: (raw) => {
      try {
        const url = new URL(raw);
        if (url.protocol !== 'https:' && url.protocol !== 'http:') {
          return { problem: 'must be an http:// or https:// URL' };
        }
        return url.origin + url.pathname.replace(/\/+$/, '');
      } catch {
        return { problem: 'must be a URL such as https://api.circle.com' };
      }
    },
  }),
  setting({
    key: 'upstreamAttemptTimeoutMs',
    env: 'UPSTREAM_ATTEMPT_TIMEOUT_MS',
    default: client.attemptTimeoutMs,
    description: 'Deadline of one upstream attempt, from send to the last body byte.',
    parse: integer(1, 600_000),
  }),
  setting({
    key: 'upstreamConnectTimeoutMs',
    env: 'UPSTREAM_CONNECT_TIMEOUT_MS',
    default: client.connectTimeoutMs,
    description: 'Deadline for opening a connection to Circle.',
    parse: integer(1, 600_000),
  }),
  setting({
    key: 'upstreamMaxAttempts',
    env: 'UPSTREAM_MAX_ATTEMPTS',
    default: RETRY_DEFAULTS.maxAttempts,
    description: 'Attempts per upstream call, the first included (1 = no retries).',
    parse: integer(1, 10),
  }),
  setting({
    key: 'upstreamRetryBaseDelayMs',
    env: 'UPSTREAM_RETRY_BASE_DELAY_MS',
    default: RETRY_DEFAULTS.baseDelayMs,
    description: 'First backoff ceiling; doubles per retry, full jitter.',
    parse: integer(0, 60_000),
  }),
  setting({
    key: 'upstreamRetryMaxDelayMs',
    env: 'UPSTREAM_RETRY_MAX_DELAY_MS',
    default: RETRY_DEFAULTS.maxDelayMs,
    description: 'Largest backoff ceiling.',
    parse: integer(0, 600_000),
  }),
  setting({
    key: 'upstreamRetryBudgetRatio',
    env: 'UPSTREAM_RETRY_BUDGET_RATIO',
    default: RETRY_DEFAULTS.budgetRatio,
    description: 'Retries allowed per call over time (0.2 = one retry per five calls).',
    parse: ratio,
  }),
  setting({
    key: 'upstreamConnections',
    env: 'UPSTREAM_CONNECTIONS',
    default: client.connections,
    description: 'Keep-alive connections to Circle.',
    parse: integer(1, 10_000),
  }),
  setting({
    key: 'upstreamMaxInFlight',
    env: 'UPSTREAM_MAX_IN_FLIGHT',
    default: client.maxInFlight,
    description: 'Upstream calls in flight at once; more wait.',
    parse: integer(1, 100_000),
  }),
  setting({
    key: 'upstreamQueueTimeoutMs',
    env: 'UPSTREAM_QUEUE_TIMEOUT_MS',
    default: client.queueTimeoutMs,
    description: 'Longest wait for an in-flight slot before UPSTREAM_UNAVAILABLE.',
    parse: integer(0, 600_000),
  }),
  setting({
    key: 'circuitFailureThreshold',
    env: 'CIRCUIT_FAILURE_THRESHOLD',
    default: CIRCUIT_BREAKER_DEFAULTS.failureThreshold,
    description: 'Consecutive failed calls that open the circuit (0 = no breaker).',
    parse: integer(0, 1_000),
  }),
  setting({
    key: 'circuitResetMs',
    env: 'CIRCUIT_RESET_MS',
    default: CIRCUIT_BREAKER_DEFAULTS.resetAfterMs,
    description: 'Pause before one probe call goes to Circle again.',
    parse: integer(0, 600_000),
  }),
] as const;

export type CircleConfig = ValuesOf<typeof CIRCLE_SETTINGS>;

/** The client's options from the settings; the key, origin and observer are the caller's. */
export const circleClientOptionsFromConfig = (
  config: CircleConfig,
): Omit<CircleClientOptions, 'apiKey' | 'baseUrl' | 'observer'> => ({
  connectTimeoutMs: config.upstreamConnectTimeoutMs,
  connections: config.upstreamConnections,
  attemptTimeoutMs: config.upstreamAttemptTimeoutMs,
  retry: {
    maxAttempts: config.upstreamMaxAttempts,
    baseDelayMs: config.upstreamRetryBaseDelayMs,
    maxDelayMs: config.upstreamRetryMaxDelayMs,
    budgetRatio: config.upstreamRetryBudgetRatio,
  },
  circuitBreaker: {
    failureThreshold: config.circuitFailureThreshold,
    resetAfterMs: config.circuitResetMs,
  },
  maxInFlight: config.upstreamMaxInFlight,
  queueTimeoutMs: config.upstreamQueueTimeoutMs,
});

/**
 * A secret from a file (a Docker or Kubernetes secret mount). Problems name the setting and the
 * path, never the content.
 */
/**
 * The API key, from CIRCLE_API_KEY or the file CIRCLE_API_KEY_FILE names (not in the settings
 * table: the key is never shown, and its absence means the simulator). Problems never quote it.
 */
export function readCircleApiKey(
  env: Record<string, string | undefined>,
  keyFile: string | undefined,
  production: boolean,
  problems: string[],
): string | undefined {
  let apiKey = env.CIRCLE_API_KEY?.trim() || undefined;
  if (keyFile !== undefined) {
    if (apiKey !== undefined) {
      problems.push('CIRCLE_API_KEY and CIRCLE_API_KEY_FILE are both set: set only one');
    } else {
      apiKey = readSecretFile(keyFile, 'CIRCLE_API_KEY_FILE', problems);
    }
  }
  if (apiKey !== undefined && !isWellFormedApiKey(apiKey)) {
    problems.push(
      `${keyFile === undefined ? 'CIRCLE_API_KEY' : "CIRCLE_API_KEY_FILE's content"} must have the form TEST_API_KEY:ID:SECRET or LIVE_API_KEY:ID:SECRET`,
    );
  }
  if (apiKey === undefined && production) {
    problems.push(
      'CIRCLE_API_KEY is required when NODE_ENV=production (without it the gateway would run against its simulator)',
    );
  }
  return apiKey;
}

/** What no single setting can check (values missing were refused already). */
export function checkCircleSettings(values: Partial<CircleConfig>, problems: string[]): void {
  const { upstreamRetryBaseDelayMs: base, upstreamRetryMaxDelayMs: max } = values;
  if (base !== undefined && max !== undefined && max < base) {
    problems.push('UPSTREAM_RETRY_MAX_DELAY_MS must be >= UPSTREAM_RETRY_BASE_DELAY_MS');
  }
}
