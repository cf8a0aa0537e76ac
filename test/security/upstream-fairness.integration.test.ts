import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isWellFormedJwt } from '../../src/circle/jwt.js';
import { createMemoryRateLimitStore, createRateLimiter } from '../../src/security/rate-limit.js';
import { jwtLike } from '../support/jwt.js';
import { startTestGateway, type TestGateway } from '../support/loopback-gateway.js';
import { REFRESH_MUTATION } from '../support/refresh.js';
import { post } from '../support/requests.js';
import { newSession, refreshInput } from '../support/session.js';

const FLOODER = '203.0.113.66';
const NEIGHBOUR = '198.51.100.9';

describe('isWellFormedJwt', () => {
  const part = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
  it.each([
    ['an opaque string', 'not-a-token'],
    ['three dots of nothing', '..'],
    ['two segments', `${part({ alg: 'HS256' })}.${part({})}`],
    ['a header that is not JSON', `bm9wZQ.${part({})}.c2ln`],
    ['no alg', `${part({ typ: 'JWT' })}.${part({})}.c2ln`],
    ['alg none', `${part({ alg: 'none' })}.${part({})}.c2ln`],
    ['an empty signature', `${part({ alg: 'HS256' })}.${part({})}.`],
    ['a payload that is an array', `${part({ alg: 'HS256' })}.${part([1])}.c2ln`],
    ['characters outside base64url', `${part({ alg: 'HS256' })}.${part({})}.c2l+n/`],
  ])('refuses %s', (_case, token) => {
    expect(isWellFormedJwt(token)).toBe(false);
  });

  it('accepts a signed JWT', () => {
    expect(isWellFormedJwt(jwtLike({ sub: 'user-1', exp: 1_900_000_000 }))).toBe(true);
  });
});

describe('the per-address budget of upstream calls', () => {
  it('refills at its rate, and shrinks by refusalCost when Circle refuses', () => {
    let now = 0;
    const limiter = createRateLimiter({
      store: createMemoryRateLimitStore(),
      upstreamPerAddress: { rate: 1, burst: 3, refusalCost: 2 },
      isExempt: () => false,
      now: () => now,
    });
    const calls = (address: string) => {
      let allowed = 0;
      while (!limiter.byUpstreamCall(address)) allowed += 1;
      return allowed;
    };
    expect(calls('good')).toBe(3);
    now = 3_000;
    expect(calls('good')).toBe(3);
    // The same three calls, each refused by Circle: each refusal owes two more tokens, so the
    // address waits 6 s for its next three calls instead of 3 s.
    expect(calls('junk')).toBe(3);
    for (let i = 0; i < 3; i += 1) limiter.chargeRefusal('junk');
    now = 6_000;
    expect(calls('junk')).toBe(0);
    expect(limiter.byUpstreamCall('junk')).toMatchObject({ extensions: { retryAfter: 3 } });
    now = 9_000;
    expect(calls('junk')).toBe(3);
    expect(calls('good')).toBe(3);
  });
});

describe.each([
  ['Yoga (FAST_PATH=false)', 'false'],
  ['the default (fast path on)', 'true'],
])('one address cannot spend everyone’s Circle quota: %s', (_name, fastPath) => {
  let gateway: TestGateway;
  beforeAll(async () => {
    // The embedded simulator limits refreshes to 5/s per API key, as Circle does.
    gateway = await startTestGateway({
      LOG_LEVEL: 'silent',
      FAST_PATH: fastPath,
      TRUST_PROXY: 'loopback',
    });
  });
  afterAll(() => gateway.close());
  const circleCalls = () =>
    gateway.simulator!.simulator.requests.filter((r) => r.path.endsWith('/refresh')).length;

  const refresh = (from: string, input: Record<string, unknown>) =>
    post(
      gateway.graphqlUrl,
      { query: REFRESH_MUTATION, variables: { input } },
      { 'x-forwarded-for': from },
    );

  it('answers a token that is not a JWT USER_TOKEN_INVALID without calling Circle', async () => {
    const before = circleCalls();
    for (let i = 0; i < 3; i += 1) {
      const answer = await refresh(FLOODER, {
        user: { userToken: 'junk-token' },
        deviceId: `d-${i}`,
        refreshToken: 'r',
      });
      expect(answer.json.errors?.[0]?.extensions).toMatchObject({
        code: 'USER_TOKEN_INVALID',
        field: 'input.user.userToken',
        retryable: false,
      });
    }
    expect(circleCalls()).toBe(before);
  });

  it('lets another address refresh while one floods forged JWTs', async () => {
    // Wait out the previous test's second at the simulator.
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    const session = await newSession(gateway.simulator!.url);
    const before = circleCalls();
    const flood = await Promise.all(
      Array.from({ length: 40 }, (_, i) =>
        refresh(FLOODER, {
          user: { userToken: jwtLike({ sub: `forged-${i}`, exp: 1_900_000_000 }) },
          deviceId: `device-${i}`,
          refreshToken: `refresh-${i}`,
        }),
      ),
    );
    const codes = flood.map((answer) => answer.json.errors?.[0]?.extensions.code);
    // Three reached Circle (and were refused there); the rest were refused by the gateway.
    expect(codes.filter((code) => code === 'USER_TOKEN_INVALID')).toHaveLength(3);
    expect(codes.filter((code) => code === 'RATE_LIMITED')).toHaveLength(37);
    expect(circleCalls() - before).toBe(3);

    const valid = await refresh(NEIGHBOUR, refreshInput(session));
    expect(valid.json.errors).toBeUndefined();
    expect(valid.json.data?.refreshUserToken).toMatchObject({ userId: session.userId });
    if (fastPath === 'true') expect(gateway.gateway.fastPathStats().served).toBeGreaterThan(0);
  });

  it("does not let one address lock out another's device (the address budget comes first)", async () => {
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    const victim = await newSession(gateway.simulator!.url);
    const flood = await Promise.all(
      Array.from({ length: 40 }, (_, i) =>
        refresh('203.0.113.77', {
          user: { userToken: jwtLike({ sub: `forged-${i}` }) },
          deviceId: victim.deviceId,
          refreshToken: `refresh-${i}`,
        }),
      ),
    );
    expect(flood.filter((answer) => answer.status === 429)).toHaveLength(37);
    const own = await refresh(NEIGHBOUR, refreshInput(victim));
    expect(own.json.errors).toBeUndefined();
  });
});
