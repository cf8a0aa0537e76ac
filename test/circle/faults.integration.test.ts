import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { RefreshUserTokenDocument } from '../../src/generated/graphql.js';
import {
  type RecordedRequest,
  type SimulatorFault,
  startCircleSimulator,
} from '../../src/simulator/index.js';
import { startTestGateway } from '../support/gateway-server.js';
import { jwtLike } from '../support/jwt.js';
import {
  type Answer,
  API_KEY,
  byToken,
  closedPort,
  FAST_ENV,
  keyOf,
  REFRESH_PATH,
  type Rig,
  startRig,
} from './support.js';

/**
 * Every fault the issue lists, played by the simulator on a real loopback socket against the
 * gateway on another: what the caller sees, how many attempts Circle received (from Circle's own
 * record), that they all carried one idempotency key and one X-Request-Id, and that the gateway
 * serves the next request normally.
 */

interface FaultCase {
  name: string;
  /** The faults queued for the refresh call, in order. A function for time-dependent ones. */
  faults: () => SimulatorFault[];
  env?: Record<string, string>;
  /** The `extensions.code` the caller sees; `null` when the refresh succeeds. */
  code: string | null;
  attempts: number;
  upstreamStatus?: number;
  /** The `extensions.retryAfter` seconds, or the range they must fall in. */
  retryAfter?: number | [number, number];
  minMs?: number;
  maxMs?: number;
  /** More checks on the attempts Circle received, given the faults that were queued. */
  check?: (attempts: RecordedRequest[], faults: SimulatorFault[]) => void;
}

const refresh = (fault: Record<string, unknown>): SimulatorFault =>
  ({ path: 'refresh', ...fault }) as SimulatorFault;

/** An HTTP date at least `seconds` ahead, on a whole second (HTTP dates have no fraction). */
const httpDateIn = (seconds: number) =>
  new Date(Math.ceil((Date.now() + seconds * 1000) / 1000) * 1000).toUTCString();

const CASES: FaultCase[] = [
  {
    name: 'latency under the attempt timeout',
    faults: () => [refresh({ latencyMs: 100 })],
    code: null,
    attempts: 1,
    minMs: 100,
  },
  {
    name: 'latency over the attempt timeout, once (Circle did the work: the retry is replayed)',
    faults: () => [refresh({ latencyMs: 600 })],
    code: null,
    attempts: 2,
    minMs: 300,
    maxMs: 1500,
  },
  {
    name: 'latency over the mutation deadline',
    env: { UPSTREAM_ATTEMPT_TIMEOUT_MS: '1000', MUTATION_DEADLINE_MS: '500' },
    faults: () => [refresh({ latencyMs: 2000 })],
    code: 'UPSTREAM_TIMEOUT',
    attempts: 1,
    minMs: 480,
    maxMs: 1500,
  },
  {
    name: 'a hang on every attempt, retries cut off by the mutation deadline',
    env: {
      UPSTREAM_ATTEMPT_TIMEOUT_MS: '400',
      MUTATION_DEADLINE_MS: '1150',
      UPSTREAM_MAX_ATTEMPTS: '10',
    },
    faults: () => [refresh({ hang: true, count: 10 })],
    code: 'UPSTREAM_TIMEOUT',
    attempts: 3,
    minMs: 1130,
    maxMs: 1700,
  },
  {
    name: 'a hang on every attempt',
    faults: () => [refresh({ hang: true, count: 3 })],
    code: 'UPSTREAM_TIMEOUT',
    attempts: 3,
    minMs: 900,
    maxMs: 1900,
  },
  {
    name: 'a reset socket, once',
    faults: () => [refresh({ drop: true })],
    code: null,
    attempts: 2,
  },
  {
    name: 'a reset socket on every attempt',
    faults: () => [refresh({ drop: true, count: 3 })],
    code: 'UPSTREAM_UNAVAILABLE',
    attempts: 3,
  },
  ...[500, 502, 503, 504].map(
    (status): FaultCase => ({
      name: `${status} on every attempt`,
      faults: () => [refresh({ status, count: 3 })],
      code: 'UPSTREAM_UNAVAILABLE',
      attempts: 3,
      upstreamStatus: status,
    }),
  ),
  ...[500, 502, 503, 504].map(
    (status): FaultCase => ({
      name: `${status} once`,
      faults: () => [refresh({ status })],
      code: null,
      attempts: 2,
    }),
  ),
  {
    name: '429 without Retry-After on every attempt',
    faults: () => [refresh({ status: 429, count: 3 })],
    code: 'RATE_LIMITED',
    attempts: 3,
    upstreamStatus: 429,
    retryAfter: 1,
  },
  {
    name: '429 without Retry-After, once',
    faults: () => [refresh({ status: 429 })],
    code: null,
    attempts: 2,
  },
  {
    name: '429 with Retry-After: 1 (seconds) that fits the deadline',
    faults: () => [refresh({ status: 429, retryAfter: 1 })],
    code: null,
    attempts: 2,
    minMs: 1000,
    maxMs: 1900,
    check: ([first, second]) => expect(second!.time - first!.time).toBeGreaterThanOrEqual(995),
  },
  {
    name: '429 with Retry-After: 5 (seconds) that does not fit the deadline',
    faults: () => [refresh({ status: 429, retryAfter: 5 })],
    code: 'RATE_LIMITED',
    attempts: 1,
    upstreamStatus: 429,
    retryAfter: 5,
    maxMs: 1000,
  },
  {
    name: '429 with Retry-After as an HTTP date that fits the deadline',
    env: { MUTATION_DEADLINE_MS: '3000' },
    faults: () => [refresh({ status: 429, retryAfter: httpDateIn(0.4) })],
    code: null,
    attempts: 2,
    minMs: 395,
    maxMs: 3400,
    check: ([, second], [fault]) => {
      const retryAt = Date.parse(String((fault as { retryAfter: string }).retryAfter));
      expect(second!.time).toBeGreaterThanOrEqual(retryAt - 5);
    },
  },
  {
    name: '429 with Retry-After as an HTTP date an hour ahead',
    faults: () => [refresh({ status: 429, retryAfter: httpDateIn(3600) })],
    code: 'RATE_LIMITED',
    attempts: 1,
    upstreamStatus: 429,
    retryAfter: [3599, 3601],
    maxMs: 1000,
  },
  {
    name: 'a 200 whose body is not JSON, once',
    faults: () => [refresh({ malformed: 'not-json' })],
    code: null,
    attempts: 2,
  },
  {
    name: 'a 200 without data.userToken on every attempt',
    faults: () => [refresh({ malformed: 'wrong-shape', count: 3 })],
    code: 'UPSTREAM_UNAVAILABLE',
    attempts: 3,
    upstreamStatus: 200,
  },
  {
    name: 'a 200 with a truncated body, once',
    faults: () => [refresh({ truncated: true })],
    code: null,
    attempts: 2,
  },
  {
    name: 'a 200 with a truncated body on every attempt',
    faults: () => [refresh({ truncated: true, count: 3 })],
    code: 'UPSTREAM_UNAVAILABLE',
    attempts: 3,
  },
  {
    name: 'a slow body that ends within the attempt timeout',
    faults: () => [refresh({ slowBodyMs: 100 })],
    code: null,
    attempts: 1,
    minMs: 100,
  },
  {
    name: 'a slow body that outlasts the attempt timeout, once (the retry is replayed)',
    faults: () => [refresh({ slowBodyMs: 1000 })],
    code: null,
    attempts: 2,
    minMs: 300,
    maxMs: 1500,
  },
  {
    name: 'a 503 after Circle did the work (answer lost)',
    faults: () => [refresh({ status: 503, afterProcessing: true })],
    code: null,
    attempts: 2,
  },
  {
    name: 'a reset socket after Circle did the work (answer lost)',
    faults: () => [refresh({ drop: true, afterProcessing: true })],
    code: null,
    attempts: 2,
  },
];

/** The attempts Circle received carry one idempotency key and the caller's X-Request-Id. */
function expectOneMutation(calls: RecordedRequest[], requestId: string) {
  const keys = new Set(calls.map(keyOf));
  expect(keys.size).toBe(1);
  expect([...keys][0]).toMatch(/^[0-9a-f-]{36}$/);
  expect(calls.map((call) => call.headers['x-request-id'])).toEqual(calls.map(() => requestId));
}

/** A fresh session refreshes at once, with a single upstream call. */
async function expectNextRequestServed(current: Rig) {
  const from = current.mark();
  const answer = await current.refresh(byToken(current.session()));
  expect(answer.body.errors).toBeUndefined();
  expect(answer.body.data?.refreshUserToken.userToken).toBeTruthy();
  expect(current.calls(from)).toHaveLength(1);
}

// Each case has its own simulator and gateway. Upper time bounds are the deadline that matters
// plus slack for a busy 2-core machine; lower bounds are exact.
describe('a refresh meeting an upstream fault', () => {
  it.each(CASES)('$name → $code after $attempts attempt(s)', async (c) => {
    const rig = await startRig(c.env);
    try {
      await playCase(rig, c);
    } finally {
      await rig.close();
    }
  });
});

async function playCase(rig: Rig, c: FaultCase) {
  const session = rig.session();
  const faults = c.faults();
  for (const fault of faults) rig.simulator.injectFault(fault);
  const requestId = randomUUID();
  const idempotencyKey = randomUUID();
  const from = rig.mark();

  const answer: Answer = await rig.refresh(byToken(session, idempotencyKey), {
    'x-request-id': requestId,
  });
  rig.simulator.clearFaults();

  const attempts = rig.calls(from, REFRESH_PATH);
  expect(attempts).toHaveLength(c.attempts);
  expectOneMutation(attempts, requestId);
  expect(keyOf(attempts[0]!)).toBe(idempotencyKey);
  expect(answer.status).toBe(200);
  expect(answer.headers.get('x-request-id')).toBe(requestId);
  if (c.minMs !== undefined) expect(answer.ms).toBeGreaterThanOrEqual(c.minMs - 5);
  if (c.maxMs !== undefined) expect(answer.ms).toBeLessThan(c.maxMs);
  c.check?.(attempts, faults);

  if (c.code === null) {
    expect(answer.body.errors).toBeUndefined();
    const payload = answer.body.data!.refreshUserToken;
    expect(payload.idempotencyKey).toBe(idempotencyKey);
    // Rotated exactly once: the old refresh token is spent, the returned one works.
    const reuse = await rig.refresh(byToken(session));
    expect(reuse.body.errors?.[0]?.extensions.code).toBe('REFRESH_REJECTED');
    const next = await rig.refresh({
      user: { userToken: payload.userToken! },
      deviceId: session.deviceId,
      refreshToken: payload.refreshToken!,
    });
    expect(next.body.errors).toBeUndefined();
  } else {
    expect(answer.body.data).toBeNull();
    const error = answer.body.errors![0]!;
    expect(error.extensions.code).toBe(c.code);
    expect(error.extensions.retryable).toBe(true);
    if (c.upstreamStatus !== undefined) {
      expect(error.extensions.upstream).toMatchObject({ status: c.upstreamStatus });
    }
    if (typeof c.retryAfter === 'number') expect(error.extensions.retryAfter).toBe(c.retryAfter);
    if (Array.isArray(c.retryAfter)) {
      expect(error.extensions.retryAfter).toBeGreaterThanOrEqual(c.retryAfter[0]);
      expect(error.extensions.retryAfter).toBeLessThanOrEqual(c.retryAfter[1]);
    }
    // Whether or not Circle did the work, the same request with the same key succeeds now
    // that Circle is well (a fresh refresh, or Circle's replay of the lost answer).
    const again = await rig.refresh(byToken(session, idempotencyKey));
    expect(again.body.errors).toBeUndefined();
    expect(again.body.data?.refreshUserToken.idempotencyKey).toBe(idempotencyKey);
  }
  await expectNextRequestServed(rig);
}

describe('a refresh when Circle refuses connections', () => {
  it('answers UPSTREAM_UNAVAILABLE after three attempts, then serves once Circle listens', async () => {
    const port = await closedPort();
    const gateway = await startTestGateway({
      ...FAST_ENV,
      CIRCLE_API_KEY: API_KEY,
      CIRCLE_BASE_URL: `http://127.0.0.1:${port}`,
    });
    let upstream: Awaited<ReturnType<typeof startCircleSimulator>> | undefined;
    try {
      const requestId = randomUUID();
      const started = performance.now();
      const { body } = await gateway.execute(
        RefreshUserTokenDocument,
        { input: { user: { userToken: jwtLike({}) }, deviceId: 'device', refreshToken: 'rt' } },
        { 'x-request-id': requestId },
      );
      expect(performance.now() - started).toBeLessThan(1000);
      expect(body.data).toBeNull();
      expect(body.errors?.[0]?.extensions).toMatchObject({
        code: 'UPSTREAM_UNAVAILABLE',
        retryable: true,
      });
      // Nothing answered, so the gateway's own attempt log is the record here.
      const attempts = gateway.logs
        .map((line) => JSON.parse(line) as Record<string, unknown>)
        .filter((line) => line.msg === 'upstream attempt failed');
      expect(attempts.map((line) => line.outcome)).toEqual([
        'CIRCLE_CONNECTION_ERROR',
        'CIRCLE_CONNECTION_ERROR',
        'CIRCLE_CONNECTION_ERROR',
      ]);
      expect(new Set(attempts.map((line) => line.upstreamRequestId))).toEqual(new Set([requestId]));

      upstream = await startCircleSimulator({ port, fast: true });
      const session = upstream.simulator.createSession();
      const next = await gateway.execute(RefreshUserTokenDocument, { input: byToken(session) });
      expect(next.body.errors).toBeUndefined();
      expect(upstream.simulator.requests).toHaveLength(1);
    } finally {
      await gateway.close();
      await upstream?.close();
    }
  });
});
