import { inspect } from 'node:util';
import { Dispatcher, MockAgent, type MockPool } from 'undici';
import { validate as isUuid, version as uuidVersion } from 'uuid';
import { afterEach, describe, expect, it } from 'vitest';
import {
  type CircleClient,
  type CircleClientOptions,
  createCircleClient,
} from '../../src/circle/client.js';
import {
  CircleCircuitOpenError,
  CircleConnectionError,
  CircleHttpError,
  CircleMalformedResponseError,
  CircleOverloadedError,
  CircleTimeoutError,
} from '../../src/circle/errors.js';
import {
  API_KEY,
  BASE_URL,
  interceptUpstream,
  MINT_PATH,
  REFRESH_PATH,
  recordingDispatcher,
  type UpstreamAnswer,
  type UpstreamRequest,
} from '../support/api-gateway.js';

const USER_TOKEN = 'user-token-SECRET-0001';
const REFRESH_TOKEN = 'refresh-token-SECRET-0001';
const NEW_USER_TOKEN = 'user-token-SECRET-0002';
const NEW_REFRESH_TOKEN = 'refresh-token-SECRET-0002';
const ENCRYPTION_KEY = 'encryption-key-SECRET-0002';
const DEVICE_ID = 'device-0001';
const IDEMPOTENCY_KEY = '6f1c4f5e-4a3b-4c2d-8e1f-0a1b2c3d4e5f';
const REQUEST_ID = '0b7e2f0a-1c2d-4e3f-9a8b-7c6d5e4f3a2b';
const SECRETS = [API_KEY, 'gw-test-key-secret', USER_TOKEN, REFRESH_TOKEN, NEW_USER_TOKEN];

const agents: MockAgent[] = [];
afterEach(async () => {
  await Promise.all(agents.splice(0).map((agent) => agent.close()));
});

interface Harness {
  client: CircleClient;
  requests: UpstreamRequest[];
  answerRefresh(
    answer: UpstreamAnswer,
    options?: { times?: number; delayMs?: number; persist?: boolean },
  ): void;
  answerMint(answer: UpstreamAnswer, options?: { times?: number; persist?: boolean }): void;
  failRefresh(error: Error, times?: number): void;
}

function harness(options: Partial<CircleClientOptions> = {}): Harness {
  const agent = new MockAgent();
  agent.disableNetConnect();
  agents.push(agent);
  const pool = agent.get<MockPool>(BASE_URL);
  const requests: UpstreamRequest[] = [];
  const client = createCircleClient({
    apiKey: API_KEY,
    baseUrl: BASE_URL,
    dispatcher: recordingDispatcher(agent, requests),
    retry: { baseDelayMs: 1, maxDelayMs: 2 },
    ...options,
  });
  return {
    client,
    requests,
    answerRefresh: (answer, opts) => interceptUpstream(pool, REFRESH_PATH, answer, opts),
    answerMint: (answer, opts) => interceptUpstream(pool, MINT_PATH, answer, opts),
    failRefresh: (error, times = 1) =>
      pool.intercept({ path: REFRESH_PATH, method: 'POST' }).replyWithError(error).times(times),
  };
}

const refreshed = {
  body: {
    data: {
      userToken: NEW_USER_TOKEN,
      encryptionKey: ENCRYPTION_KEY,
      userID: 'user-0001',
      refreshToken: NEW_REFRESH_TOKEN,
    },
  },
  headers: { 'x-request-id': 'circle-request-1' },
};

const circleError = (
  status: number,
  code: number,
  message = 'Circle says no.',
): UpstreamAnswer => ({
  status,
  body: { code, message },
  headers: { 'x-request-id': `circle-error-${status}` },
});

const refresh = (client: CircleClient, call: { deadline?: number; requestId?: string } = {}) =>
  client.refreshUserToken(
    {
      userToken: USER_TOKEN,
      refreshToken: REFRESH_TOKEN,
      deviceId: DEVICE_ID,
      idempotencyKey: IDEMPOTENCY_KEY,
    },
    { deadline: call.deadline ?? Date.now() + 5_000, requestId: call.requestId ?? REQUEST_ID },
  );

/** Resolves with what the promise rejected with; fails when it resolved. */
async function rejection(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected the call to fail');
}

describe('the upstream requests', () => {
  it('sends a refresh as POST /v1/w3s/users/token/refresh with the key, the user token and the JSON body', async () => {
    const { client, requests, answerRefresh } = harness();
    answerRefresh(refreshed);

    await refresh(client);

    expect(requests).toHaveLength(1);
    const [request] = requests;
    expect(request?.method).toBe('POST');
    expect(request?.path).toBe(REFRESH_PATH);
    expect(request?.headers).toMatchObject({
      authorization: `Bearer ${API_KEY}`,
      'x-user-token': USER_TOKEN,
      'content-type': 'application/json',
      'x-request-id': REQUEST_ID,
    });
    expect(request?.rawBody).toBe(
      JSON.stringify({
        idempotencyKey: IDEMPOTENCY_KEY,
        refreshToken: REFRESH_TOKEN,
        deviceId: DEVICE_ID,
      }),
    );
  });

  it('sends a mint as POST /v1/w3s/users/token with the key, no user token and {"userId"}', async () => {
    const { client, requests, answerMint } = harness();
    answerMint({ body: { data: { userToken: NEW_USER_TOKEN, encryptionKey: ENCRYPTION_KEY } } });

    const result = await client.createUserToken(
      { userId: 'user-0001' },
      { deadline: Date.now() + 5_000, requestId: REQUEST_ID },
    );

    expect(result.data).toEqual({ userToken: NEW_USER_TOKEN, encryptionKey: ENCRYPTION_KEY });
    expect(requests).toHaveLength(1);
    expect(requests[0]?.method).toBe('POST');
    expect(requests[0]?.path).toBe(MINT_PATH);
    expect(requests[0]?.headers).toMatchObject({
      authorization: `Bearer ${API_KEY}`,
      'content-type': 'application/json',
      'x-request-id': REQUEST_ID,
    });
    expect(requests[0]?.headers).not.toHaveProperty('x-user-token');
    expect(requests[0]?.rawBody).toBe('{"userId":"user-0001"}');
  });

  it.each([
    ['is not a UUID', 'not-a-uuid'],
    ['is absent', undefined],
  ])('sends a fresh UUID v4 as X-Request-Id when the given one %s', async (_case, given) => {
    const { client, requests, answerRefresh } = harness();
    answerRefresh(refreshed);

    await client.refreshUserToken(
      {
        userToken: USER_TOKEN,
        refreshToken: REFRESH_TOKEN,
        deviceId: DEVICE_ID,
        idempotencyKey: IDEMPOTENCY_KEY,
      },
      { deadline: Date.now() + 5_000, requestId: given },
    );

    const sent = requests[0]?.headers['x-request-id'] ?? '';
    expect(sent).not.toBe(given);
    expect(isUuid(sent)).toBe(true);
    expect(uuidVersion(sent)).toBe(4);
  });

  it('keeps a path prefix of the base URL', async () => {
    const agent = new MockAgent();
    agent.disableNetConnect();
    agents.push(agent);
    const requests: UpstreamRequest[] = [];
    interceptUpstream(agent.get('https://proxy.example'), `/circle${REFRESH_PATH}`, refreshed);
    const client = createCircleClient({
      apiKey: API_KEY,
      baseUrl: 'https://proxy.example/circle/',
      dispatcher: recordingDispatcher(agent, requests),
    });

    await refresh(client);

    expect(requests.map((r) => r.path)).toEqual([`/circle${REFRESH_PATH}`]);
  });
});

describe('a 200 answer', () => {
  it("reads Circle's userID, the new tokens and the X-Request-Id of the answer", async () => {
    const { client, answerRefresh } = harness();
    answerRefresh(refreshed);

    const result = await refresh(client);

    expect(result).toEqual({
      data: {
        userToken: NEW_USER_TOKEN,
        encryptionKey: ENCRYPTION_KEY,
        userId: 'user-0001',
        refreshToken: NEW_REFRESH_TOKEN,
      },
      requestId: 'circle-request-1',
    });
  });

  it('reads userId spelled with a lower-case d too', async () => {
    const { client, answerRefresh } = harness();
    answerRefresh({ body: { data: { userToken: NEW_USER_TOKEN, userId: 'user-0002' } } });

    const result = await refresh(client);

    expect(result.data).toEqual({
      userToken: NEW_USER_TOKEN,
      encryptionKey: undefined,
      userId: 'user-0002',
      refreshToken: undefined,
    });
  });

  it('reports the request id it sent when Circle answers without one', async () => {
    const { client, answerRefresh } = harness();
    answerRefresh({ body: { data: { userToken: NEW_USER_TOKEN } } });

    const result = await refresh(client);

    expect(result.requestId).toBe(REQUEST_ID);
  });

  it.each([
    [
      'has no userToken',
      { data: { encryptionKey: ENCRYPTION_KEY, refreshToken: NEW_REFRESH_TOKEN } },
    ],
    ['has an empty userToken', { data: { userToken: '' } }],
    ['has no data object', { userToken: NEW_USER_TOKEN }],
    ['has data as an array', { data: [NEW_USER_TOKEN] }],
    ['is not JSON', '<html>Bad gateway</html>'],
    ['is JSON null', 'null'],
  ])('fails with CircleMalformedResponseError when the body %s', async (_case, body) => {
    const { client, requests, answerRefresh } = harness({ retry: { maxAttempts: 1 } });
    answerRefresh({ body, headers: { 'x-request-id': 'circle-malformed' } });

    const error = await rejection(refresh(client));

    expect(error).toBeInstanceOf(CircleMalformedResponseError);
    expect(error).toMatchObject({
      code: 'CIRCLE_MALFORMED_RESPONSE',
      status: 200,
      requestId: 'circle-malformed',
      retryable: true,
    });
    expect(requests).toHaveLength(1);
  });
});

describe('an error answer', () => {
  it("fails with CircleHttpError carrying the status, Circle's code and message and its request id", async () => {
    const { client, answerRefresh } = harness();
    answerRefresh(circleError(403, 155104, 'The userToken is expired.'));

    const error = await rejection(refresh(client));

    expect(error).toBeInstanceOf(CircleHttpError);
    expect(error).toMatchObject({
      code: 'CIRCLE_HTTP_ERROR',
      call: 'refresh',
      status: 403,
      circleCode: 155104,
      circleMessage: 'The userToken is expired.',
      requestId: 'circle-error-403',
      retryable: false,
    });
  });

  it('keeps only the status when the error body is not JSON', async () => {
    const { client, answerRefresh } = harness();
    answerRefresh({ status: 418, body: 'I am a teapot' });

    const error = await rejection(refresh(client));

    expect(error).toMatchObject({
      status: 418,
      circleCode: undefined,
      circleMessage: undefined,
      requestId: REQUEST_ID,
    });
  });

  it("shortens Circle's message text to 300 characters", async () => {
    const { client, answerRefresh } = harness();
    answerRefresh(circleError(400, 2, 'x'.repeat(1_000)));

    const error = (await rejection(refresh(client))) as CircleHttpError;

    expect(error.circleMessage).toHaveLength(300);
  });
});

describe('retries', () => {
  it.each([500, 502, 503, 504, 429])(
    'retries a %i with the same idempotency key, body and X-Request-Id',
    async (status) => {
      const { client, requests, answerRefresh } = harness();
      answerRefresh(circleError(status, -1));
      answerRefresh(refreshed);

      const result = await refresh(client);

      expect(result.data.userToken).toBe(NEW_USER_TOKEN);
      expect(requests).toHaveLength(2);
      expect(requests[1]?.rawBody).toBe(requests[0]?.rawBody);
      expect(requests.map((r) => r.body.idempotencyKey)).toEqual([
        IDEMPOTENCY_KEY,
        IDEMPOTENCY_KEY,
      ]);
      expect(requests.map((r) => r.headers['x-request-id'])).toEqual([REQUEST_ID, REQUEST_ID]);
    },
  );

  it('retries a connection error with the same idempotency key and generated X-Request-Id', async () => {
    const { client, requests, answerRefresh, failRefresh } = harness();
    failRefresh(Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }));
    answerRefresh(refreshed);

    const result = await client.refreshUserToken(
      {
        userToken: USER_TOKEN,
        refreshToken: REFRESH_TOKEN,
        deviceId: DEVICE_ID,
        idempotencyKey: IDEMPOTENCY_KEY,
      },
      { deadline: Date.now() + 5_000 },
    );

    expect(result.data.userToken).toBe(NEW_USER_TOKEN);
    expect(requests).toHaveLength(2);
    const [first, second] = requests;
    expect(second?.headers['x-request-id']).toBe(first?.headers['x-request-id']);
    expect(second?.body.idempotencyKey).toBe(IDEMPOTENCY_KEY);
  });

  it('fails with CircleConnectionError, naming only the cause code, once every attempt failed', async () => {
    const { client, requests, failRefresh } = harness();
    failRefresh(
      Object.assign(new Error(`connect ECONNREFUSED ${API_KEY}`), { code: 'ECONNREFUSED' }),
      3,
    );

    const error = await rejection(refresh(client));

    expect(error).toBeInstanceOf(CircleConnectionError);
    expect(error).toMatchObject({ code: 'CIRCLE_CONNECTION_ERROR', causeCode: 'ECONNREFUSED' });
    expect(requests).toHaveLength(3);
  });

  it.each([400, 401, 403, 404, 409])('never retries a %i', async (status) => {
    const { client, requests, answerRefresh } = harness();
    answerRefresh(circleError(status, 2), { persist: true });

    const error = await rejection(refresh(client));

    expect(error).toMatchObject({ status });
    expect(requests).toHaveLength(1);
  });

  it('makes at most maxAttempts attempts', async () => {
    const { client, requests, answerRefresh } = harness({
      retry: { maxAttempts: 4, baseDelayMs: 1 },
    });
    answerRefresh(circleError(503, -1), { persist: true });

    const error = await rejection(refresh(client));

    expect(error).toMatchObject({ status: 503, circleCode: -1 });
    expect(requests).toHaveLength(4);
  });

  it('makes one attempt when maxAttempts is 1', async () => {
    const { client, requests, answerRefresh } = harness({ retry: { maxAttempts: 1 } });
    answerRefresh(circleError(503, -1), { persist: true });

    await rejection(refresh(client));

    expect(requests).toHaveLength(1);
  });

  it('waits a jittered backoff picked with the injected random', async () => {
    const delays: number[] = [];
    const { client, answerRefresh } = harness({
      retry: { maxAttempts: 3, baseDelayMs: 40, maxDelayMs: 60 },
      random: () => 0.5,
      observer: { onRetry: (event) => delays.push(event.delayMs) },
    });
    answerRefresh(circleError(503, -1), { persist: true });

    await rejection(refresh(client));

    // Ceilings 40 then 80 capped at 60; half of each.
    expect(delays).toEqual([20, 30]);
  });

  it('waits the seconds of a Retry-After before the next attempt', async () => {
    const { client, requests, answerRefresh } = harness();
    const arrivals: number[] = [];
    answerRefresh({ ...circleError(429, -1), headers: { 'retry-after': '1' } });
    answerRefresh(refreshed);
    const started = Date.now();

    await refresh(client);
    arrivals.push(Date.now() - started);

    expect(requests).toHaveLength(2);
    expect(arrivals[0]).toBeGreaterThanOrEqual(950);
  });

  it('waits until the HTTP date of a Retry-After, by the injected clock', async () => {
    const clock = Date.parse('2026-11-27T20:00:00Z');
    const delays: number[] = [];
    const { client, requests, answerRefresh } = harness({
      now: () => clock,
      observer: { onRetry: (event) => delays.push(event.delayMs) },
    });
    answerRefresh({
      ...circleError(429, -1),
      headers: { 'retry-after': new Date(clock + 1_000).toUTCString() },
    });
    answerRefresh(refreshed);

    await refresh(client, { deadline: clock + 5_000 });

    expect(delays).toEqual([1_000]);
    expect(requests).toHaveLength(2);
  });

  it('does not retry when Retry-After points past the deadline, and reports the wait', async () => {
    const { client, requests, answerRefresh } = harness();
    answerRefresh({ ...circleError(429, -1), headers: { 'retry-after': '30' } });

    const error = await rejection(refresh(client, { deadline: Date.now() + 2_000 }));

    expect(error).toMatchObject({ status: 429, retryAfterMs: 30_000 });
    expect(requests).toHaveLength(1);
  });

  it('stops retrying once the retry budget is spent', async () => {
    const { client, requests, answerRefresh } = harness({
      retry: { maxAttempts: 3, baseDelayMs: 1, budgetMinRetries: 1, budgetRatio: 0 },
    });
    answerRefresh(circleError(503, -1), { persist: true });

    await rejection(refresh(client));
    expect(requests).toHaveLength(2);

    await rejection(refresh(client));
    expect(requests).toHaveLength(3);
  });
});

describe('deadlines', () => {
  it('fails with CircleTimeoutError when the deadline passes before Circle answers', async () => {
    const { client, requests, answerRefresh } = harness();
    answerRefresh(refreshed, { delayMs: 2_000 });
    const started = Date.now();

    const error = await rejection(refresh(client, { deadline: Date.now() + 100 }));

    expect(error).toBeInstanceOf(CircleTimeoutError);
    expect(error).toMatchObject({ code: 'CIRCLE_TIMEOUT', retryable: true, requestId: REQUEST_ID });
    expect(Date.now() - started).toBeLessThan(1_000);
    expect(requests).toHaveLength(1);
  });

  it('abandons a slow attempt after attemptTimeoutMs and retries it under the same key', async () => {
    const { client, requests, answerRefresh } = harness({ attemptTimeoutMs: 50 });
    answerRefresh(refreshed, { delayMs: 2_000 });
    answerRefresh(refreshed);

    const result = await refresh(client);

    expect(result.data.userToken).toBe(NEW_USER_TOKEN);
    expect(requests).toHaveLength(2);
    expect(requests[1]?.rawBody).toBe(requests[0]?.rawBody);
  });

  it('fails with CircleTimeoutError when every attempt is too slow', async () => {
    const { client, requests, answerRefresh } = harness({
      attemptTimeoutMs: 30,
      retry: { maxAttempts: 2, baseDelayMs: 1 },
    });
    answerRefresh(refreshed, { delayMs: 2_000, times: 2 });

    const error = await rejection(refresh(client));

    expect(error).toBeInstanceOf(CircleTimeoutError);
    expect(requests).toHaveLength(2);
  });

  it('settles at the deadline even when the request never gets a connection', async () => {
    // A dispatcher that queues forever: every connection busy, none ever free.
    const queued: Dispatcher.DispatchHandler[] = [];
    const stuck = new (class extends Dispatcher {
      override dispatch(_options: Dispatcher.DispatchOptions, handler: Dispatcher.DispatchHandler) {
        queued.push(handler);
        return false;
      }
    })();
    const client = createCircleClient({ apiKey: API_KEY, baseUrl: BASE_URL, dispatcher: stuck });
    const started = Date.now();

    const error = await rejection(refresh(client, { deadline: Date.now() + 100 }));

    expect(error).toBeInstanceOf(CircleTimeoutError);
    expect(Date.now() - started).toBeLessThan(1_000);
    expect(queued).toHaveLength(1);
    // When the connection finally comes, the abandoned request is cancelled before it is sent.
    let aborted: Error | undefined;
    const abort = (reason?: Error) => {
      aborted = reason ?? new Error('aborted');
    };
    const handler = queued[0]!;
    if (handler.onConnect) handler.onConnect(abort);
    else {
      handler.onRequestStart?.({ abort } as unknown as Dispatcher.DispatchController, {});
    }
    expect(aborted).toBeInstanceOf(Error);
  });

  it('makes no call when the deadline has already passed', async () => {
    const { client, requests } = harness();

    const error = await rejection(refresh(client, { deadline: Date.now() - 1 }));

    expect(error).toBeInstanceOf(CircleTimeoutError);
    expect(requests).toHaveLength(0);
  });
});

describe('the circuit breaker', () => {
  const breakerHarness = (extra: Partial<CircleClientOptions> = {}) => {
    const clock = { now: Date.parse('2026-11-27T20:00:00Z') };
    const changes: string[] = [];
    const h = harness({
      now: () => clock.now,
      retry: { maxAttempts: 1 },
      circuitBreaker: { failureThreshold: 2, resetAfterMs: 1_000 },
      observer: { onCircuitChange: (state) => changes.push(state) },
      ...extra,
    });
    const call = () => refresh(h.client, { deadline: clock.now + 5_000 });
    return { ...h, clock, changes, call };
  };

  it('opens after N consecutive failures and then answers without calling Circle', async () => {
    const { client, requests, answerRefresh, call, changes } = breakerHarness();
    answerRefresh(circleError(503, -1), { times: 2 });

    await rejection(call());
    await rejection(call());
    const error = await rejection(call());

    expect(error).toBeInstanceOf(CircleCircuitOpenError);
    expect(error).toMatchObject({ code: 'CIRCLE_CIRCUIT_OPEN', retryable: true });
    expect(requests).toHaveLength(2);
    expect(client.status().circuit).toBe('open');
    expect(changes).toEqual(['open']);
  });

  it('lets one probe through after resetAfterMs and closes when it succeeds', async () => {
    const { client, requests, answerRefresh, call, clock, changes } = breakerHarness();
    answerRefresh(circleError(503, -1), { times: 2 });
    await rejection(call());
    await rejection(call());

    clock.now += 999;
    expect(await rejection(call())).toBeInstanceOf(CircleCircuitOpenError);
    clock.now += 1;
    expect(client.status().circuit).toBe('half-open');
    answerRefresh(refreshed, { delayMs: 50 });
    const probe = call();
    const secondWhileProbing = await rejection(call());
    await probe;

    expect(secondWhileProbing).toBeInstanceOf(CircleCircuitOpenError);
    expect(requests).toHaveLength(3);
    expect(client.status().circuit).toBe('closed');
    expect(changes).toEqual(['open', 'closed']);
  });

  it('re-opens at once when the probe fails', async () => {
    const { client, requests, answerRefresh, call, clock } = breakerHarness();
    answerRefresh(circleError(503, -1), { times: 3 });
    await rejection(call());
    await rejection(call());
    clock.now += 1_000;

    await rejection(call());

    expect(client.status().circuit).toBe('open');
    expect(await rejection(call())).toBeInstanceOf(CircleCircuitOpenError);
    expect(requests).toHaveLength(3);
  });

  it('does not count answers about the request (4xx) as failures', async () => {
    const { client, requests, answerRefresh, call } = breakerHarness();
    answerRefresh(circleError(400, 2), { times: 3 });

    await rejection(call());
    await rejection(call());
    await rejection(call());

    expect(requests).toHaveLength(3);
    expect(client.status().circuit).toBe('closed');
  });

  // A half-open probe that finds no time left must still free the probe slot.
  it('keeps probing after a half-open call that had no time left', async () => {
    const { requests, answerRefresh, call, clock, client } = breakerHarness();
    answerRefresh(circleError(503, -1), { times: 2 });
    await rejection(call());
    await rejection(call());
    clock.now += 1_000;

    const late = await rejection(refresh(client, { deadline: clock.now - 1 }));
    expect(late).toBeInstanceOf(CircleTimeoutError);

    answerRefresh(refreshed);
    const result = await call();
    expect(result.data.userToken).toBe(NEW_USER_TOKEN);
    expect(requests).toHaveLength(3);
  });

  // Callers going away say nothing about Circle's health.
  it('does not open when callers abort their own calls', async () => {
    const { client, requests, answerRefresh, clock } = breakerHarness();
    answerRefresh(refreshed, { delayMs: 1_000, times: 2 });
    const abortedCall = async () => {
      const controller = new AbortController();
      const pending = client.refreshUserToken(
        {
          userToken: USER_TOKEN,
          refreshToken: REFRESH_TOKEN,
          deviceId: DEVICE_ID,
          idempotencyKey: IDEMPOTENCY_KEY,
        },
        { deadline: clock.now + 5_000, signal: controller.signal },
      );
      setTimeout(() => controller.abort(), 10);
      return rejection(pending);
    };
    await abortedCall();
    await abortedCall();

    answerRefresh(refreshed);
    await refresh(client, { deadline: clock.now + 5_000 });

    expect(requests).toHaveLength(3);
    expect(client.status().circuit).toBe('closed');
  });
});

describe('the in-flight limit', () => {
  it('refuses at once with CircleOverloadedError when the slots and the queue are full', async () => {
    const { client, requests, answerRefresh } = harness({
      maxInFlight: 1,
      maxQueued: 0,
    });
    answerRefresh(refreshed, { delayMs: 100 });

    const first = refresh(client);
    const second = await rejection(refresh(client));

    expect(second).toBeInstanceOf(CircleOverloadedError);
    expect(second).toMatchObject({ code: 'CIRCLE_OVERLOADED', retryable: true });
    await first;
    expect(requests).toHaveLength(1);
  });

  it('refuses a queued call with CircleOverloadedError when no slot frees within queueTimeoutMs', async () => {
    const { client, requests, answerRefresh } = harness({
      maxInFlight: 1,
      maxQueued: 5,
      queueTimeoutMs: 50,
    });
    answerRefresh(refreshed, { delayMs: 300 });
    const started = Date.now();

    const first = refresh(client);
    const second = await rejection(refresh(client));
    const waited = Date.now() - started;

    expect(second).toBeInstanceOf(CircleOverloadedError);
    expect(waited).toBeGreaterThanOrEqual(40);
    expect(client.status()).toMatchObject({ inFlight: 1, queued: 0 });
    await first;
    expect(requests).toHaveLength(1);
  });

  it('lets a queued call through when a slot frees in time', async () => {
    const { client, requests, answerRefresh } = harness({
      maxInFlight: 1,
      queueTimeoutMs: 1_000,
    });
    answerRefresh(refreshed, { delayMs: 30 });
    answerRefresh(refreshed);

    const [a, b] = await Promise.all([refresh(client), refresh(client)]);

    expect(a.data.userToken).toBe(NEW_USER_TOKEN);
    expect(b.data.userToken).toBe(NEW_USER_TOKEN);
    expect(requests).toHaveLength(2);
    expect(client.status()).toEqual({ circuit: 'closed', inFlight: 0, queued: 0 });
  });
});

describe('secrets', () => {
  const scan = (error: Error) => {
    const views = [
      error.message,
      String(error),
      error.stack ?? '',
      JSON.stringify(error),
      JSON.stringify((error as { toJSON?: () => unknown }).toJSON?.()),
      inspect(error, { depth: 5, showHidden: true }),
    ];
    for (const view of views) {
      for (const secret of SECRETS) expect(view).not.toContain(secret);
    }
  };

  it('keeps the API key and tokens out of every error the client throws', async () => {
    const errors: Error[] = [];
    {
      const { client, answerRefresh } = harness();
      answerRefresh(circleError(401, 401, 'Malformed authorization.'));
      errors.push(await rejection(refresh(client)));
    }
    {
      const { client, answerRefresh } = harness({ retry: { maxAttempts: 1 } });
      answerRefresh({ body: { data: { refreshToken: NEW_REFRESH_TOKEN, token: NEW_USER_TOKEN } } });
      errors.push(await rejection(refresh(client)));
    }
    {
      const { client, answerRefresh } = harness({ retry: { maxAttempts: 1 } });
      answerRefresh({ body: `not json ${NEW_USER_TOKEN}` });
      errors.push(await rejection(refresh(client)));
    }
    {
      const { client, failRefresh } = harness({ retry: { maxAttempts: 1 } });
      const cause = Object.assign(new Error(`boom ${API_KEY} ${USER_TOKEN}`), {
        code: 'UND_ERR_SOCKET',
        headers: { authorization: `Bearer ${API_KEY}` },
      });
      failRefresh(cause);
      errors.push(await rejection(refresh(client)));
    }
    {
      const { client, answerRefresh } = harness();
      answerRefresh(refreshed, { delayMs: 1_000 });
      errors.push(await rejection(refresh(client, { deadline: Date.now() + 30 })));
    }
    {
      const { client, answerRefresh } = harness({
        retry: { maxAttempts: 1 },
        circuitBreaker: { failureThreshold: 1 },
      });
      answerRefresh(circleError(500, -1));
      errors.push(await rejection(refresh(client)));
      errors.push(await rejection(refresh(client)));
    }
    {
      const { client, answerRefresh } = harness({ maxInFlight: 1, maxQueued: 0 });
      answerRefresh(refreshed, { delayMs: 30 });
      const first = refresh(client);
      errors.push(await rejection(refresh(client)));
      await first;
    }

    expect(errors.map((e) => e.name)).toEqual([
      'CircleHttpError',
      'CircleMalformedResponseError',
      'CircleMalformedResponseError',
      'CircleConnectionError',
      'CircleTimeoutError',
      'CircleHttpError',
      'CircleCircuitOpenError',
      'CircleOverloadedError',
    ]);
    for (const error of errors) scan(error);
  });
});

describe('options', () => {
  it.each([
    ['a key without the prefix', 'abc:def'],
    ['a key of two parts', 'TEST_API_KEY:abc'],
    ['an empty key', ''],
  ])('refuses %s without echoing it', (_case, apiKey) => {
    let message = '';
    try {
      createCircleClient({ apiKey, dispatcher: new MockAgent() });
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toMatch(/apiKey must have the form/);
    if (apiKey) expect(message).not.toContain(apiKey);
  });

  it('refuses a base URL that is not http(s)', () => {
    expect(() =>
      createCircleClient({
        apiKey: API_KEY,
        baseUrl: 'ftp://api.circle.com',
        dispatcher: new MockAgent(),
      }),
    ).toThrow(/baseUrl must be an http\(s\) URL/);
  });
});
