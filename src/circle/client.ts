/**
 * The Circle client, composed from its seams: one attempt over an injected dispatcher
 * (src/circle/http-attempt.ts), the call policy around it (src/circle/call-policy.ts), and the
 * two endpoints (src/circle/endpoints.ts). Its events go out once (src/circle/client-events.ts).
 */

import { type CallOptions, createCallPolicy } from './call-policy.js';
import type { CircuitBreakerOptions, CircuitState } from './circuit-breaker.js';
import { type CircleClientObserver, createCircleEvents } from './client-events.js';
import { CIRCLE_CLIENT_DEFAULTS, DEFAULT_CIRCLE_BASE_URL } from './defaults.js';
import { mintRequest, refreshRequest } from './endpoints.js';
import { createHttpAttempt, type Dispatcher } from './http-attempt.js';
import type { RetryOptions } from './retry-policy.js';
import type {
  CircleResult,
  CreateUserTokenRequest,
  MintedUserToken,
  RefreshedUserToken,
  RefreshUserTokenRequest,
} from './wire.js';

export type { CallOptions } from './call-policy.js';
export {
  type AttemptEvent,
  type CircleClientObserver,
  observeCircleClient,
} from './client-events.js';

export { DEFAULT_CIRCLE_BASE_URL };

export interface CircleClientOptions {
  /** `PREFIX:ID:SECRET`. Sent only as `Authorization: Bearer` to `baseUrl`. */
  apiKey: string;
  /**
   * Circle's origin.
   * @default 'https://api.circle.com'
   */
  baseUrl?: string;
  /**
   * The undici dispatcher. When absent the client makes a keep-alive `Agent` and closes it in
   * `close()`; an injected one is the caller's to close.
   */
  dispatcher?: Dispatcher;
  /**
   * Connect deadline of the client's own Agent (ignored with an injected dispatcher).
   * @default 2000
   */
  connectTimeoutMs?: number;
  /**
   * Connections per origin in the client's own Agent.
   * @default 64
   */
  connections?: number;
  /**
   * Deadline of one attempt, from send to the whole body read.
   * @default 5000
   */
  attemptTimeoutMs?: number;
  /** Retries on connection errors, 5xx, 429 and timeouts; never on other 4xx. */
  retry?: RetryOptions;
  circuitBreaker?: CircuitBreakerOptions;
  /**
   * Calls allowed in flight at once.
   * @default 256
   */
  maxInFlight?: number;
  /**
   * Calls allowed to wait for a slot; more are refused at once.
   * @default 1024
   */
  maxQueued?: number;
  /**
   * Longest wait for a slot (also bounded by the call's deadline).
   * @default 1000
   */
  queueTimeoutMs?: number;
  /** @default 'circle-wallets-graphql-gateway' */
  userAgent?: string;
  /**
   * Hooks called with this client's events, as `observeCircleClient` delivers them. Kept for
   * embedders; the gateway's server subscribes its logs and metrics instead.
   */
  observer?: CircleClientObserver;
  /** Clock and randomness, injectable for tests. */
  now?: () => number;
  random?: () => number;
}

export interface CircleClient {
  /** POST /v1/w3s/users/token/refresh. The idempotency key is the caller's: one per mutation. */
  refreshUserToken(
    request: RefreshUserTokenRequest & { idempotencyKey: string },
    options: CallOptions,
  ): Promise<CircleResult<RefreshedUserToken>>;
  /** POST /v1/w3s/users/token: mint a user token for a user id. */
  createUserToken(
    request: CreateUserTokenRequest,
    options: CallOptions,
  ): Promise<CircleResult<MintedUserToken>>;
  /** The circuit's state and the calls in flight, for readiness and metrics. */
  status(): { circuit: CircuitState; inFlight: number; queued: number };
  /** Closes the client's own dispatcher after in-flight calls finish. */
  close(): Promise<void>;
}

const API_KEY_PATTERN = /^(TEST_API_KEY|LIVE_API_KEY):[^:\s]+:[^:\s]+$/;

/** Whether a string has the shape Circle's API keys have. The key itself is never echoed. */
export const isWellFormedApiKey = (apiKey: string): boolean => API_KEY_PATTERN.test(apiKey);

const positive = (name: string, value: number, integer = false): number => {
  if (!Number.isFinite(value) || value <= 0 || (integer && !Number.isInteger(value))) {
    throw new RangeError(`${name} must be a ${integer ? 'positive integer' : 'positive number'}`);
  }
  return value;
};

export function createCircleClient(options: CircleClientOptions): CircleClient {
  if (typeof options.apiKey !== 'string' || !isWellFormedApiKey(options.apiKey)) {
    throw new TypeError(
      'apiKey must have the form TEST_API_KEY:ID:SECRET or LIVE_API_KEY:ID:SECRET',
    );
  }
  const baseUrl = new URL(options.baseUrl ?? DEFAULT_CIRCLE_BASE_URL);
  if (baseUrl.protocol !== 'https:' && baseUrl.protocol !== 'http:') {
    throw new TypeError('baseUrl must be an http(s) URL');
  }
  const now = options.now ?? Date.now;
  const attemptTimeoutMs = positive(
    'attemptTimeoutMs',
    options.attemptTimeoutMs ?? CIRCLE_CLIENT_DEFAULTS.attemptTimeoutMs,
  );
  const queueTimeoutMs = options.queueTimeoutMs ?? CIRCLE_CLIENT_DEFAULTS.queueTimeoutMs;
  if (!Number.isFinite(queueTimeoutMs) || queueTimeoutMs < 0) {
    throw new RangeError('queueTimeoutMs must be a number >= 0');
  }
  const maxInFlight = positive(
    'maxInFlight',
    options.maxInFlight ?? CIRCLE_CLIENT_DEFAULTS.maxInFlight,
    true,
  );
  const injected = options.dispatcher !== undefined;
  const http = createHttpAttempt({
    apiKey: options.apiKey,
    baseUrl,
    dispatcher: options.dispatcher,
    // Checked only for the client's own Agent, as before: an injected dispatcher ignores them.
    connectTimeoutMs: injected
      ? 0
      : positive(
          'connectTimeoutMs',
          options.connectTimeoutMs ?? CIRCLE_CLIENT_DEFAULTS.connectTimeoutMs,
        ),
    connections: injected
      ? 0
      : positive('connections', options.connections ?? CIRCLE_CLIENT_DEFAULTS.connections, true),
    userAgent: options.userAgent ?? 'circle-wallets-graphql-gateway',
    now,
  });
  // The object callers hold is what messages name, so subscribers can tell clients apart.
  const client = {} as CircleClient;
  const policy = createCallPolicy({
    attempt: http.attempt,
    urlOf: http.urlOf,
    attemptTimeoutMs,
    retry: options.retry,
    circuitBreaker: options.circuitBreaker,
    maxInFlight,
    maxQueued: options.maxQueued ?? CIRCLE_CLIENT_DEFAULTS.maxQueued,
    queueTimeoutMs,
    events: createCircleEvents(options.observer),
    source: client,
    now,
    random: options.random ?? Math.random,
  });
  return Object.assign(client, {
    refreshUserToken: (request, call) => policy.call(refreshRequest(request), call),
    createUserToken: (request, call) => policy.call(mintRequest(request), call),
    status: () => policy.status(),
    close: () => http.close(),
  } satisfies CircleClient);
}
