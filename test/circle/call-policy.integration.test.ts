import { randomUUID } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import type { SimulatorFault } from '../../src/simulator/index.js';
import {
  byToken,
  byUserId,
  keyOf,
  MINT_PATH,
  REFRESH_PATH,
  type Rig,
  startRig,
} from './support.js';

/** Which failures are retried and which are not, the retry budget, and the userId path's mint. */

let rig: Rig | undefined;
afterEach(async () => {
  await rig?.close();
  rig = undefined;
});

const fault = (value: Record<string, unknown>) => value as unknown as SimulatorFault;

describe('a refresh Circle refuses with a 4xx', () => {
  it.each([
    { status: 400, circle: 2, code: 'REFRESH_REJECTED' },
    { status: 400, circle: 155113, code: 'DEVICE_INVALID' },
    { status: 400, circle: 155137, code: 'DEVICE_INVALID' },
    { status: 401, circle: 155103, code: 'USER_TOKEN_INVALID' },
    { status: 401, circle: 401, code: 'UPSTREAM_AUTH_FAILED' },
    { status: 403, circle: 155104, code: 'USER_TOKEN_EXPIRED' },
    { status: 403, circle: 155105, code: 'USER_TOKEN_INVALID' },
    { status: 403, circle: 3, code: 'UPSTREAM_AUTH_FAILED' },
    { status: 404, circle: 155102, code: 'USER_NOT_FOUND' },
    { status: 404, circle: 404, code: 'REFRESH_REJECTED' },
    { status: 409, circle: 155109, code: 'USER_DISABLED' },
    { status: 422, circle: 2, code: 'REFRESH_REJECTED' },
  ])('is never retried: $status / $circle → $code after one attempt', async (c) => {
    rig = await startRig();
    rig.simulator.injectFault(
      fault({ path: 'refresh', status: c.status, code: c.circle, count: 3 }),
    );
    const from = rig.mark();

    const answer = await rig.refresh(byToken(rig.session()));

    expect(rig.calls(from)).toHaveLength(1);
    expect(answer.body.data).toBeNull();
    expect(answer.body.errors?.[0]?.extensions).toMatchObject({
      code: c.code,
      retryable: false,
    });
    rig.simulator.clearFaults();
    const next = await rig.refresh(byToken(rig.session()));
    expect(next.body.errors).toBeUndefined();
  });
});

describe('the retry budget', () => {
  it('stops retrying once spent, so a failing Circle is not hit harder', async () => {
    // Ratio 0: only the budget's ten starting retries exist.
    rig = await startRig({ UPSTREAM_RETRY_BUDGET_RATIO: '0' });
    rig.simulator.injectFault(fault({ path: 'refresh', status: 503, count: 100 }));
    const attempts: number[] = [];
    for (let call = 0; call < 7; call += 1) {
      const from = rig.mark();
      const answer = await rig.refresh(byToken(rig.session()));
      expect(answer.body.errors?.[0]?.extensions.code).toBe('UPSTREAM_UNAVAILABLE');
      attempts.push(rig.calls(from).length);
    }
    expect(attempts).toEqual([3, 3, 3, 3, 3, 1, 1]);
  });

  it('refills with traffic at the configured ratio', async () => {
    rig = await startRig({ UPSTREAM_RETRY_BUDGET_RATIO: '1' });
    rig.simulator.injectFault(fault({ path: 'refresh', status: 503, count: 100 }));
    const attempts: number[] = [];
    for (let call = 0; call < 11; call += 1) {
      const from = rig.mark();
      await rig.refresh(byToken(rig.session()));
      attempts.push(rig.calls(from).length);
    }
    expect(attempts.slice(0, 8)).toEqual([3, 3, 3, 3, 3, 3, 3, 3]);
  });
});

describe('the mint call of the userId path', () => {
  it('is retried on 503 with the same X-Request-Id, then the refresh goes out once', async () => {
    rig = await startRig();
    const session = rig.session();
    rig.simulator.injectFault(fault({ path: 'mint', status: 503 }));
    const requestId = randomUUID();
    const from = rig.mark();

    const answer = await rig.refresh(byUserId(session), { 'x-request-id': requestId });

    expect(answer.body.errors).toBeUndefined();
    expect(answer.body.data?.refreshUserToken.userId).toBe(session.userId);
    const calls = rig.calls(from);
    expect(calls.map((call) => call.path)).toEqual([MINT_PATH, MINT_PATH, REFRESH_PATH]);
    expect(calls.map((call) => call.headers['x-request-id'])).toEqual([
      requestId,
      requestId,
      requestId,
    ]);
    expect(calls[0]!.body).toEqual({ userId: session.userId });
    expect(calls[1]!.body).toEqual({ userId: session.userId });
  });

  it.each([
    { name: '503 on every attempt', f: { status: 503, count: 3 }, code: 'UPSTREAM_UNAVAILABLE' },
    { name: 'a hang on every attempt', f: { hang: true, count: 3 }, code: 'UPSTREAM_TIMEOUT' },
    {
      name: 'a reset socket on every attempt',
      f: { drop: true, count: 3 },
      code: 'UPSTREAM_UNAVAILABLE',
    },
    { name: '429 on every attempt', f: { status: 429, count: 3 }, code: 'RATE_LIMITED' },
  ])('answers $code after three mints and no refresh on $name', async (c) => {
    rig = await startRig();
    const session = rig.session();
    rig.simulator.injectFault(fault({ path: 'mint', ...c.f }));
    const from = rig.mark();

    const answer = await rig.refresh(byUserId(session));

    expect(answer.body.errors?.[0]?.extensions.code).toBe(c.code);
    expect(rig.calls(from).map((call) => call.path)).toEqual([MINT_PATH, MINT_PATH, MINT_PATH]);
    rig.simulator.clearFaults();
    const next = await rig.refresh(byUserId(session));
    expect(next.body.errors).toBeUndefined();
  });

  it('honours Retry-After on a 429 from the mint', async () => {
    rig = await startRig();
    rig.simulator.injectFault(fault({ path: 'mint', status: 429, retryAfter: 1 }));
    const from = rig.mark();

    const answer = await rig.refresh(byUserId(rig.session()));

    expect(answer.body.errors).toBeUndefined();
    const [first, second, refresh] = rig.calls(from);
    expect([first?.path, second?.path, refresh?.path]).toEqual([
      MINT_PATH,
      MINT_PATH,
      REFRESH_PATH,
    ]);
    expect(second!.time - first!.time).toBeGreaterThanOrEqual(995);
  });

  it.each([
    { name: 'an unknown user', code: 'USER_NOT_FOUND' },
    { name: 'a disabled user', code: 'USER_DISABLED' },
  ])('is not retried for $name → $code', async (c) => {
    rig = await startRig();
    const session = rig.session();
    if (c.code === 'USER_DISABLED') rig.simulator.disableUser(session.userId);
    const input =
      c.code === 'USER_NOT_FOUND'
        ? { ...byUserId(session), user: { userId: 'no-such-user' } }
        : byUserId(session);
    const from = rig.mark();

    const answer = await rig.refresh(input);

    expect(answer.body.errors?.[0]?.extensions).toMatchObject({ code: c.code, retryable: false });
    expect(rig.calls(from).map((call) => call.path)).toEqual([MINT_PATH]);
  });

  it('re-mints once when the cached token went stale, keeping the idempotency key', async () => {
    rig = await startRig();
    const session = rig.session();
    const first = await rig.refresh(byUserId(session));
    const rotated = first.body.data!.refreshUserToken;
    rig.simulator.injectFault(fault({ path: 'refresh', status: 403, code: 155104 }));
    const from = rig.mark();

    const answer = await rig.refresh({
      user: { userId: session.userId },
      deviceId: session.deviceId,
      refreshToken: rotated.refreshToken!,
    });

    expect(answer.body.errors).toBeUndefined();
    const calls = rig.calls(from);
    expect(calls.map((call) => call.path)).toEqual([REFRESH_PATH, MINT_PATH, REFRESH_PATH]);
    expect(keyOf(calls[0]!)).toBe(keyOf(calls[2]!));
    expect(calls[0]!.headers['x-user-token']).not.toBe(calls[2]!.headers['x-user-token']);
  });
});

describe('a caller whose refresh timed out after Circle did the work', () => {
  // A caller who sent no key learns the one that went upstream, so a retry gets Circle's
  // replay of the refresh whose answer was lost.
  it('is told the idempotency key, and a retry with it gets the replayed success', async () => {
    rig = await startRig({ UPSTREAM_ATTEMPT_TIMEOUT_MS: '1000', MUTATION_DEADLINE_MS: '400' });
    const session = rig.session();
    rig.simulator.injectFault(fault({ path: 'refresh', latencyMs: 1500 }));

    const answer = await rig.refresh(byToken(session));

    expect(answer.body.errors?.[0]?.extensions.code).toBe('UPSTREAM_TIMEOUT');
    const key = answer.body.errors?.[0]?.extensions.idempotencyKey;
    expect(key).toMatch(/^[0-9a-f-]{36}$/);
    const again = await rig.refresh(byToken(session, key as string));
    expect(again.body.errors).toBeUndefined();
  });
});
