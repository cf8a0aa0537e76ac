/**
 * The only reader of the environment. Every setting is declared once below (name, default,
 * meaning), parsed and checked at start, and every problem is reported at once.
 */

import { isWellFormedApiKey } from './circle/client.js';
import type { LogLevel } from './logger.js';

export interface Config {
  /** Undefined: run against the embedded simulator. */
  circleApiKey: string | undefined;
  circleBaseUrl: string;
  host: string;
  port: number;
  production: boolean;
  simulatorHost: string;
  simulatorPort: number;
  logLevel: LogLevel;
  mutationDeadlineMs: number;
  upstreamAttemptTimeoutMs: number;
  upstreamConnectTimeoutMs: number;
  upstreamMaxAttempts: number;
  upstreamRetryBaseDelayMs: number;
  upstreamRetryMaxDelayMs: number;
  upstreamRetryBudgetRatio: number;
  upstreamConnections: number;
  upstreamMaxInFlight: number;
  upstreamQueueTimeoutMs: number;
  circuitFailureThreshold: number;
  circuitResetMs: number;
  userTokenCacheMaxEntries: number;
  userTokenCacheTtlMs: number;
  shutdownTimeoutMs: number;
}

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  readonly code = 'CONFIG_INVALID';
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n  - ${problems.join('\n  - ')}`);
  }
}

type Parser<T> = (raw: string) => T | { problem: string };

const integer =
  (min: number, max = Number.MAX_SAFE_INTEGER): Parser<number> =>
  (raw) => {
    const value = Number(raw);
    return /^-?\d+$/.test(raw.trim()) && value >= min && value <= max
      ? value
      : { problem: `must be a whole number from ${min} to ${max}` };
  };

const ratio: Parser<number> = (raw) => {
  const value = Number(raw);
  return raw.trim() !== '' && Number.isFinite(value) && value >= 0 && value <= 1
    ? value
    : { problem: 'must be a number from 0 to 1' };
};

const text: Parser<string> = (raw) => (raw.trim() ? raw.trim() : { problem: 'must not be empty' });

const LOG_LEVELS = ['debug', 'info', 'warn', 'error', 'silent'] as const;

interface Setting<K extends keyof Config> {
  key: K;
  env: string;
  default: Config[K];
  parse: Parser<Config[K]>;
  /** One line for the README's settings table. */
  description: string;
}

const setting = <K extends keyof Config>(s: Setting<K>) => s;

/** Every setting the gateway reads. The README's table lists each (a test checks it). */
export const SETTINGS = [
  setting({
    key: 'circleBaseUrl',
    env: 'CIRCLE_BASE_URL',
    default: 'https://api.circle.com',
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
    key: 'host',
    env: 'HOST',
    default: '127.0.0.1',
    description: 'Address the gateway listens on (0.0.0.0 in a container).',
    parse: text,
  }),
  setting({
    key: 'port',
    env: 'PORT',
    default: 4000,
    description: 'Port the gateway listens on.',
    parse: integer(0, 65535),
  }),
  setting({
    key: 'simulatorHost',
    env: 'SIMULATOR_HOST',
    default: '127.0.0.1',
    description: 'Address of the embedded simulator (only without CIRCLE_API_KEY).',
    parse: text,
  }),
  setting({
    key: 'simulatorPort',
    env: 'SIMULATOR_PORT',
    default: 4010,
    description: 'Port of the embedded simulator (only without CIRCLE_API_KEY).',
    parse: integer(0, 65535),
  }),
  setting({
    key: 'logLevel',
    env: 'LOG_LEVEL',
    default: 'info',
    description: 'debug, info, warn, error or silent.',
    parse: (raw) =>
      (LOG_LEVELS as readonly string[]).includes(raw)
        ? (raw as LogLevel)
        : { problem: `must be one of ${LOG_LEVELS.join(', ')}` },
  }),
  setting({
    key: 'mutationDeadlineMs',
    env: 'MUTATION_DEADLINE_MS',
    default: 10_000,
    description: "Overall deadline of one mutation's upstream work, retries included.",
    parse: integer(1, 600_000),
  }),
  setting({
    key: 'upstreamAttemptTimeoutMs',
    env: 'UPSTREAM_ATTEMPT_TIMEOUT_MS',
    default: 5_000,
    description: 'Deadline of one upstream attempt, from send to the last body byte.',
    parse: integer(1, 600_000),
  }),
  setting({
    key: 'upstreamConnectTimeoutMs',
    env: 'UPSTREAM_CONNECT_TIMEOUT_MS',
    default: 2_000,
    description: 'Deadline for opening a connection to Circle.',
    parse: integer(1, 600_000),
  }),
  setting({
    key: 'upstreamMaxAttempts',
    env: 'UPSTREAM_MAX_ATTEMPTS',
    default: 3,
    description: 'Attempts per upstream call, the first included (1 = no retries).',
    parse: integer(1, 10),
  }),
  setting({
    key: 'upstreamRetryBaseDelayMs',
    env: 'UPSTREAM_RETRY_BASE_DELAY_MS',
    default: 100,
    description: 'First backoff ceiling; doubles per retry, full jitter.',
    parse: integer(0, 60_000),
  }),
  setting({
    key: 'upstreamRetryMaxDelayMs',
    env: 'UPSTREAM_RETRY_MAX_DELAY_MS',
    default: 2_000,
    description: 'Largest backoff ceiling.',
    parse: integer(0, 600_000),
  }),
  setting({
    key: 'upstreamRetryBudgetRatio',
    env: 'UPSTREAM_RETRY_BUDGET_RATIO',
    default: 0.2,
    description: 'Retries allowed per call over time (0.2 = one retry per five calls).',
    parse: ratio,
  }),
  setting({
    key: 'upstreamConnections',
    env: 'UPSTREAM_CONNECTIONS',
    default: 64,
    description: 'Keep-alive connections to Circle.',
    parse: integer(1, 10_000),
  }),
  setting({
    key: 'upstreamMaxInFlight',
    env: 'UPSTREAM_MAX_IN_FLIGHT',
    default: 256,
    description: 'Upstream calls in flight at once; more wait.',
    parse: integer(1, 100_000),
  }),
  setting({
    key: 'upstreamQueueTimeoutMs',
    env: 'UPSTREAM_QUEUE_TIMEOUT_MS',
    default: 1_000,
    description: 'Longest wait for an in-flight slot before UPSTREAM_UNAVAILABLE.',
    parse: integer(0, 600_000),
  }),
  setting({
    key: 'circuitFailureThreshold',
    env: 'CIRCUIT_FAILURE_THRESHOLD',
    default: 5,
    description: 'Consecutive failed calls that open the circuit (0 = no breaker).',
    parse: integer(0, 1_000),
  }),
  setting({
    key: 'circuitResetMs',
    env: 'CIRCUIT_RESET_MS',
    default: 5_000,
    description: 'Pause before one probe call goes to Circle again.',
    parse: integer(0, 600_000),
  }),
  setting({
    key: 'userTokenCacheMaxEntries',
    env: 'USER_TOKEN_CACHE_MAX_ENTRIES',
    default: 10_000,
    description: 'Minted user tokens kept (userId path); 0 = no cache.',
    parse: integer(0, 10_000_000),
  }),
  setting({
    key: 'userTokenCacheTtlMs',
    env: 'USER_TOKEN_CACHE_TTL_MS',
    default: 3_000_000,
    description: 'Longest a minted token is reused (at most 50 minutes).',
    parse: integer(0, 3_000_000),
  }),
  setting({
    key: 'shutdownTimeoutMs',
    env: 'SHUTDOWN_TIMEOUT_MS',
    default: 15_000,
    description: 'On SIGTERM/SIGINT, longest wait for in-flight requests before exiting.',
    parse: integer(0, 600_000),
  }),
] as const;

/** Reads and checks every setting; throws one ConfigError that lists every problem. */
export function readConfig(env: Record<string, string | undefined>): Config {
  const problems: string[] = [];
  const values: Record<string, unknown> = {};
  for (const s of SETTINGS) {
    const raw = env[s.env];
    if (raw === undefined || raw === '') {
      values[s.key] = s.default;
      continue;
    }
    const parsed = (s.parse as Parser<unknown>)(raw);
    if (parsed && typeof parsed === 'object' && 'problem' in parsed) {
      problems.push(`${s.env} ${parsed.problem} (got "${raw}")`);
    } else {
      values[s.key] = parsed;
    }
  }
  const production = env.NODE_ENV === 'production';
  const apiKey = env.CIRCLE_API_KEY?.trim() || undefined;
  if (apiKey !== undefined && !isWellFormedApiKey(apiKey)) {
    // The value itself is a secret, so it is never echoed.
    problems.push(
      'CIRCLE_API_KEY must have the form TEST_API_KEY:ID:SECRET or LIVE_API_KEY:ID:SECRET',
    );
  }
  if (apiKey === undefined && production) {
    problems.push(
      'CIRCLE_API_KEY is required when NODE_ENV=production (without it the gateway would run against its simulator)',
    );
  }
  if (
    typeof values.upstreamRetryMaxDelayMs === 'number' &&
    typeof values.upstreamRetryBaseDelayMs === 'number' &&
    values.upstreamRetryMaxDelayMs < values.upstreamRetryBaseDelayMs
  ) {
    problems.push('UPSTREAM_RETRY_MAX_DELAY_MS must be >= UPSTREAM_RETRY_BASE_DELAY_MS');
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return {
    ...(values as Omit<Config, 'circleApiKey' | 'production'>),
    circleApiKey: apiKey,
    production,
  };
}
