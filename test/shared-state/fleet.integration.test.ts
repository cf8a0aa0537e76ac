import { afterAll, beforeAll, expect, it } from 'vitest';
import { type RunningSimulator, startCircleSimulator } from '../../src/simulator/index.js';
import type { SimulatorSession } from '../../src/simulator/state.js';
import { jwtLike } from '../support/jwt.js';
import { startTestRedis, type TestRedis } from '../support/redis-server.js';
import { REFRESH_MUTATION } from '../support/refresh.js';
import { requires } from '../support/requires.js';
import {
  type Answer,
  type GatewayProcess,
  monitorRedis,
  post,
  startGatewayProcess,
} from './fleet-support.js';
import { expectNoSecretIn, readEveryKeyAndValue } from './redis-scan.js';

/**
 * Two gateway processes (`npm start`), one Circle simulator, one real Redis: every promise one
 * instance keeps, two keep together. Requests carry X-Forwarded-For (TRUST_PROXY=loopback) so
 * each test has addresses of its own.
 */
const API_KEY = 'TEST_API_KEY:fleet-key-id:fleet-key-secret-value';
let redis: TestRedis;
let circle: RunningSimulator;
let a: GatewayProcess;
let b: GatewayProcess;
let monitor: Awaited<ReturnType<typeof monitorRedis>>;
const monitored: string[] = [];
/** Every token, refresh token and encryption key the run saw: none may be readable in Redis. */
const secrets = new Set<string>([API_KEY, 'fleet-key-secret-value']);

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const newSession = (input?: { userId?: string }): SimulatorSession => {
  const session = circle.simulator.createSession(input);
  secrets.add(session.userToken).add(session.refreshToken).add(session.encryptionKey);
  return session;
};

const refresh = (
  gateway: GatewayProcess,
  s: { userToken?: string; userId?: string; deviceId: string; refreshToken: string },
  from: string,
) =>
  post(
    gateway,
    {
      query: REFRESH_MUTATION,
      variables: {
        input: {
          user: s.userId ? { userId: s.userId } : { userToken: s.userToken },
          deviceId: s.deviceId,
          refreshToken: s.refreshToken,
        },
      },
    },
    from,
  ).then((answer) => {
    const payload = answer.body.data?.refreshUserToken;
    for (const value of Object.values(payload ?? {})) if (value) secrets.add(value);
    return answer;
  });

const codeOf = (answer: Answer) => answer.body.errors?.[0]?.extensions.code;
const calls = (path: string) => circle.simulator.requests.filter((r) => r.path === path);
const REFRESH_PATH = '/v1/w3s/users/token/refresh';
const MINT_PATH = '/v1/w3s/users/token';

const ready = async (gateway: GatewayProcess) => {
  const response = await fetch(`${gateway.url}/ready`);
  return {
    status: response.status,
    body: (await response.json()) as { redis?: { state: string; fallbacks: number } },
  };
};

beforeAll(async () => {
  redis = await startTestRedis();
  monitor = await monitorRedis(redis.port);
  circle = await startCircleSimulator({ rateLimits: false });
  const env = {
    CIRCLE_API_KEY: API_KEY,
    CIRCLE_BASE_URL: circle.url,
    REDIS_URL: redis.url,
    TRUST_PROXY: 'loopback',
    RATE_LIMIT_EXEMPT: 'none',
    RATE_LIMIT_ADDRESS_RATE: '1',
    RATE_LIMIT_ADDRESS_BURST: '4',
    RATE_LIMIT_DEVICE_RATE: '1',
    RATE_LIMIT_DEVICE_BURST: '5',
    UPSTREAM_MAX_ATTEMPTS: '1',
  };
  [a, b] = await Promise.all([startGatewayProcess(env), startGatewayProcess(env)]);
}, 120_000);

afterAll(async () => {
  await Promise.all([a?.stop(), b?.stop()]);
  monitor?.stop();
  await circle?.close();
  await redis?.close();
});

/** Sends `count` at once, alternating A and B; how many were allowed, and the time it took. */
async function burst(count: number, send: (gateway: GatewayProcess) => Promise<Answer>) {
  const started = Date.now();
  const answers = await Promise.all(
    Array.from({ length: count }, (_, i) => send(i % 2 === 0 ? a : b)),
  );
  return { answers, refills: Math.floor((Date.now() - started) / 1_000) };
}

requires('redis-server').describe('two gateway processes behind one Redis', () => {
  it('hold one per-address limit between them, with 429 and Retry-After', async () => {
    const { answers, refills } = await burst(10, (gateway) =>
      post(gateway, { query: '{ __typename }' }, '203.0.113.10'),
    );
    const refused = answers.filter((answer) => answer.status === 429);
    // Burst 4 for the address, whichever instance: per process it would be 4 each.
    expect(10 - refused.length).toBeGreaterThanOrEqual(4);
    expect(10 - refused.length).toBeLessThanOrEqual(4 + refills);
    for (const answer of refused) {
      expect(answer.retryAfter).toBe('1');
      expect(codeOf(answer)).toBe('RATE_LIMITED');
    }
    // Refused on A and on B alike.
    expect(answers.filter((x, i) => x.status === 429 && i % 2 === 0).length).toBeGreaterThan(0);
    expect(answers.filter((x, i) => x.status === 429 && i % 2 === 1).length).toBeGreaterThan(0);
  });

  it('hold one per-device limit between them, refused before Circle is called', async () => {
    const before = calls(REFRESH_PATH).length;
    let sent = 0;
    const { answers, refills } = await burst(10, (gateway) =>
      refresh(
        gateway,
        // Different refresh tokens: identical refreshes would be merged into one call. A
        // JWT-shaped token (Circle refuses it): one that is not a JWT never reaches the limit.
        {
          userToken: jwtLike({ sub: 'fleet', exp: 4_000_000_000 }),
          deviceId: 'fleet-device-limited',
          refreshToken: `r-${++sent}`,
        },
        // Each from its own address: only the device limit applies.
        `198.51.100.${Math.floor(Math.random() * 250) + 1}`,
      ),
    );
    const limited = answers.filter((answer) => codeOf(answer) === 'RATE_LIMITED');
    const allowed = 10 - limited.length;
    expect(allowed).toBeGreaterThanOrEqual(5);
    expect(allowed).toBeLessThanOrEqual(5 + refills);
    for (const answer of limited) {
      expect(answer.status).toBe(429);
      expect(answer.body.errors?.[0]?.extensions.retryAfter).toBe(1);
    }
    expect(calls(REFRESH_PATH).length - before).toBe(allowed);
  });

  it('share a minted token, and a token Circle refuses is dropped for both', async () => {
    const session = newSession({ userId: 'fleet-user-mint' });
    const mintsBefore = calls(MINT_PATH).length;
    let current = {
      userId: session.userId,
      deviceId: session.deviceId,
      refreshToken: session.refreshToken,
    };
    const next = async (gateway: GatewayProcess, from: string) => {
      const answer = await refresh(gateway, current, from);
      expect(answer.body.errors).toBeUndefined();
      current = { ...current, refreshToken: answer.body.data?.refreshUserToken.refreshToken ?? '' };
    };
    await next(a, '192.0.2.21');
    await next(b, '192.0.2.22');
    await next(a, '192.0.2.23');
    // Minted once on A, used by B and A again.
    expect(calls(MINT_PATH).length - mintsBefore).toBe(1);

    // Circle's clock passes the minted token's expiry: the next refresh (on B) is refused with
    // 155104, B drops the token for everyone, mints once and retries; A then uses B's new one.
    circle.simulator.advanceClock(61 * 60_000);
    await next(b, '192.0.2.24');
    expect(calls(MINT_PATH).length - mintsBefore).toBe(2);
    const refusedBefore = calls(REFRESH_PATH).length;
    await next(a, '192.0.2.25');
    expect(calls(MINT_PATH).length - mintsBefore).toBe(2);
    // A's refresh went straight through with the new token: no refusal, no retry.
    expect(calls(REFRESH_PATH).length - refusedBefore).toBe(1);
  });

  it('make one call to Circle for the same refresh sent to both (the two-tab race)', async () => {
    const session = newSession();
    circle.simulator.injectFault({ path: 'refresh', latencyMs: 800 });
    const [onA, onB] = await Promise.all([
      refresh(a, session, '192.0.2.31'),
      sleep(150).then(() => refresh(b, session, '192.0.2.32')),
    ]);
    expect(onA.body.errors).toBeUndefined();
    expect(onB.body.errors).toBeUndefined();
    expect(onB.body.data).toEqual(onA.body.data);
    const sent = calls(REFRESH_PATH).filter(
      (r) => (r.body as { refreshToken?: string }).refreshToken === session.refreshToken,
    );
    expect(sent).toHaveLength(1);
  });

  it('keep every token out of Redis in plaintext, base64 and hex (keys, values, commands)', async () => {
    // Something is held at this moment: a minted token (50 minutes) and the buckets.
    const dump = await readEveryKeyAndValue(redis.port);
    expect(dump.some((entry) => entry.key.startsWith('cwg:mint:'))).toBe(true);
    expect(dump.some((entry) => entry.key.startsWith('cwg:rl:'))).toBe(true);
    monitored.push(...monitor.lines);
    expect(monitored.some((line) => line.includes('cwg:co:'))).toBe(true);
    expectNoSecretIn(dump, [...secrets]);
    expectNoSecretIn(
      monitored.map((line) => ({ key: '', value: line })),
      [...secrets, 'fleet-device-limited', '203.0.113.10', 'fleet-user-mint'],
    );
  });

  it('lose no refresh when Redis stops mid-load and comes back, and show it on /ready', async () => {
    const sessions = Array.from({ length: 10 }, () => newSession());
    const failures: string[] = [];
    let done = 0;
    const chains = sessions.map(async (session, n) => {
      let current = session;
      for (let i = 0; i < 6; i += 1) {
        const answer = await refresh(i % 2 === 0 ? a : b, current, `192.0.2.${100 + n}`);
        if (answer.body.errors) failures.push(String(codeOf(answer)));
        const payload = answer.body.data?.refreshUserToken;
        if (payload) {
          current = {
            ...current,
            userToken: payload.userToken ?? '',
            refreshToken: payload.refreshToken ?? '',
          };
        }
        done += 1;
        await sleep(500);
      }
    });
    await sleep(1_000);
    await redis.stop();
    await sleep(300);
    const outage = { doneAtStop: done, ready: [await ready(a), await ready(b)] };
    await sleep(1_500);
    await redis.start();
    await Promise.all(chains);

    expect(failures).toEqual([]);
    expect(done).toBe(60);
    expect(outage.doneAtStop).toBeLessThan(50);
    for (const seen of outage.ready) {
      expect(seen.status).toBe(200);
      expect(seen.body.redis?.state).toBe('down');
    }
    // Each heals by itself, said once per outage.
    for (const gateway of [a, b]) {
      for (let i = 0; i < 50 && (await ready(gateway)).body.redis?.state !== 'up'; i += 1) {
        await sleep(200);
        await post(gateway, { query: '{ __typename }' }, '192.0.2.200');
      }
      expect((await ready(gateway)).body.redis?.state).toBe('up');
      // Said once per outage: one warning when it goes, one line when it is back. (On a loaded
      // machine a call slower than REDIS_TIMEOUT_MS is an outage of its own: pairs, never runs.)
      const down = gateway.logs(
        'redis unreachable: each process uses its own memory until it is back',
      );
      const back = gateway.logs(
        'redis reachable again: limits, minted tokens and coalescing are shared',
      );
      expect(down.length).toBeGreaterThanOrEqual(1);
      expect(back.length, JSON.stringify([...down, ...back])).toBe(down.length);
      const metrics = await (await fetch(`${gateway.url}/metrics`)).text();
      expect(metrics).toMatch(/gateway_redis_fallbacks_total\{store="rate_limit"\} [1-9]/);
      expect(metrics).toContain('gateway_redis_up 1');
    }
  }, 60_000);

  it('let a waiting instance finish the refresh when the holder dies, with its idempotency key', async () => {
    monitor = await monitorRedis(redis.port);
    const session = newSession();
    // Circle processes A's call at once (the token rotates) but answers only after 4 s.
    circle.simulator.injectFault({ path: 'refresh', latencyMs: 4_000 });
    const onA = refresh(a, session, '192.0.2.41').catch(() => undefined);
    while (
      !calls(REFRESH_PATH).some(
        (r) => (r.body as { refreshToken?: string }).refreshToken === session.refreshToken,
      )
    ) {
      await sleep(20);
    }
    const onB = refresh(b, session, '192.0.2.42');
    await sleep(200);
    await a.stop();
    await onA;
    const answer = await onB;
    expect(answer.body.errors, JSON.stringify(answer.body.errors)).toBeUndefined();
    // Without the holder's key B would send a spent refresh token under a new key: refused.
    expect(answer.body.errors).toBeUndefined();
    const sent = calls(REFRESH_PATH).filter(
      (r) => (r.body as { refreshToken?: string }).refreshToken === session.refreshToken,
    );
    expect(sent).toHaveLength(2);
    const keys = sent.map((r) => (r.body as { idempotencyKey: string }).idempotencyKey);
    expect(keys[1]).toBe(keys[0]);
    expect(answer.body.data?.refreshUserToken.idempotencyKey).toBe(keys[0]);
    monitored.push(...monitor.lines);
    monitor.stop();
    expectNoSecretIn(
      monitored.map((line) => ({ key: '', value: line })),
      [...secrets],
    );
    expectNoSecretIn(await readEveryKeyAndValue(redis.port), [...secrets]);
  }, 30_000);
});
