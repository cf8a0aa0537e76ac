import { describe, expect, it } from 'vitest';
import { type CallPolicyOptions, createCallPolicy } from '../../src/circle/call-policy.js';
import {
  type AttemptEvent,
  type CircleClientObserver,
  createCircleEvents,
  observeCircleClient,
} from '../../src/circle/client-events.js';
import {
  type CircleClientError,
  CircleConnectionError,
  CircleHttpError,
} from '../../src/circle/errors.js';
import type { Attempt, AttemptContext, AttemptRequest } from '../../src/circle/http-attempt.js';

/** The policy under test knows no HTTP: each attempt is one scripted step of this fake. */
type Step = 'ok' | number | 'reset' | 'hang' | ((context: AttemptContext) => Promise<never>);

function fakeAttempt(steps: Step[]) {
  const seen: AttemptContext[] = [];
  const attempt: Attempt = async <T>(request: AttemptRequest<T>, context: AttemptContext) => {
    seen.push(context);
    const step = steps.shift() ?? 'ok';
    if (step === 'ok') {
      return {
        result: { data: { call: request.call } as T, requestId: 'circle-req' },
        status: 200,
      };
    }
    if (typeof step === 'number') {
      throw new CircleHttpError({ call: request.call, status: step, requestId: 'circle-req' });
    }
    if (step === 'reset') throw Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' });
    if (step === 'hang') {
      // Like the real attempt: settles (rejects) as soon as the policy throws its switch.
      return new Promise((_, reject) =>
        context.signal.addEventListener('abort', () => reject(new Error('aborted'))),
      );
    }
    return step(context);
  };
  return { attempt, seen };
}

const request: AttemptRequest<{ call: string }> = {
  call: 'refresh',
  path: '/v1/w3s/users/token/refresh',
  headers: {},
  body: '{}',
  parse: (body) => body as { call: string },
};

function policyOver(steps: Step[], overrides: Partial<CallPolicyOptions> = {}, observer = {}) {
  const fake = fakeAttempt(steps);
  const clock = { now: 1_000_000 };
  const policy = createCallPolicy({
    attempt: fake.attempt,
    urlOf: (path) => `http://circle.test${path}`,
    attemptTimeoutMs: 1_000,
    retry: { maxAttempts: 3, baseDelayMs: 1, maxDelayMs: 2 },
    circuitBreaker: { failureThreshold: 2, resetAfterMs: 5_000 },
    maxInFlight: 4,
    maxQueued: 4,
    queueTimeoutMs: 100,
    events: createCircleEvents(observer),
    source: {},
    now: () => clock.now,
    random: () => 0.5,
    ...overrides,
  });
  const call = (extra: { signal?: AbortSignal } = {}) =>
    policy.call(request, { deadline: clock.now + 10_000, ...extra });
  return { policy, call, clock, seen: fake.seen };
}

const failure = (promise: Promise<unknown>) =>
  promise.then(
    () => expect.unreachable('the call succeeded'),
    (error: CircleClientError) => error,
  );

describe('the call policy over a fake attempt', () => {
  it('returns the first answer, sending one UUID request id', async () => {
    const { call, seen } = policyOver(['ok']);
    await expect(call()).resolves.toEqual({ data: { call: 'refresh' }, requestId: 'circle-req' });
    expect(seen).toHaveLength(1);
    expect(seen[0]?.requestId).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('retries a 503 and a reset connection with the same request id, then answers', async () => {
    const { call, seen } = policyOver([503, 'reset', 'ok']);
    await expect(call()).resolves.toMatchObject({ data: { call: 'refresh' } });
    expect(seen).toHaveLength(3);
    expect(new Set(seen.map((c) => c.requestId)).size).toBe(1);
  });

  it('does not retry a 400 and gives Circle’s error back', async () => {
    const { call, seen } = policyOver([400]);
    const error = await failure(call());
    expect(error).toBeInstanceOf(CircleHttpError);
    expect((error as CircleHttpError).status).toBe(400);
    expect(seen).toHaveLength(1);
  });

  it('stops after maxAttempts and reports the last failure', async () => {
    const { call, seen } = policyOver([503, 503, 502, 'ok']);
    const error = await failure(call());
    expect((error as CircleHttpError).status).toBe(502);
    expect(seen).toHaveLength(3);
  });

  it('names a connection failure by its cause code, never its message', async () => {
    const { call } = policyOver(['reset', 'reset', 'reset']);
    const error = await failure(call());
    expect(error).toBeInstanceOf(CircleConnectionError);
    expect((error as CircleConnectionError).causeCode).toBe('ECONNRESET');
    expect(error.message).not.toContain('socket hang up');
  });

  it('opens the circuit after failed calls, refuses without an attempt, then lets one probe', async () => {
    const { call, seen, clock, policy } = policyOver([503, 503, 503, 503, 503, 503]);
    await failure(call());
    await failure(call());
    expect(policy.status().circuit).toBe('open');
    const attemptsBefore = seen.length;

    expect((await failure(call())).code).toBe('CIRCLE_CIRCUIT_OPEN');
    expect(seen).toHaveLength(attemptsBefore);

    clock.now += 5_000;
    expect(policy.status().circuit).toBe('half-open');
    const probe = call();
    // Only one probe at a time: a second call while it is out is refused.
    expect((await failure(call())).code).toBe('CIRCLE_CIRCUIT_OPEN');
    await expect(probe).resolves.toMatchObject({ data: { call: 'refresh' } });
    expect(policy.status().circuit).toBe('closed');
  });

  it('does not count 4xx answers against the circuit', async () => {
    const { call, policy } = policyOver([400, 404, 409, 422]);
    for (let i = 0; i < 4; i += 1) await failure(call());
    expect(policy.status().circuit).toBe('closed');
  });

  it('times an attempt out, throws its switch, and retries within the deadline', async () => {
    const { call, seen } = policyOver(['hang', 'ok'], { attemptTimeoutMs: 20 });
    await expect(call()).resolves.toMatchObject({ data: { call: 'refresh' } });
    expect(seen).toHaveLength(2);
    expect(seen[0]?.signal.aborted).toBe(true);
  });

  it('ends at the deadline with CIRCLE_TIMEOUT when Circle never answers', async () => {
    const { policy, seen } = policyOver(['hang', 'hang', 'hang'], { now: Date.now });
    const started = Date.now();
    const error = await failure(policy.call(request, { deadline: started + 30 }));
    expect(error.code).toBe('CIRCLE_TIMEOUT');
    expect(error.message).toBe('The deadline passed before Circle answered');
    expect(seen).toHaveLength(1);
    expect(Date.now() - started).toBeLessThan(1_000);
  });

  it('refuses a call past its deadline before any attempt', async () => {
    const { policy, clock, seen } = policyOver(['ok']);
    const error = await failure(policy.call(request, { deadline: clock.now }));
    expect(error.code).toBe('CIRCLE_TIMEOUT');
    expect(seen).toHaveLength(0);
  });

  it('refuses at once when every slot and the queue are taken', async () => {
    const { call, seen, policy } = policyOver(['hang'], {
      maxInFlight: 1,
      maxQueued: 0,
      attemptTimeoutMs: 50,
      retry: { maxAttempts: 1 },
    });
    const first = call();
    expect((await failure(call())).code).toBe('CIRCLE_OVERLOADED');
    expect(seen).toHaveLength(1);
    expect(policy.status().inFlight).toBe(1);
    await failure(first);
    expect(policy.status().inFlight).toBe(0);
  });

  it('stops when the caller leaves, without holding it against Circle', async () => {
    const controller = new AbortController();
    const { call, policy } = policyOver(['hang', 'hang', 'hang']);
    const pending = call({ signal: controller.signal });
    setTimeout(() => controller.abort(), 5);
    const error = await failure(pending);
    expect((error as CircleConnectionError).causeCode).toBe('ABORTED');
    expect(policy.status().circuit).toBe('closed');
  });

  it('waits the Retry-After Circle asks for, and gives up when it passes the deadline', async () => {
    const slow: Step = async () => {
      throw new CircleHttpError({ call: 'refresh', status: 429, retryAfterMs: 60_000 });
    };
    const { call, seen } = policyOver([slow, 'ok']);
    const error = await failure(call());
    expect((error as CircleHttpError).status).toBe(429);
    expect(seen).toHaveLength(1);
  });

  it('spends no retry once the budget is empty', async () => {
    const { call, seen } = policyOver([503, 'ok', 503, 'ok'], {
      retry: { maxAttempts: 3, baseDelayMs: 1, maxDelayMs: 1, budgetRatio: 0, budgetMinRetries: 1 },
    });
    await expect(call()).resolves.toBeDefined();
    expect((await failure(call())).code).toBe('CIRCLE_HTTP_ERROR');
    expect(seen).toHaveLength(3);
  });

  it('reports attempts, retries, rejections and circuit changes to its observer', async () => {
    const attempts: AttemptEvent[] = [];
    const retries: string[] = [];
    const rejected: string[] = [];
    const circuit: string[] = [];
    const observer: CircleClientObserver = {
      onAttempt: (e) => attempts.push(e),
      onRetry: (e) => retries.push(`${e.attempt}:${e.reason}`),
      onRejected: (e) => rejected.push(e.reason),
      onCircuitChange: (state) => circuit.push(state),
    };
    const { call } = policyOver([503, 'ok', 500, 500, 500, 500, 500, 500], {}, observer);
    await call();
    await failure(call());
    await failure(call());
    await failure(call());

    expect(attempts.map((e) => [e.attempt, e.status, e.outcome])).toEqual([
      [1, 503, 'CIRCLE_HTTP_ERROR'],
      [2, 200, 'ok'],
      [1, 500, 'CIRCLE_HTTP_ERROR'],
      [2, 500, 'CIRCLE_HTTP_ERROR'],
      [3, 500, 'CIRCLE_HTTP_ERROR'],
      [1, 500, 'CIRCLE_HTTP_ERROR'],
      [2, 500, 'CIRCLE_HTTP_ERROR'],
      [3, 500, 'CIRCLE_HTTP_ERROR'],
    ]);
    expect(attempts[1]?.requestId).toBe('circle-req');
    expect(retries).toEqual([
      '1:CIRCLE_HTTP_ERROR',
      '1:CIRCLE_HTTP_ERROR',
      '2:CIRCLE_HTTP_ERROR',
      '1:CIRCLE_HTTP_ERROR',
      '2:CIRCLE_HTTP_ERROR',
    ]);
    expect(rejected).toEqual(['circuit-open']);
    expect(circuit).toEqual(['open']);
  });
});

describe('observeCircleClient', () => {
  it('hands a subscriber the events of its own client only', async () => {
    const mine = {};
    const seen: string[] = [];
    const stop = observeCircleClient(mine, {
      onAttempt: (e) => seen.push(`attempt ${e.outcome}`),
      onRetry: (e) => seen.push(`retry ${e.reason}`),
      onRejected: (e) => seen.push(`rejected ${e.reason}`),
      onCircuitChange: (state) => seen.push(`circuit ${state}`),
    });
    try {
      const circuitBreaker = { failureThreshold: 1, resetAfterMs: 60_000 };
      const other = policyOver([503, 503, 503], { circuitBreaker });
      const own = policyOver([503, 503, 503], { circuitBreaker, source: mine });
      await failure(other.call());
      await failure(own.call());
      await failure(own.call());
    } finally {
      stop();
    }
    expect(seen).toEqual([
      'attempt CIRCLE_HTTP_ERROR',
      'retry CIRCLE_HTTP_ERROR',
      'attempt CIRCLE_HTTP_ERROR',
      'retry CIRCLE_HTTP_ERROR',
      'attempt CIRCLE_HTTP_ERROR',
      'circuit open',
      'rejected circuit-open',
    ]);
  });

  it('stops delivering once unsubscribed', async () => {
    const mine = {};
    const seen: unknown[] = [];
    observeCircleClient(mine, { onAttempt: (e) => seen.push(e) })();
    await policyOver(['ok'], { source: mine }).call();
    expect(seen).toEqual([]);
  });
});
