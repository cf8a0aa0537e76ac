import { afterAll, describe, expect, it } from 'vitest';
import { createMemoryRateLimitStore } from '../../src/security/rate-limit.js';
import { jwtLike } from '../support/jwt.js';
import { startTestGateway, type TestGateway } from '../support/loopback-gateway.js';
import { REFRESH_MUTATION } from '../support/refresh.js';
import { post } from '../support/requests.js';
import { newSession } from '../support/session.js';

describe('the in-memory token bucket store', () => {
  it('allows the burst, then refuses with the wait until the next token, then refills', () => {
    const store = createMemoryRateLimitStore();
    const take = (now: number) => store.take('k', 1, 2, 3, now);
    expect([take(0), take(0), take(0)].every((d) => d.allowed)).toBe(true);
    expect(take(0)).toEqual({ allowed: false, retryAfterMs: 500 });
    expect(take(250)).toEqual({ allowed: false, retryAfterMs: 250 });
    expect(take(500).allowed).toBe(true);
    expect(take(10_000).allowed).toBe(true);
  });

  it('keeps buckets apart by key', () => {
    const store = createMemoryRateLimitStore();
    expect(store.take('a', 1, 1, 1, 0).allowed).toBe(true);
    expect(store.take('a', 1, 1, 1, 0).allowed).toBe(false);
    expect(store.take('b', 1, 1, 1, 0).allowed).toBe(true);
  });

  it('stays within maxKeys, dropping refilled (idle) buckets before busy ones', () => {
    const store = createMemoryRateLimitStore({ maxKeys: 100 });
    // A busy client, then a flood of one-off keys much later.
    for (let i = 0; i < 5; i += 1) store.take('busy', 1, 1, 5, 0);
    for (let i = 0; i < 10_000; i += 1) store.take(`once-${i}`, 1, 1, 5, 10_000 + i);
    expect(store.size).toBeLessThanOrEqual(100);
    // Idle since t=0, the busy bucket refilled long ago: it may go, and a new one is full.
    expect(store.take('busy', 1, 1, 5, 20_000).allowed).toBe(true);
  });
});

describe('rate limits over HTTP', () => {
  const gateways: TestGateway[] = [];
  const start = async (env: Record<string, string>) => {
    const gateway = await startTestGateway({ LOG_LEVEL: 'silent', ...env });
    gateways.push(gateway);
    return gateway;
  };
  afterAll(async () => {
    await Promise.all(gateways.map((gateway) => gateway.close()));
  });
  const query = { query: '{ circleWalletsGateway { version } }' };

  it('refuses an address past its burst with 429, RATE_LIMITED, retryAfter and Retry-After', async () => {
    const gateway = await start({
      RATE_LIMIT_EXEMPT: 'none',
      RATE_LIMIT_ADDRESS_RATE: '1',
      RATE_LIMIT_ADDRESS_BURST: '3',
    });
    for (let i = 0; i < 3; i += 1) expect((await post(gateway.graphqlUrl, query)).status).toBe(200);
    const refused = await post(gateway.graphqlUrl, query);
    expect(refused.status).toBe(429);
    expect(refused.headers.get('retry-after')).toBe('1');
    expect(refused.json.errors?.[0]?.extensions).toEqual({
      code: 'RATE_LIMITED',
      retryable: true,
      retryAfter: 1,
    });
    // Answered like every other response: security headers and no caching.
    expect(refused.headers.get('x-content-type-options')).toBe('nosniff');
    expect(refused.headers.get('cache-control')).toBe('no-store');
    await new Promise((resolve) => setTimeout(resolve, 1_050));
    expect((await post(gateway.graphqlUrl, query)).status).toBe(200);
  });

  it('behind TRUST_PROXY, limits the rightmost untrusted X-Forwarded-For hop', async () => {
    const gateway = await start({
      TRUST_PROXY: 'loopback',
      RATE_LIMIT_ADDRESS_RATE: '1',
      RATE_LIMIT_ADDRESS_BURST: '2',
    });
    const from = (xff: string) => post(gateway.graphqlUrl, query, { 'x-forwarded-for': xff });
    expect((await from('203.0.113.7')).status).toBe(200);
    // A client-made hop on the left changes nothing: the proxy appended the real address.
    expect((await from('198.51.100.1, 203.0.113.7')).status).toBe(200);
    expect((await from('192.0.2.99, 203.0.113.7')).status).toBe(429);
    // Another client has its own bucket; a chain of trusted proxies is looked through.
    expect((await from('203.0.113.8, 127.0.0.1')).status).toBe(200);
  });

  it('ignores X-Forwarded-For without TRUST_PROXY (loopback callers are exempt by default)', async () => {
    const gateway = await start({ RATE_LIMIT_ADDRESS_RATE: '1', RATE_LIMIT_ADDRESS_BURST: '1' });
    for (let i = 0; i < 5; i += 1) {
      const answer = await post(gateway.graphqlUrl, query, { 'x-forwarded-for': '203.0.113.7' });
      expect(answer.status).toBe(200);
    }
  });

  it('turns the address limit off with a rate of 0', async () => {
    const gateway = await start({
      RATE_LIMIT_EXEMPT: 'none',
      RATE_LIMIT_ADDRESS_RATE: '0',
      RATE_LIMIT_ADDRESS_BURST: '1',
    });
    const answers = await Promise.all(
      Array.from({ length: 30 }, () => post(gateway.graphqlUrl, query)),
    );
    expect(answers.every((answer) => answer.status === 200)).toBe(true);
  });

  it('refuses a device past its burst before calling Circle, and not other devices', async () => {
    const gateway = await start({
      TRUST_PROXY: 'loopback',
      RATE_LIMIT_DEVICE_RATE: '1',
      RATE_LIMIT_DEVICE_BURST: '2',
      // The device limit alone (the per-address share of Circle has its own suite).
      RATE_LIMIT_UPSTREAM_RATE: '0',
    });
    const upstream = gateway.simulator!.simulator;
    const refresh = (deviceId: string) =>
      post(
        gateway.graphqlUrl,
        {
          query: REFRESH_MUTATION,
          variables: {
            input: { user: { userToken: jwtLike({ sub: 'forged' }) }, deviceId, refreshToken: 'r' },
          },
        },
        { 'x-forwarded-for': '203.0.113.50' },
      );
    for (let i = 0; i < 2; i += 1) {
      expect((await refresh('device-A')).json.errors?.[0]?.extensions.code).toBe(
        'USER_TOKEN_INVALID',
      );
    }
    const before = upstream.requests.length;
    const refused = await refresh('device-A');
    expect(refused.status).toBe(429);
    expect(refused.headers.get('retry-after')).toBe('1');
    expect(refused.json.data).toBeNull();
    expect(refused.json.errors?.[0]?.extensions).toMatchObject({
      code: 'RATE_LIMITED',
      retryable: true,
      retryAfter: 1,
    });
    expect(upstream.requests.length).toBe(before);
    expect((await refresh('device-B')).json.errors?.[0]?.extensions.code).toBe(
      'USER_TOKEN_INVALID',
    );
  });

  it('lets a test suite or a benchmark on loopback run hundreds of requests with the defaults', async () => {
    const gateway = await start({});
    const session = await newSession(gateway.simulator!.url);
    const answers = await Promise.all(
      Array.from({ length: 300 }, () => post(gateway.graphqlUrl, query)),
    );
    expect(answers.every((answer) => answer.status === 200)).toBe(true);
    // And more than a device's burst of refreshes in a row on one device.
    let { userToken, refreshToken } = session;
    for (let i = 0; i < 15; i += 1) {
      const answer = await post(gateway.graphqlUrl, {
        query: REFRESH_MUTATION,
        variables: { input: { user: { userToken }, deviceId: session.deviceId, refreshToken } },
      });
      expect(answer.json.errors).toBeUndefined();
      const payload = answer.json.data?.refreshUserToken as {
        userToken: string;
        refreshToken: string;
      };
      ({ userToken, refreshToken } = payload);
    }
  });
});
