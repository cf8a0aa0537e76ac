/**
 * The call policy: what turns one `attempt()` into a call. In order: the caller's deadline, the
 * circuit breaker, the bulkhead (in-flight and queued slots), then attempts with a per-attempt
 * timeout, retried on connection errors, 5xx, 429 and timeouts within a retry budget and the
 * deadline. It knows no HTTP client: the attempt is a function it is given (src/circle/
 * http-attempt.ts in production, a fake in test/circle/call-policy.unit.test.ts).
 */
import { validate as uuidValidate, v4 as uuidv4 } from 'uuid';
import { AbortSwitch } from './abort-switch.js';
import {
  CircuitBreaker,
  type CircuitBreakerOptions,
  type CircuitState,
} from './circuit-breaker.js';
import type { CircleEvents } from './client-events.js';
import { ConcurrencyLimiter } from './concurrency-limiter.js';
import type { CircleAttemptMessage, CircleCallMessage } from './diagnostics.js';
import {
  type CircleCall,
  CircleCircuitOpenError,
  type CircleClientError,
  CircleConnectionError,
  CircleOverloadedError,
  CircleTimeoutError,
  isCircleClientError,
  isCircleError,
} from './errors.js';
import type { Attempt, AttemptRequest } from './http-attempt.js';
import {
  backoffDelay,
  RetryBudget,
  type RetryOptions,
  resolveRetryOptions,
} from './retry-policy.js';
import type { CircleResult } from './wire.js';

/** What a caller passes with every call: the deadline and the ids that go upstream. */
export interface CallOptions {
  /** Absolute time (ms since the epoch, by the client's clock) by which the call must settle. */
  deadline: number;
  /** Sent as `X-Request-Id` when it is a UUID; otherwise the client makes one. */
  requestId?: string | undefined;
  /** Aborts the call (e.g. the caller went away). */
  signal?: AbortSignal | undefined;
}

export interface CallPolicyOptions {
  attempt: Attempt;
  /** The URL an attempt's trace shows for a path. */
  urlOf: (path: string) => string;
  /** Deadline of one attempt, from send to the whole body read. */
  attemptTimeoutMs: number;
  retry?: RetryOptions | undefined;
  circuitBreaker?: CircuitBreakerOptions | undefined;
  maxInFlight: number;
  maxQueued: number;
  /** Longest wait for a slot (also bounded by the call's deadline). */
  queueTimeoutMs: number;
  events: CircleEvents;
  /** What messages name as their client, so subscribers can keep to theirs. */
  source: object;
  now: () => number;
  random: () => number;
}

export interface CallPolicy {
  call<T>(request: AttemptRequest<T>, options: CallOptions): Promise<CircleResult<T>>;
  status(): { circuit: CircuitState; inFlight: number; queued: number };
}

/** The least time worth starting another attempt with (a loopback answer takes ~1 ms). */
const MIN_ATTEMPT_MS = 50;

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
  return isCircleError(error, 'CIRCLE_HTTP_ERROR') ? error.status >= 500 : error.retryable;
};

export function createCallPolicy(options: CallPolicyOptions): CallPolicy {
  const { attempt, events, source, now, random, attemptTimeoutMs, queueTimeoutMs } = options;
  const retry = resolveRetryOptions(options.retry);
  const budget = new RetryBudget(retry.budgetRatio, retry.budgetMinRetries);
  const breaker = new CircuitBreaker(options.circuitBreaker, now, (state) =>
    events.circuit({ client: source, state }),
  );
  const limiter = new ConcurrencyLimiter(options.maxInFlight, options.maxQueued);

  /** The wait before the next attempt, or undefined when this error must not be retried now. */
  function retryDelay(error: CircleClientError, attempt: number, call: CallOptions) {
    if (!error.retryable || attempt >= retry.maxAttempts || call.signal?.aborted) {
      return undefined;
    }
    if (isCircleError(error, 'CIRCLE_TIMEOUT') && call.deadline - now() <= 0) return undefined;
    const retryAfter = isCircleError(error, 'CIRCLE_HTTP_ERROR') ? error.retryAfterMs : undefined;
    const delay = retryAfter ?? backoffDelay(attempt, retry, random);
    // Another attempt is only worth it if it has time to get an answer before the deadline: a
    // Retry-After that leaves 1 ms would turn RATE_LIMITED (with its retryAfter) into a timeout.
    if (now() + delay + MIN_ATTEMPT_MS >= call.deadline) return undefined;
    if (!budget.tryWithdraw()) return undefined;
    return delay;
  }

  async function run<T>(
    request: AttemptRequest<T>,
    call: CallOptions,
    message: CircleCallMessage,
  ): Promise<CircleResult<T>> {
    const { requestId } = message;
    if (call.deadline - now() <= 0)
      throw new CircleTimeoutError(request.call, requestId, 'deadline');
    if (!breaker.tryAcquire()) throw new CircleCircuitOpenError(request.call);
    // From here every exit records a verdict or releases the probe slot, or a half-open circuit
    // would never probe again. `neutral`: Circle answered, about the request (a 4xx).
    let outcome: 'success' | 'failure' | 'neutral' | undefined;
    let lastAttemptFailed = false;
    let release: (() => void) | undefined;
    try {
      release = await limiter.acquire(Math.min(queueTimeoutMs, call.deadline - now()));
      if (!release) throw new CircleOverloadedError(request.call);
      budget.recordAttempt();
      for (let attemptNo = 1; ; attemptNo += 1) {
        const remaining = call.deadline - now();
        if (remaining <= 0) {
          if (lastAttemptFailed) outcome = 'failure';
          throw new CircleTimeoutError(request.call, requestId, 'deadline');
        }
        // One abort switch and one timer per attempt, set to the nearer of the attempt's and the
        // call's deadline: cheaper than AbortSignal.timeout twice plus AbortSignal.any.
        const phase = remaining <= attemptTimeoutMs ? 'deadline' : 'attempt';
        const signal = new AbortSwitch();
        let timedOut: 'attempt' | 'deadline' | undefined;
        const timer = setTimeout(
          () => {
            timedOut = phase;
            signal.abort();
          },
          Math.min(remaining, attemptTimeoutMs),
        );
        const onCallerAbort = () => signal.abort();
        call.signal?.addEventListener('abort', onCallerAbort, { once: true });
        if (call.signal?.aborted) signal.abort();
        message.attempts = attemptNo;
        const attemptMessage: CircleAttemptMessage = {
          callMessage: message,
          attempt: attemptNo,
          url: options.urlOf(request.path),
          headers: {},
        };
        const traceHeaders = events.tracing ? attemptMessage.headers : undefined;
        events.attemptStart(attemptMessage);
        const started = performance.now();
        try {
          const { result, status } = await attempt(request, {
            requestId,
            signal,
            traceHeaders,
          }).finally(() => {
            clearTimeout(timer);
            call.signal?.removeEventListener('abort', onCallerAbort);
          });
          attemptMessage.durationMs = performance.now() - started;
          attemptMessage.status = status;
          attemptMessage.upstreamRequestId = result.requestId;
          events.attemptEnd(attemptMessage);
          outcome = 'success';
          return result;
        } catch (raw) {
          const error = classify(raw, request.call, requestId, timedOut, call.signal);
          attemptMessage.durationMs = performance.now() - started;
          const failed = isCircuitFailure(error, call.signal?.aborted === true);
          lastAttemptFailed = failed;
          const delay = retryDelay(error, attemptNo, call);
          attemptMessage.error = error;
          const answer = isCircleError(error, 'CIRCLE_HTTP_ERROR') ? error : undefined;
          attemptMessage.status = answer?.status;
          attemptMessage.circleCode = answer?.circleCode;
          attemptMessage.upstreamRequestId = error.requestId;
          attemptMessage.retryDelayMs = delay;
          events.attemptEnd(attemptMessage);
          if (delay === undefined) {
            outcome = failed ? 'failure' : answer ? 'neutral' : undefined;
            throw error;
          }
          await sleep(delay, call.signal);
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

  return {
    async call(request, call) {
      const requestId = call.requestId && uuidValidate(call.requestId) ? call.requestId : uuidv4();
      const message: CircleCallMessage = {
        client: source,
        call: request.call,
        requestId,
        circuitAtStart: breaker.state,
        attempts: 0,
      };
      events.callStart(message);
      try {
        return await run(request, call, message);
      } catch (error) {
        if (isCircleClientError(error)) message.error = error;
        throw error;
      } finally {
        message.circuitAtEnd = breaker.state;
        events.callEnd(message);
      }
    },
    status: () => ({ circuit: breaker.state, inFlight: limiter.inFlight, queued: limiter.queued }),
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
