import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import { type FaultMode, type FaultProxy, startFaultProxy } from '../support/fault-proxy.js';
import { startTestGateway } from '../support/gateway-server.js';
import { startTestRedis, type TestRedis } from '../support/redis-server.js';
import { requires } from '../support/requires.js';
import {
  logged,
  REDIS_BACK,
  REDIS_DOWN,
  redisReadiness,
  refreshSucceeds,
  type TestGateway,
} from './shape-support.js';

/**
 * The gateway on a Redis that misbehaves the ways a network and a sick server do, through a
 * proxy of the tests' own (test/support/fault-proxy.ts): each fault is bounded by
 * REDIS_TIMEOUT_MS, costs no refresh, shows on /ready with its reason, and heals by itself.
 */
const TIMEOUT_MS = 300;
let redis: TestRedis;
let proxy: FaultProxy | undefined;
let gateway: TestGateway | undefined;

beforeAll(async () => {
  redis = await startTestRedis();
  // Loaded once here, so a test's start-up time is the gateway's, not the first import's.
  await import('../../src/shared-state/create-shared-state.js');
});
afterEach(async () => {
  await gateway?.close();
  await proxy?.close();
  gateway = undefined;
  proxy = undefined;
});
afterAll(async () => {
  await redis.close();
});

const startThroughProxy = async (mode: FaultMode) => {
  proxy = await startFaultProxy(redis);
  proxy.set(mode);
  const started = Date.now();
  gateway = await startTestGateway({
    REDIS_URL: proxy.url,
    REDIS_TIMEOUT_MS: String(TIMEOUT_MS),
    REDIS_KEY_PREFIX: `faults-${mode}:`,
  });
  return { proxy, gateway, startMs: Date.now() - started };
};

const healsWhenPassing = async (faulty: FaultProxy, on: TestGateway) => {
  faulty.set('pass');
  await expect
    .poll(async () => (await redisReadiness(on)).state, { timeout: 5_000, interval: 100 })
    .toBe('up');
  expect(await redisReadiness(on)).toEqual(expect.objectContaining({ state: 'up' }));
  expect((await redisReadiness(on)).reason).toBeUndefined();
};

requires('redis-server').describe('the gateway on a misbehaving Redis', () => {
  it.each([
    { mode: 'swallow', what: 'accepts and never answers', says: 'timeout', reason: 'timeout' },
    { mode: 'garble', what: 'answers garbage', says: 'protocol', reason: 'protocol' },
    { mode: 'reset', what: 'resets every connection', says: 'no reason', reason: undefined },
  ] as const)(
    'listens within REDIS_TIMEOUT_MS + 1 s on a Redis that $what, says down ($says) on /ready, serves from memory, and joins when Redis heals',
    async ({ mode, reason }) => {
      const started = await startThroughProxy(mode);

      expect(started.startMs).toBeLessThan(TIMEOUT_MS + 1_000);
      const down = await redisReadiness(started.gateway);
      expect(down.state).toBe('down');
      expect(down.reason).toBe(reason);
      await refreshSucceeds(started.gateway);

      await healsWhenPassing(started.proxy, started.gateway);
      await refreshSucceeds(started.gateway);
      // Said once when it went, once when it came back.
      expect(logged(started.gateway, REDIS_DOWN)).toHaveLength(1);
      expect(logged(started.gateway, REDIS_DOWN)[0]).toMatchObject(reason ? { reason } : {});
      expect(logged(started.gateway, REDIS_BACK)).toHaveLength(1);
    },
  );

  it('cuts a half-open connection (ready, every command timing out) and heals on a new one', async () => {
    const { proxy: faulty, gateway: on } = await startThroughProxy('pass');
    await refreshSucceeds(on);
    expect((await redisReadiness(on)).state).toBe('up');
    const before = faulty.accepted;

    faulty.set('swallow');
    for (let i = 0; i < 3; i += 1) await refreshSucceeds(on);
    expect(await redisReadiness(on)).toMatchObject({ state: 'down', reason: 'timeout' });

    await healsWhenPassing(faulty, on);
    // The old connection's replies were lost for good: only a new connection could heal it.
    expect(faulty.accepted).toBeGreaterThan(before);
    await refreshSucceeds(on);
    expect(logged(on, REDIS_DOWN)).toHaveLength(1);
    expect(logged(on, REDIS_BACK)).toHaveLength(1);
  });

  it('reads garbage mid-run as a protocol failure, and heals', async () => {
    const { proxy: faulty, gateway: on } = await startThroughProxy('pass');
    await refreshSucceeds(on);

    faulty.set('garble');
    await refreshSucceeds(on);
    expect(await redisReadiness(on)).toMatchObject({ state: 'down', reason: 'protocol' });

    await healsWhenPassing(faulty, on);
    await refreshSucceeds(on);
  });

  it('reads a Redis that answers +OK to everything as Redis down, refreshes on from memory, and heals', async () => {
    const { proxy: faulty, gateway: on } = await startThroughProxy('pass');
    await refreshSucceeds(on);

    faulty.set('ok');
    // Neither RATE_LIMITED with a Retry-After of NaN nor a masked error: Redis failing.
    await refreshSucceeds(on);
    await refreshSucceeds(on);
    // Down, from memory. The reason reads `timeout` here, not `protocol`: a call that a +OK does
    // not complete (not found yet) times out first.
    expect(await redisReadiness(on)).toMatchObject({
      state: 'down',
      reason: expect.stringMatching(/^(protocol|timeout)$/),
    });

    await healsWhenPassing(faulty, on);
    await refreshSucceeds(on);
  });

  it('stays up on a Redis slower than usual but within REDIS_TIMEOUT_MS', async () => {
    const { proxy: faulty, gateway: on } = await startThroughProxy('pass');
    faulty.set('delay', { delayMs: TIMEOUT_MS / 6 });

    for (let i = 0; i < 3; i += 1) await refreshSucceeds(on);

    expect(await redisReadiness(on)).toEqual(expect.objectContaining({ state: 'up' }));
    expect(logged(on, REDIS_DOWN)).toHaveLength(0);
  });
});
