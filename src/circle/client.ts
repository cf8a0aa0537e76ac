import { Agent, type Dispatcher, errors as undiciErrors } from 'undici';
import { validate as uuidValidate, v4 as uuidv4 } from 'uuid';
import {
  CircuitBreaker,
  type CircuitBreakerOptions,
  type CircuitState,
} from './circuit-breaker.js';
import { ConcurrencyLimiter } from './concurrency-limiter.js';
import { CIRCLE_CLIENT_DEFAULTS, DEFAULT_CIRCLE_BASE_URL } from './defaults.js';
import {
  CIRCLE_CHANNELS,
  type CircleAttemptMessage,
  type CircleCallMessage,
} from './diagnostics.js';
import {
  type CircleCall,
  CircleCircuitOpenError,
  type CircleClientError,
  CircleConnectionError,
  CircleHttpError,
  CircleMalformedResponseError,
  CircleOverloadedError,
  CircleTimeoutError,
  isCircleClientError,
} from './errors.js';
import {
  backoffDelay,
  parseRetryAfter,
  RetryBudget,
  type RetryOptions,
  resolveRetryOptions,
} from './retry-policy.js';
import {
  type CircleResult,
  type CreateUserTokenRequest,
  type MintedUserToken,
  parseErrorBody,
  parseMintedUserToken,
  parseRefreshedUserToken,
  type RefreshedUserToken,
  type RefreshUserTokenRequest,
} from './wire.js';

export { DEFAULT_CIRCLE_BASE_URL };

/** What a caller passes with every call: the deadline and the ids that go upstream. */
export interface CallOptions {
  /** Absolute time (ms since the epoch, by the client's clock) by which the call must settle. */
  deadline: number;
  /** Sent as `X-Request-Id` when it is a UUID; otherwise the client makes one. */
  requestId?: string | undefined;
  /** Aborts the call (e.g. the caller went away). */
  signal?: AbortSignal | undefined;
}

/** One upstream attempt, as observers see it: no header, token or body. */
export interface AttemptEvent {
  call: CircleCall;
  attempt: number;
  durationMs: number;
  /** HTTP status, when Circle answered. */
  status: number | undefined;
  /** `ok`, or the error code of the failed attempt. */
  outcome: 'ok' | CircleClientError['code'];
  circleCode: number | undefined;
  requestId: string | undefined;
}

/** Hooks for logs and metrics. They must not throw. */
export interface CircleClientObserver {
  onAttempt?(event: AttemptEvent): void;
  onRetry?(event: { call: CircleCall; attempt: number; delayMs: number; reason: string }): void;
  onCircuitChange?(state: CircuitState): void;
  onRejected?(event: { call: CircleCall; reason: 'circuit-open' | 'overloaded' }): void;
}

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

/** The least time worth starting another attempt with (a loopback answer takes ~1 ms). */
const MIN_ATTEMPT_MS = 50;

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
  const origin = new URL(options.baseUrl ?? DEFAULT_CIRCLE_BASE_URL);
  if (origin.protocol !== 'https:' && origin.protocol !== 'http:') {
    throw new TypeError('baseUrl must be an http(s) URL');
  }
  const basePath = origin.pathname.replace(/\/+$/, '');
  const now = options.now ?? Date.now;
  const random = options.random ?? Math.random;
  const attemptTimeoutMs = positive(
    'attemptTimeoutMs',
    options.attemptTimeoutMs ?? CIRCLE_CLIENT_DEFAULTS.attemptTimeoutMs,
  );
  const queueTimeoutMs = options.queueTimeoutMs ?? CIRCLE_CLIENT_DEFAULTS.queueTimeoutMs;
  if (!Number.isFinite(queueTimeoutMs) || queueTimeoutMs < 0) {
    throw new RangeError('queueTimeoutMs must be a number >= 0');
  }
  const retry = resolveRetryOptions(options.retry);
  const budget = new RetryBudget(retry.budgetRatio, retry.budgetMinRetries);
  const observer = options.observer ?? {};
  const breaker = new CircuitBreaker(options.circuitBreaker, now, (state) =>
    observer.onCircuitChange?.(state),
  );
  const limiter = new ConcurrencyLimiter(
    positive('maxInFlight', options.maxInFlight ?? CIRCLE_CLIENT_DEFAULTS.maxInFlight, true),
    options.maxQueued ?? CIRCLE_CLIENT_DEFAULTS.maxQueued,
  );
  const ownDispatcher = options.dispatcher
    ? undefined
    : new Agent({
        connect: {
          timeout: positive(
            'connectTimeoutMs',
            options.connectTimeoutMs ?? CIRCLE_CLIENT_DEFAULTS.connectTimeoutMs,
          ),
        },
        connections: positive(
          'connections',
          options.connections ?? CIRCLE_CLIENT_DEFAULTS.connections,
          true,
        ),
        keepAliveTimeout: 30_000,
        pipelining: 1,
      });
  const dispatcher: Dispatcher = options.dispatcher ?? (ownDispatcher as Dispatcher);
  const urlOf = (path: string) => origin.origin + basePath + path;
  const baseHeaders = {
    authorization: `Bearer ${options.apiKey}`,
    'content-type': 'application/json',
    accept: 'application/json',
    'user-agent': options.userAgent ?? 'circle-wallets-graphql-gateway',
  };

  interface Attempt<T> {
    call: CircleCall;
    path: string;
    headers: Record<string, string>;
    body: string;
    parse: (body: unknown) => T | string;
  }

  /**
   * One attempt: the exchange, settled as soon as its switch is thrown. undici cancels a request
   * still queued for a connection only when one frees up; the attempt must not wait for that.
   */
  function attemptOnce<T>(
    spec: Attempt<T>,
    requestId: string,
    signal: AttemptAbort,
    traceHeaders: Record<string, string> | undefined,
  ): Promise<{ result: CircleResult<T>; status: number }> {
    const exchanged = exchange(spec, requestId, signal, traceHeaders);
    return new Promise((resolve, reject) => {
      const onAbort = () => {
        // The exchange rejects too, later: already answered for.
        exchanged.catch(() => {});
        reject(new undiciErrors.RequestAbortedError());
      };
      signal.addEventListener('abort', onAbort);
      exchanged.then(
        (answer) => {
          signal.removeEventListener('abort', onAbort);
          resolve(answer);
        },
        (error: unknown) => {
          signal.removeEventListener('abort', onAbort);
          reject(error);
        },
      );
    });
  }

  /** One HTTP exchange. Always reads or discards the body, so the connection goes back to the pool. */
  async function exchange<T>(
    spec: Attempt<T>,
    requestId: string,
    signal: AttemptAbort,
    traceHeaders: Record<string, string> | undefined,
  ): Promise<{ result: CircleResult<T>; status: number }> {
    const response = await dispatcher.request({
      origin: origin.origin,
      path: basePath + spec.path,
      method: 'POST',
      // Trace context first: a subscriber can add headers, never replace the client's own.
      headers: { ...traceHeaders, ...baseHeaders, ...spec.headers, 'x-request-id': requestId },
      body: spec.body,
      signal,
    });
    const header = response.headers['x-request-id'];
    const upstreamRequestId = (Array.isArray(header) ? header[0] : header) ?? requestId;
    const text = await response.body.text();
    const status = response.statusCode;
    if (status < 200 || status >= 300) {
      const { code, message } = parseErrorBody(text);
      const retryAfter = response.headers['retry-after'];
      throw new CircleHttpError({
        call: spec.call,
        status,
        circleCode: code,
        circleMessage: message,
        requestId: upstreamRequestId,
        retryAfterMs: parseRetryAfter(
          Array.isArray(retryAfter) ? retryAfter[0] : retryAfter,
          now(),
        ),
      });
    }
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      throw new CircleMalformedResponseError(spec.call, upstreamRequestId, status, 'not JSON');
    }
    const data = spec.parse(json);
    if (typeof data === 'string') {
      throw new CircleMalformedResponseError(spec.call, upstreamRequestId, status, data);
    }
    return { result: { data, requestId: upstreamRequestId }, status };
  }

  /** Maps whatever an attempt threw to a client error; the cause's message is never kept. */
  function classify(
    error: unknown,
    call: CircleCall,
    requestId: string,
    timedOut: 'attempt' | 'deadline' | undefined,
    caller: AbortSignal | undefined,
  ): CircleClientError {
    if (isCircleClientError(error)) return error;
    if (timedOut) return new CircleTimeoutError(call, requestId, timedOut);
    const code = (error as { code?: unknown } | null)?.code;
    const causeCode = typeof code === 'string' ? code : undefined;
    if (causeCode === 'UND_ERR_CONNECT_TIMEOUT' || causeCode === 'UND_ERR_HEADERS_TIMEOUT') {
      return new CircleTimeoutError(call, requestId, 'attempt');
    }
    if (caller?.aborted) return new CircleConnectionError(call, requestId, 'ABORTED');
    return new CircleConnectionError(call, requestId, causeCode);
  }

  /** Whether a failed call says Circle is unhealthy: 5xx, timeouts, broken connections. */
  const isCircuitFailure = (error: CircleClientError, callerAborted: boolean): boolean => {
    if (callerAborted) return false;
    return error instanceof CircleHttpError ? error.status >= 500 : error.retryable;
  };

  async function execute<T>(spec: Attempt<T>, options: CallOptions): Promise<CircleResult<T>> {
    const requestId =
      options.requestId && uuidValidate(options.requestId) ? options.requestId : uuidv4();
    // Without a subscriber (tracing off) no message is made: one boolean check per call.
    if (!CIRCLE_CHANNELS.callStart.hasSubscribers) {
      return executeCall(spec, options, requestId, undefined);
    }
    const message: CircleCallMessage = {
      call: spec.call,
      requestId,
      circuitAtStart: breaker.state,
      attempts: 0,
    };
    CIRCLE_CHANNELS.callStart.publish(message);
    try {
      return await executeCall(spec, options, requestId, message);
    } catch (error) {
      if (isCircleClientError(error)) message.error = error;
      throw error;
    } finally {
      message.circuitAtEnd = breaker.state;
      CIRCLE_CHANNELS.callEnd.publish(message);
    }
  }

  async function executeCall<T>(
    spec: Attempt<T>,
    options: CallOptions,
    requestId: string,
    traced: CircleCallMessage | undefined,
  ): Promise<CircleResult<T>> {
    if (options.deadline - now() <= 0) {
      throw new CircleTimeoutError(spec.call, requestId, 'deadline');
    }
    if (!breaker.tryAcquire()) {
      observer.onRejected?.({ call: spec.call, reason: 'circuit-open' });
      throw new CircleCircuitOpenError(spec.call);
    }
    // From here every exit records a verdict or releases the probe slot, or a half-open circuit
    // would never probe again. `neutral`: Circle answered, about the request (a 4xx).
    let outcome: 'success' | 'failure' | 'neutral' | undefined;
    let lastAttemptFailed = false;
    let release: (() => void) | undefined;
    try {
      release = await limiter.acquire(Math.min(queueTimeoutMs, options.deadline - now()));
      if (!release) {
        observer.onRejected?.({ call: spec.call, reason: 'overloaded' });
        throw new CircleOverloadedError(spec.call);
      }
      budget.recordAttempt();
      for (let attempt = 1; ; attempt += 1) {
        const remaining = options.deadline - now();
        if (remaining <= 0) {
          if (lastAttemptFailed) outcome = 'failure';
          throw new CircleTimeoutError(spec.call, requestId, 'deadline');
        }
        // One abort switch and one timer per attempt, set to the nearer of the attempt's and the
        // call's deadline: cheaper than AbortSignal.timeout twice plus AbortSignal.any.
        const phase = remaining <= attemptTimeoutMs ? 'deadline' : 'attempt';
        const controller = new AttemptAbort();
        let timedOut: 'attempt' | 'deadline' | undefined;
        const timer = setTimeout(
          () => {
            timedOut = phase;
            controller.abort();
          },
          Math.min(remaining, attemptTimeoutMs),
        );
        const onCallerAbort = () => controller.abort();
        options.signal?.addEventListener('abort', onCallerAbort, { once: true });
        if (options.signal?.aborted) controller.abort();
        let attemptMessage: CircleAttemptMessage | undefined;
        if (traced) {
          traced.attempts = attempt;
          attemptMessage = { callMessage: traced, attempt, url: urlOf(spec.path), headers: {} };
          CIRCLE_CHANNELS.attemptStart.publish(attemptMessage);
        }
        const started = performance.now();
        try {
          const { result, status } = await attemptOnce(
            spec,
            requestId,
            controller,
            attemptMessage?.headers,
          ).finally(() => {
            clearTimeout(timer);
            options.signal?.removeEventListener('abort', onCallerAbort);
          });
          observer.onAttempt?.({
            call: spec.call,
            attempt,
            durationMs: performance.now() - started,
            status,
            outcome: 'ok',
            circleCode: undefined,
            requestId: result.requestId,
          });
          if (attemptMessage) {
            attemptMessage.status = status;
            attemptMessage.upstreamRequestId = result.requestId;
            CIRCLE_CHANNELS.attemptEnd.publish(attemptMessage);
          }
          outcome = 'success';
          return result;
        } catch (raw) {
          const error = classify(raw, spec.call, requestId, timedOut, options.signal);
          observer.onAttempt?.({
            call: spec.call,
            attempt,
            durationMs: performance.now() - started,
            status: 'status' in error ? (error.status as number) : undefined,
            outcome: error.code,
            circleCode: error instanceof CircleHttpError ? error.circleCode : undefined,
            requestId: error.requestId,
          });
          const failed = isCircuitFailure(error, options.signal?.aborted === true);
          lastAttemptFailed = failed;
          const delay = retryDelay(error, attempt, options);
          if (attemptMessage) {
            attemptMessage.error = error;
            attemptMessage.status = error instanceof CircleHttpError ? error.status : undefined;
            attemptMessage.circleCode =
              error instanceof CircleHttpError ? error.circleCode : undefined;
            attemptMessage.upstreamRequestId = error.requestId;
            attemptMessage.retryDelayMs = delay;
            CIRCLE_CHANNELS.attemptEnd.publish(attemptMessage);
          }
          if (delay === undefined) {
            outcome = failed ? 'failure' : error instanceof CircleHttpError ? 'neutral' : undefined;
            throw error;
          }
          observer.onRetry?.({ call: spec.call, attempt, delayMs: delay, reason: error.code });
          await sleep(delay, options.signal);
        }
      }
    } finally {
      release?.();
      if (outcome === 'success') breaker.recordSuccess();
      else if (outcome === 'failure') breaker.recordFailure();
      else if (outcome === 'neutral') breaker.recordNeutral();
      // No verdict (no slot, no time, the caller left): free the probe, stay where we are.
      else breaker.releaseProbe();
    }
  }

  /** The wait before the next attempt, or undefined when this error must not be retried now. */
  function retryDelay(
    error: CircleClientError,
    attempt: number,
    options: CallOptions,
  ): number | undefined {
    if (!error.retryable || attempt >= retry.maxAttempts || options.signal?.aborted) {
      return undefined;
    }
    if (error instanceof CircleTimeoutError && options.deadline - now() <= 0) return undefined;
    const retryAfter = error instanceof CircleHttpError ? error.retryAfterMs : undefined;
    const delay = retryAfter ?? backoffDelay(attempt, retry, random);
    // Another attempt is only worth it if it has time to get an answer before the deadline: a
    // Retry-After that leaves 1 ms would turn RATE_LIMITED (with its retryAfter) into a timeout.
    if (now() + delay + MIN_ATTEMPT_MS >= options.deadline) return undefined;
    if (!budget.tryWithdraw()) return undefined;
    return delay;
  }

  return {
    refreshUserToken({ userToken, refreshToken, deviceId, idempotencyKey }, options) {
      return execute(
        {
          call: 'refresh',
          path: '/v1/w3s/users/token/refresh',
          headers: { 'x-user-token': userToken },
          // The official SDK's field order; Circle does not care, but recordings compare equal.
          body: JSON.stringify({ idempotencyKey, refreshToken, deviceId }),
          parse: parseRefreshedUserToken,
        },
        options,
      );
    },
    createUserToken({ userId }, options) {
      return execute(
        {
          call: 'mint',
          path: '/v1/w3s/users/token',
          headers: {},
          body: JSON.stringify({ userId }),
          parse: parseMintedUserToken,
        },
        options,
      );
    },
    status: () => ({ circuit: breaker.state, inFlight: limiter.inFlight, queued: limiter.queued }),
    async close() {
      await ownDispatcher?.close();
    },
  };
}

function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    if (ms <= 0 || signal?.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}

/**
 * What aborts one attempt's undici request. undici takes anything with `aborted` and
 * add/removeEventListener as a signal; an AbortController (or an EventEmitter) costs several times
 * more to make, on every attempt, and the controller makes a DOMException with a stack when it
 * fires.
 */
class AttemptAbort {
  aborted = false;
  private listeners: Array<() => void> = [];

  addEventListener(_type: 'abort', listener: () => void): void {
    this.listeners.push(listener);
  }

  removeEventListener(_type: 'abort', listener: () => void): void {
    const at = this.listeners.indexOf(listener);
    if (at >= 0) this.listeners.splice(at, 1);
  }

  abort(): void {
    if (this.aborted) return;
    this.aborted = true;
    const listeners = this.listeners;
    this.listeners = [];
    for (const listener of listeners) listener();
  }
}
