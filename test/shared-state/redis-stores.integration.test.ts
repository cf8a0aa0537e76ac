import { Redis } from 'ioredis';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { CircleHttpError } from '../../src/circle/errors.js';
import { UserTokenCache } from '../../src/refresh/user-token-cache.js';
import type { RefreshInput, RefreshResult } from '../../src/refresh/user-token-service.js';
import { createMemoryRateLimitStore } from '../../src/security/rate-limit.js';
import { createSharedState, type SharedState } from '../../src/shared-state/create-shared-state.js';
import { startTestRedis, type TestRedis } from '../support/redis-server.js';
import { requires } from '../support/requires.js';
import { expectNoSecretIn, readEveryKeyAndValue } from './redis-scan.js';

/** The stores of two gateway instances over one real Redis (no gateway, no HTTP). */
const SECRET = 'TEST_API_KEY:fleet-key-id:fleet-key-secret';
let redis: TestRedis;
const opened: SharedState[] = [];
const secrets = new Set<string>([SECRET]);

const instance = async (url = redis.url, registry?: Registry) => {
  const state = await createSharedState({
    url,
    secret: SECRET,
    localTokenCache: new UserTokenCache(),
    registry,
  });
  opened.push(state);
  return state;
};

const result = (n: number): RefreshResult => ({
  userToken: `user-token-${n}-${'u'.repeat(20)}`,
  encryptionKey: `encryption-key-${n}-${'e'.repeat(20)}`,
  refreshToken: `refresh-token-${n}-${'r'.repeat(20)}`,
  userId: 'user-12345',
  expiresAt: 1_900_000_000_000,
  idempotencyKey: '2f9a4c3e-1b7d-4e8f-9a6b-5c4d3e2f1a0b',
  requestId: `request-${n}`,
});

const session = (n: number): RefreshInput => {
  const input = {
    user: { userToken: `old-user-token-${n}-${'o'.repeat(20)}` },
    deviceId: `device-${n}`,
    refreshToken: `old-refresh-token-${n}-${'q'.repeat(20)}`,
  };
  secrets.add(input.user.userToken).add(input.refreshToken);
  return input;
};

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

beforeAll(async () => {
  redis = await startTestRedis();
});
afterAll(async () => {
  for (const state of opened) await state.close();
  await redis.close();
});

requires('redis-server').describe('the shared stores on a real Redis', () => {
  it('share one token bucket per key between instances', async () => {
    const [a, b] = [await instance(), await instance()];
    const take = (state: SharedState) =>
      state.rateLimitStore.take('device:dev-rl', 1, 1, 3, Date.now());
    const decisions = [await take(a), await take(b), await take(a), await take(b)];
    expect(decisions.map((d) => d.allowed)).toEqual([true, true, true, false]);
    expect(decisions[3]?.retryAfterMs).toBeGreaterThan(500);
    expect(decisions[3]?.retryAfterMs).toBeLessThanOrEqual(1_000);
    // Another key has its own bucket.
    expect((await take(b)).allowed).toBe(false);
    expect((await a.rateLimitStore.take('device:other', 1, 1, 3, Date.now())).allowed).toBe(true);
  });

  it('take a refresh’s buckets all or none, in order, in Redis as in memory', async () => {
    const stores = [(await instance()).rateLimitStore, createMemoryRateLimitStore()];
    for (const [n, store] of stores.entries()) {
      const budget = { key: `upstream:a${n}`, tag: `address:a${n}`, cost: 1, rate: 1, burst: 2 };
      const device = { key: `device:d${n}`, tag: `device:d${n}`, cost: 1, rate: 1, burst: 1 };
      const takeAll = store.takeAll?.bind(store);
      if (!takeAll) throw new Error('takeAll missing');
      expect(await takeAll([budget, device], Date.now())).toEqual({
        allowed: true,
        retryAfterMs: 0,
      });
      // The device is empty: refused by it, and the budget keeps its last token.
      const refused = await takeAll([budget, device], Date.now());
      expect(refused).toMatchObject({ allowed: false, refused: 1 });
      expect(refused.retryAfterMs).toBeGreaterThan(500);
      expect((await takeAll([budget], Date.now())).allowed).toBe(true);
      // Now the budget is empty: refused first, the device (refilled or not) is not charged.
      expect(await takeAll([budget, device], Date.now())).toMatchObject({
        allowed: false,
        refused: 0,
      });
    }
  });

  it('share minted tokens, and drop one for everyone only while it is the token refused', async () => {
    const [a, b] = [await instance(), await instance()];
    const token = `minted-${'m'.repeat(30)}`;
    const newer = `reminted-${'n'.repeat(30)}`;
    secrets.add(token).add(newer).add('mint-encryption-key-secret');
    await a.userTokenCache.set('user-abcde', token, 'mint-encryption-key-secret');
    expect(await b.userTokenCache.get('user-abcde')).toMatchObject({
      userToken: token,
      encryptionKey: 'mint-encryption-key-secret',
    });
    // B re-minted meanwhile: A's late drop of the old token leaves B's newer one.
    await b.userTokenCache.set('user-abcde', newer, undefined);
    await a.userTokenCache.delete('user-abcde', token);
    expect((await a.userTokenCache.get('user-abcde'))?.userToken).toBe(newer);
    await a.userTokenCache.delete('user-abcde', newer);
    expect(await b.userTokenCache.get('user-abcde')).toBeUndefined();
  });

  it('merge identical refreshes on two instances into one call, result and failure alike', async () => {
    const [a, b] = [await instance(), await instance()];
    const input = session(1);
    let calls = 0;
    const slowRefresh = async () => {
      calls += 1;
      await sleep(300);
      return result(1);
    };
    const deadline = Date.now() + 5_000;
    const [first, second] = await Promise.all([
      a.coalescer.run(input, 'key-a', deadline, slowRefresh),
      sleep(50).then(() => b.coalescer.run(input, 'key-b', deadline, slowRefresh)),
    ]);
    expect(calls).toBe(1);
    expect(first).toEqual({ result: result(1), shared: false });
    expect(second).toEqual({ result: result(1), shared: true });
    // The result stays a moment for slow waiters, but a refresh that comes after is not
    // concurrent: it makes its own call, as it would in one process.
    expect(await b.coalescer.run(input, 'key-c', deadline, slowRefresh)).toEqual({
      result: result(1),
      shared: false,
    });
    expect(calls).toBe(2);

    const refused = session(2);
    const failing = async () => {
      calls += 1;
      await sleep(300);
      throw new CircleHttpError({ call: 'refresh', status: 400, circleCode: 2, requestId: 'r-9' });
    };
    const outcomes = await Promise.allSettled([
      a.coalescer.run(refused, 'key-a', deadline, failing),
      sleep(50).then(() => b.coalescer.run(refused, 'key-b', deadline, failing)),
    ]);
    expect(calls).toBe(3);
    for (const outcome of outcomes) {
      expect(outcome.status).toBe('rejected');
      const error = (outcome as PromiseRejectedResult).reason;
      expect(error).toBeInstanceOf(CircleHttpError);
      expect(error).toMatchObject({ status: 400, circleCode: 2, requestId: 'r-9' });
    }
  });

  it('let a waiter take over, with the holder idempotency key, when the holder dies', async () => {
    const [a, b] = [await instance(), await instance()];
    const input = session(3);
    const deadline = Date.now() + 8_000;
    // A takes the lease and never finishes; then A's process "dies" (its connection goes).
    void a.coalescer
      .run(input, 'holder-key', deadline, () => new Promise(() => {}))
      .catch(() => {});
    await sleep(100);
    await a.close();
    const sent: string[] = [];
    const started = Date.now();
    const taken = await b.coalescer.run(input, 'waiter-key', deadline, async (key) => {
      sent.push(key);
      return result(3);
    });
    expect(taken).toEqual({ result: result(3), shared: false });
    expect(sent).toEqual(['holder-key']);
    // The lease (2 s) ran out first; the waiter did not wait for its whole deadline.
    expect(Date.now() - started).toBeGreaterThan(1_000);
    expect(Date.now() - started).toBeLessThan(4_000);
  });

  it('connect with a password and a database given in the URL', async () => {
    const secured = await startTestRedis(['--requirepass', 'redis-pass-word']);
    try {
      const state = await instance(`redis://:redis-pass-word@127.0.0.1:${secured.port}/3`);
      await state.rateLimitStore.take('address:192.0.2.1', 1, 1, 5, Date.now());
      expect(state.status().state).toBe('up');
      const raw = new Redis(secured.port, '127.0.0.1', { password: 'redis-pass-word', db: 3 });
      expect((await raw.keys('cwg:rl:*')).length).toBe(1);
      await raw.select(0);
      expect(await raw.dbsize()).toBe(0);
      raw.disconnect();
      await state.close();
    } finally {
      await secured.close();
    }
  });

  it('answer from memory while Redis is down, say so once, and heal when it is back', async () => {
    const registry = new Registry();
    const state = await instance(redis.url, registry);
    const take = () => state.rateLimitStore.take('device:outage', 1, 1, 2, Date.now());
    expect((await take()).allowed).toBe(true);
    await redis.stop();
    try {
      const started = Date.now();
      // The in-memory bucket starts full: the outage costs no refresh.
      expect((await take()).allowed).toBe(true);
      expect(await state.userTokenCache.get('user-abcde')).toBeUndefined();
      const input = session(4);
      expect(
        await state.coalescer.run(input, 'k', Date.now() + 1_000, async () => result(4)),
      ).toEqual({ result: result(4), shared: false });
      expect(Date.now() - started).toBeLessThan(1_000);
      expect(state.status()).toMatchObject({ state: 'down' });
      const metrics = await registry.metrics();
      expect(metrics).toContain('gateway_redis_up 0');
      expect(metrics).toMatch(/gateway_redis_fallbacks_total\{store="rate_limit"\} [1-9]/);
    } finally {
      await redis.start();
    }
    for (let i = 0; i < 50 && state.status().state === 'down'; i += 1) {
      await sleep(200);
      await take();
    }
    expect(state.status().state).toBe('up');
    expect(await registry.metrics()).toContain('gateway_redis_up 1');
  });

  it('(the scan itself) finds a secret kept plainly, in base64 at any offset, or in hex', async () => {
    const secret = 'planted-refresh-token-0123456789';
    for (const [n, stored] of [
      `{"refreshToken":"${secret}"}`,
      Buffer.from(`x${secret}`).toString('base64'),
      Buffer.from(`xy${secret}!`).toString('base64url'),
      Buffer.from(secret).toString('hex'),
    ].entries()) {
      const raw = new Redis(redis.port, '127.0.0.1');
      await raw.set('planted', stored);
      const dump = await readEveryKeyAndValue(redis.port);
      await raw.del('planted');
      raw.disconnect();
      expect(() => expectNoSecretIn(dump, [secret]), `form ${n}`).toThrow(/a form of a secret/);
    }
  });

  it('leave no token, refresh token, encryption key or API key readable in Redis', async () => {
    const state = await instance();
    // A result sits in Redis for a moment after the holder is done: scan in that moment too.
    const input = session(5);
    for (const value of Object.values(result(5))) if (typeof value === 'string') secrets.add(value);
    await state.userTokenCache.set(
      'user-scan1',
      `scan-minted-${'s'.repeat(30)}`,
      'scan-ek-1234567',
    );
    secrets.add(`scan-minted-${'s'.repeat(30)}`).add('scan-ek-1234567');
    await state.coalescer.run(input, 'k', Date.now() + 1_000, async () => result(5));
    for (const r of [1, 2, 3, 4]) {
      for (const value of Object.values(result(r)))
        if (typeof value === 'string') secrets.add(value);
    }
    const dump = await readEveryKeyAndValue(redis.port);
    expect(dump.some((entry) => entry.key.includes(':co:'))).toBe(true);
    expect(dump.some((entry) => entry.key.includes(':mint:'))).toBe(true);
    expectNoSecretIn(
      dump,
      [...secrets].filter((s) => !s.startsWith('request-')),
    );
  });
});
