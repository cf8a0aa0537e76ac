/**
 * The only reader of the environment. Every setting is declared once below (name, default,
 * meaning), parsed and checked at start, and every problem is reported at once.
 */

import { existsSync, readFileSync } from 'node:fs';
import { isWellFormedApiKey } from './circle/client.js';
import type { LogLevel } from './logger.js';
import { parseAddressList } from './security/client-address.js';
import { parseOriginList } from './security/cors.js';
import {
  DEFAULT_TRUSTED_DOCUMENTS_FILE,
  DEFAULT_TRUSTED_DOCUMENTS_PATH,
} from './security/trusted-documents.js';

export interface Config {
  /** Undefined: run against the embedded simulator. */
  circleApiKey: string | undefined;
  /** Where the API key was read from (CIRCLE_API_KEY_FILE), if from a file. */
  circleApiKeyFile: string | undefined;
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
  shutdownDelayMs: number;
  headersTimeoutMs: number;
  requestTimeoutMs: number;
  maxConnections: number;
  workers: number;
  maxBodyBytes: number;
  maxDepth: number;
  maxAliases: number;
  maxTokens: number;
  maxDirectives: number;
  maxCost: number;
  /** `auto`: on in development, off in production (NODE_ENV=production). */
  allowIntrospection: boolean | 'auto';
  /** `auto`: on in development, off in production. */
  graphiql: boolean | 'auto';
  metrics: boolean;
  /** `auto`: `api` in development, 9464 in production. */
  metricsPort: number | 'api' | 'auto';
  metricsHost: string;
  fastPath: boolean;
  /** `auto`: on in development, off in production. */
  fieldSuggestions: boolean | 'auto';
  rateLimitAddressRate: number;
  rateLimitAddressBurst: number;
  rateLimitDeviceRate: number;
  rateLimitDeviceBurst: number;
  rateLimitUpstreamRate: number;
  rateLimitUpstreamBurst: number;
  rateLimitUpstreamRefusalCost: number;
  /** Undefined: loopback outside production, none in production. */
  rateLimitExempt: string[] | undefined;
  trustProxy: string[];
  /** `auto`: enabled in development; in production only with an `authorizeUserId` hook. */
  userIdPath: 'enabled' | 'disabled' | 'auto';
  corsOrigins: string[];
  hstsMaxAge: number;
  /** The manifest's path, or false: any document runs. */
  trustedDocuments: string | false;
  /** Serve the Apollo Federation v2 subgraph (`_service { sdl }`) instead of the plain schema. */
  subgraph: boolean;
  /** Undefined: limits, minted tokens and coalescing stay in this process's memory. */
  redisUrl: string | undefined;
  redisTimeoutMs: number;
  redisKeyPrefix: string;
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

const toggle: Parser<boolean | 'auto'> = (raw) => {
  const value = raw.trim().toLowerCase();
  if (value === 'auto') return 'auto';
  if (value === 'true' || value === '1' || value === 'on') return true;
  if (value === 'false' || value === '0' || value === 'off') return false;
  return { problem: 'must be true, false or auto' };
};

const boolean: Parser<boolean> = (raw) => {
  const value = raw.trim().toLowerCase();
  if (value === 'true') return true;
  if (value === 'false') return false;
  return { problem: 'must be true or false' };
};

const trustedDocuments: Parser<string | false> = (raw) => {
  const value = raw.trim();
  if (/^(false|0|off)$/i.test(value)) return false;
  const path = /^(true|1|on)$/i.test(value) ? DEFAULT_TRUSTED_DOCUMENTS_FILE : value;
  return existsSync(path)
    ? path
    : { problem: `names no file (${path}); run npm run codegen, or give the manifest's path` };
};

interface Setting<K extends keyof Config> {
  key: K;
  env: string;
  default: Config[K];
  parse: Parser<Config[K]>;
  /** One line for the README's settings table. */
  description: string;
  /** How the README shows the default, where the value alone would not say it. */
  defaultLabel?: string;
  /** The value may hold a password: a problem with it never quotes it. */
  secret?: boolean;
}

const setting = <K extends keyof Config>(s: Setting<K>) => s;

/** Every setting the gateway reads. The README's table lists each (a test checks it). */
export const SETTINGS = [
  setting({
    key: 'circleApiKeyFile',
    env: 'CIRCLE_API_KEY_FILE',
    default: undefined,
    description:
      'A file holding the API key (a mounted secret), instead of CIRCLE_API_KEY; one trailing newline is ignored.',
    parse: text,
  }),
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
  setting({
    key: 'shutdownDelayMs',
    env: 'SHUTDOWN_DELAY_MS',
    default: 0,
    description:
      'On SIGTERM, answer GET /ready with 503 but keep serving this long before draining, so load balancers stop sending first.',
    parse: integer(0, 600_000),
  }),
  setting({
    key: 'headersTimeoutMs',
    env: 'HEADERS_TIMEOUT_MS',
    default: 10_000,
    description: 'Longest a client may take to send its request headers (408 and close after).',
    parse: integer(1_000, 600_000),
  }),
  setting({
    key: 'requestTimeoutMs',
    env: 'REQUEST_TIMEOUT_MS',
    default: 30_000,
    description: 'Longest a client may take to send its whole request, body included.',
    parse: integer(1_000, 3_600_000),
  }),
  setting({
    key: 'maxConnections',
    env: 'MAX_CONNECTIONS',
    default: 1_000,
    description: 'Open client sockets per process at most (0 = no cap); more are closed at once.',
    parse: integer(0, 1_000_000),
  }),
  setting({
    key: 'workers',
    env: 'WORKERS',
    default: 1,
    description:
      'Processes serving the port (node:cluster); each keeps its own caches, limits and circuit. Needs CIRCLE_API_KEY when > 1.',
    parse: integer(1, 64),
  }),
  setting({
    key: 'maxBodyBytes',
    env: 'MAX_BODY_BYTES',
    default: 65_536,
    description: 'Largest request body in bytes; larger is refused with 413 before it is read.',
    parse: integer(1_024, 10_000_000),
  }),
  setting({
    key: 'maxDepth',
    env: 'MAX_DEPTH',
    default: 6,
    description: 'Deepest selection in a document (0 = no limit); 400 MAX_DEPTH beyond it.',
    parse: integer(0, 1_000),
  }),
  setting({
    key: 'maxAliases',
    env: 'MAX_ALIASES',
    default: 10,
    description: 'Aliases in one operation (0 = no limit); 400 MAX_ALIASES beyond it.',
    parse: integer(0, 10_000),
  }),
  setting({
    key: 'maxTokens',
    env: 'MAX_TOKENS',
    default: 1_000,
    description: 'Lexical tokens in a query (0 = no limit); 400 MAX_TOKENS beyond it.',
    parse: integer(0, 1_000_000),
  }),
  setting({
    key: 'maxDirectives',
    env: 'MAX_DIRECTIVES',
    default: 10,
    description: 'Directives in one operation (0 = no limit); 400 MAX_DIRECTIVES beyond it.',
    parse: integer(0, 10_000),
  }),
  setting({
    key: 'maxCost',
    env: 'MAX_COST',
    default: 1_000,
    description: 'Query cost (objects 2, scalars 1, x1.5 per level; 0 = no limit); 400 MAX_COST.',
    parse: integer(0, 10_000_000),
  }),
  setting({
    key: 'allowIntrospection',
    env: 'ALLOW_INTROSPECTION',
    default: 'auto',
    description:
      'Answer __schema/__type: true, false, or auto (on in development, off in production).',
    parse: toggle,
  }),
  setting({
    key: 'graphiql',
    env: 'GRAPHIQL',
    default: 'auto',
    description:
      'GraphiQL at GET /graphql: true, false, or auto (on in development, off in production).',
    parse: toggle,
  }),
  setting({
    key: 'metrics',
    env: 'METRICS',
    default: true,
    description: 'Serve Prometheus metrics at GET /metrics: true or false.',
    parse: boolean,
  }),
  setting({
    key: 'metricsPort',
    env: 'METRICS_PORT',
    default: 'auto',
    description:
      'Where /metrics is served: a port of its own, api (the API port), or auto (api; 9464 in production).',
    parse: (raw) => {
      const value = raw.trim().toLowerCase();
      if (value === 'auto' || value === 'api') return value;
      const port = integer(0, 65535)(value);
      return typeof port === 'number'
        ? port
        : { problem: 'must be a port (0 to 65535), api or auto' };
    },
  }),
  setting({
    key: 'metricsHost',
    env: 'METRICS_HOST',
    default: '127.0.0.1',
    description: "Address of /metrics' own port (loopback: only the host's scraper reaches it).",
    parse: text,
  }),
  setting({
    key: 'fastPath',
    env: 'FAST_PATH',
    default: true,
    description:
      'Serve JSON POSTs of documents already validated without Yoga (same checks, same answers, less CPU): true or false.',
    parse: boolean,
  }),
  setting({
    key: 'fieldSuggestions',
    env: 'FIELD_SUGGESTIONS',
    default: 'auto',
    description: 'Keep "Did you mean …?" in errors: true, false, or auto (off in production).',
    parse: toggle,
  }),
  setting({
    key: 'rateLimitAddressRate',
    env: 'RATE_LIMIT_ADDRESS_RATE',
    default: 50,
    description: 'GraphQL requests per second per client address (0 = no limit); 429 beyond.',
    parse: integer(0, 1_000_000),
  }),
  setting({
    key: 'rateLimitAddressBurst',
    env: 'RATE_LIMIT_ADDRESS_BURST',
    default: 100,
    description: 'Requests a client address may send at once above its rate.',
    parse: integer(1, 10_000_000),
  }),
  setting({
    key: 'rateLimitDeviceRate',
    env: 'RATE_LIMIT_DEVICE_RATE',
    default: 5,
    description:
      'refreshUserToken calls per second per deviceId (0 = no limit); checked before Circle.',
    parse: integer(0, 1_000_000),
  }),
  setting({
    key: 'rateLimitDeviceBurst',
    env: 'RATE_LIMIT_DEVICE_BURST',
    default: 10,
    description: 'refreshUserToken calls a deviceId may make at once above its rate.',
    parse: integer(1, 10_000_000),
  }),
  setting({
    key: 'rateLimitUpstreamRate',
    env: 'RATE_LIMIT_UPSTREAM_RATE',
    default: 1,
    description:
      'Refreshes per second per address that may reach Circle (0 = no limit); 429 beyond.',
    parse: integer(0, 1_000_000),
  }),
  setting({
    key: 'rateLimitUpstreamBurst',
    env: 'RATE_LIMIT_UPSTREAM_BURST',
    default: 3,
    description: 'Refreshes an address may send to Circle at once above that rate.',
    parse: integer(1, 10_000_000),
  }),
  setting({
    key: 'rateLimitUpstreamRefusalCost',
    env: 'RATE_LIMIT_REFUSAL_COST',
    default: 2,
    description:
      'Extra tokens an address loses when Circle refuses its token or device (0 = none).',
    parse: integer(0, 1_000),
  }),
  setting({
    key: 'rateLimitExempt',
    env: 'RATE_LIMIT_EXEMPT',
    default: undefined,
    defaultLabel: 'loopback; none in production',
    description: 'Client addresses not rate limited: IPs, CIDRs, loopback, private, or none.',
    parse: parseAddressList,
  }),
  setting({
    key: 'trustProxy',
    env: 'TRUST_PROXY',
    default: [],
    description:
      'Proxies whose X-Forwarded-For names the client (IPs, CIDRs, loopback, private); empty: none.',
    parse: parseAddressList,
  }),
  setting({
    key: 'userIdPath',
    env: 'USER_ID_PATH',
    default: 'auto',
    description:
      'user.userId accepted? enabled, disabled, or auto (production: only with an authorizeUserId hook).',
    parse: (raw) => {
      const value = raw.trim().toLowerCase();
      return value === 'enabled' || value === 'disabled' || value === 'auto'
        ? value
        : { problem: 'must be enabled, disabled or auto' };
    },
  }),
  setting({
    key: 'corsOrigins',
    env: 'CORS_ORIGINS',
    default: [],
    description:
      'Origins allowed to call from a browser, comma-separated; empty: same origin only.',
    parse: parseOriginList,
  }),
  setting({
    key: 'hstsMaxAge',
    env: 'HSTS_MAX_AGE',
    default: 0,
    description:
      'Strict-Transport-Security max-age in seconds, when clients come over HTTPS (0 = none).',
    parse: integer(0, 100_000_000),
  }),
  setting({
    key: 'trustedDocuments',
    env: 'TRUSTED_DOCUMENTS',
    default: false,
    description: `Run only known operations: true (${DEFAULT_TRUSTED_DOCUMENTS_PATH}), a manifest path, or false.`,
    parse: trustedDocuments,
  }),
  setting({
    key: 'subgraph',
    env: 'SUBGRAPH',
    default: false,
    description:
      'Serve the schema as an Apollo Federation v2 subgraph (`_service { sdl }`, `@link`, `@oneOf` declared): true or false.',
    parse: boolean,
  }),
  setting({
    key: 'redisUrl',
    env: 'REDIS_URL',
    default: undefined,
    defaultLabel: 'none: in memory, per process',
    secret: true,
    description:
      'redis:// or rediss:// URL: limits, minted tokens, coalescing shared by all instances (docs/fleet.md).',
    parse: (raw) => {
      try {
        const url = new URL(raw.trim());
        return url.protocol === 'redis:' || url.protocol === 'rediss:'
          ? url.href
          : { problem: 'must be a redis:// or rediss:// URL' };
      } catch {
        return { problem: 'must be a URL such as redis://127.0.0.1:6379' };
      }
    },
  }),
  setting({
    key: 'redisTimeoutMs',
    env: 'REDIS_TIMEOUT_MS',
    default: 250,
    description:
      'Deadline of one Redis call; past it, or with Redis down, each process uses its own memory.',
    parse: integer(1, 60_000),
  }),
  setting({
    key: 'redisKeyPrefix',
    env: 'REDIS_KEY_PREFIX',
    default: 'cwg:',
    description: 'Prefix of every Redis key and channel the gateway uses.',
    parse: text,
  }),
] as const;

/**
 * A secret from a file (a Docker or Kubernetes secret mount). Problems name the setting and the
 * path, never the content.
 */
function readSecretFile(path: string, name: string, problems: string[]): string | undefined {
  let content: string;
  try {
    content = readFileSync(path, 'utf8');
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    problems.push(`${name} names a file that cannot be read (${path}: ${String(code ?? 'error')})`);
    return undefined;
  }
  const value = content.replace(/\r?\n$/, '');
  if (value.trim() === '') {
    problems.push(`${name} names an empty file (${path})`);
    return undefined;
  }
  return value;
}

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
      const secret = 'secret' in s && s.secret;
      problems.push(`${s.env} ${parsed.problem}${secret ? '' : ` (got "${raw}")`}`);
    } else {
      values[s.key] = parsed;
    }
  }
  const production = env.NODE_ENV === 'production';
  let apiKey = env.CIRCLE_API_KEY?.trim() || undefined;
  const keyFile = values.circleApiKeyFile as string | undefined;
  if (keyFile !== undefined) {
    if (apiKey !== undefined) {
      problems.push('CIRCLE_API_KEY and CIRCLE_API_KEY_FILE are both set: set only one');
    } else {
      apiKey = readSecretFile(keyFile, 'CIRCLE_API_KEY_FILE', problems);
    }
  }
  if (apiKey !== undefined && !isWellFormedApiKey(apiKey)) {
    // The value itself is a secret, so it is never echoed.
    problems.push(
      `${keyFile === undefined ? 'CIRCLE_API_KEY' : "CIRCLE_API_KEY_FILE's content"} must have the form TEST_API_KEY:ID:SECRET or LIVE_API_KEY:ID:SECRET`,
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
  if (
    typeof values.headersTimeoutMs === 'number' &&
    typeof values.requestTimeoutMs === 'number' &&
    values.requestTimeoutMs < values.headersTimeoutMs
  ) {
    problems.push('REQUEST_TIMEOUT_MS must be >= HEADERS_TIMEOUT_MS (the headers are part of it)');
  }
  if (typeof values.workers === 'number' && values.workers > 1 && apiKey === undefined) {
    problems.push(
      'WORKERS > 1 needs CIRCLE_API_KEY: the embedded simulator keeps its sessions in one process',
    );
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return {
    ...(values as Omit<Config, 'circleApiKey' | 'production'>),
    circleApiKey: apiKey,
    production,
  };
}
