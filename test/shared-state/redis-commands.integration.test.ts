import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningSimulator, startCircleSimulator } from '../../src/simulator/index.js';
import { startTestRedis, type TestRedis } from '../support/redis-server.js';
import { REFRESH_MUTATION as REFRESH } from '../support/refresh.js';
import { type Answer, type GatewayProcess, post, startGatewayProcess } from './fleet-support.js';

/**
 * What one refresh costs Redis, counted on a real one: the calls a gateway sends (each a round
 * trip) and the commands Redis runs for them (a script's own `redis.call`s included), read from
 * MONITOR. The bounds are the ones docs/fleet.md states ("Commands per refresh"): a change that
 * adds a round trip before Circle fails here.
 */
const API_KEY = 'TEST_API_KEY:commands-key-id:commands-key-secret-value';
/** docs/fleet.md's table: calls sent before Circle answers, after, and commands run in Redis. */
const BOUNDS = {
  userToken: { before: 1, after: 1, commands: 14 },
  userIdCold: { before: 1, after: 1, commands: 16 },
  userIdWarm: { before: 1, after: 1, commands: 15 },
  deviceRefusal: { before: 1, after: 0, commands: 5 },
  addressRefusal: { before: 1, after: 0, commands: 3 },
  query: { before: 1, after: 0, commands: 4 },
} as const;

let redis: TestRedis;
let circle: RunningSimulator;
let a: GatewayProcess;
let b: GatewayProcess;
let watcher: Redis;
/** Every command Redis ran, with the number of requests Circle had seen when it was reported. */
const seen: { source: string; args: string[]; circle: number }[] = [];
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

beforeAll(async () => {
  redis = await startTestRedis();
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
    RATE_LIMIT_DEVICE_BURST: '2',
    RATE_LIMIT_UPSTREAM_RATE: '1',
    RATE_LIMIT_UPSTREAM_BURST: '50',
    UPSTREAM_MAX_ATTEMPTS: '1',
  };
  [a, b] = await Promise.all([startGatewayProcess(env), startGatewayProcess(env)]);
  watcher = new Redis(redis.port, '127.0.0.1');
  const monitor = await watcher.monitor();
  // Circle (the simulator) runs in this process: a command reported before Circle saw the
  // refresh was sent before it (Redis reports it before the gateway even has its reply).
  monitor.on('monitor', (_time: string, args: string[], source: string) =>
    seen.push({ source, args, circle: circle.simulator.requests.length }),
  );
}, 120_000);

afterAll(async () => {
  watcher?.disconnect();
  await Promise.all([a?.stop(), b?.stop()]);
  await circle?.close();
  await redis?.close();
});

/**
 * The calls a gateway sent for `send` before Circle was called and after, and the commands Redis
 * ran for them (the calls themselves and their scripts' commands).
 */
async function counted(send: () => Promise<Answer>) {
  await sleep(150);
  const start = seen.length;
  const circleBefore = circle.simulator.requests.length;
  const answer = await send();
  // What the gateway records after Circle answered (not waited for) lands within a moment.
  await sleep(150);
  const all = seen.slice(start);
  const calls = all.filter((line) => line.source !== 'lua');
  return {
    answer,
    before: calls.filter((line) => line.circle === circleBefore).length,
    after: calls.filter((line) => line.circle > circleBefore).length,
    commands: all.length,
    lines: all.map((line) => `${line.source === 'lua' ? '  lua' : 'call'} ${line.args[0]}`),
  };
}

const refreshBody = (input: Record<string, unknown>) => ({ query: REFRESH, variables: { input } });
const codeOf = (answer: Answer) => answer.body.errors?.[0]?.extensions.code;

function expectWithin(
  name: keyof typeof BOUNDS,
  count: { before: number; after: number; commands: number; lines: string[] },
) {
  const bound = BOUNDS[name];
  const detail = `${name}:\n${count.lines.join('\n')}`;
  expect(count.before, detail).toBeLessThanOrEqual(bound.before);
  expect(count.after, detail).toBeLessThanOrEqual(bound.after);
  expect(count.commands, detail).toBeLessThanOrEqual(bound.commands);
}

describe('the Redis cost of one refresh', () => {
  it('userToken path: one call before Circle, one after', async () => {
    const session = circle.simulator.createSession();
    const count = await counted(() =>
      post(
        a,
        refreshBody({
          user: { userToken: session.userToken },
          deviceId: session.deviceId,
          refreshToken: session.refreshToken,
        }),
        '192.0.2.1',
      ),
    );
    expect(count.answer.body.errors).toBeUndefined();
    expectWithin('userToken', count);
  });

  it('userId path, cold and warm mint cache: one call before Circle, one after', async () => {
    const session = circle.simulator.createSession({ userId: 'commands-user' });
    const cold = await counted(() =>
      post(
        a,
        refreshBody({
          user: { userId: session.userId },
          deviceId: session.deviceId,
          refreshToken: session.refreshToken,
        }),
        '192.0.2.2',
      ),
    );
    expect(cold.answer.body.errors).toBeUndefined();
    expectWithin('userIdCold', cold);
    const warm = await counted(() =>
      post(
        b,
        refreshBody({
          user: { userId: session.userId },
          deviceId: session.deviceId,
          refreshToken: String(cold.answer.body.data?.refreshUserToken.refreshToken),
        }),
        '192.0.2.3',
      ),
    );
    expect(warm.answer.body.errors).toBeUndefined();
    expectWithin('userIdWarm', warm);
    // Minted once, on A; B used A's token.
    expect(circle.simulator.requests.filter((r) => r.path === '/v1/w3s/users/token')).toHaveLength(
      1,
    );
  });

  it('a refusal by the device limit: one call, and Circle is not called', async () => {
    const session = circle.simulator.createSession();
    const input = (n: number) =>
      refreshBody({
        user: { userToken: session.userToken },
        deviceId: session.deviceId,
        refreshToken: `${session.refreshToken}-${n}`,
      });
    // The device's burst of 2, from two addresses: the third is refused.
    await post(a, input(1), '192.0.2.10');
    await post(b, input(2), '192.0.2.11');
    const circleCalls = circle.simulator.requests.length;
    const count = await counted(() => post(a, input(3), '192.0.2.12'));
    expect(codeOf(count.answer)).toBe('RATE_LIMITED');
    expect(circle.simulator.requests.length).toBe(circleCalls);
    expectWithin('deviceRefusal', count);
  });

  it('a refusal by the fleet-wide address limit: one call, and Circle is not called', async () => {
    // Good sessions: a refusal by Circle would make the address owe its budget (per process).
    const input = (_n: number) => {
      const session = circle.simulator.createSession();
      return refreshBody({
        user: { userToken: session.userToken },
        deviceId: session.deviceId,
        refreshToken: session.refreshToken,
      });
    };
    // The address's burst of 4, spent two on each instance: each instance's own front-door
    // bucket still has tokens, the fleet's does not.
    for (let n = 1; n <= 4; n += 1) {
      expect((await post(n % 2 ? a : b, input(n), '192.0.2.20')).body.errors).toBeUndefined();
    }
    const circleCalls = circle.simulator.requests.length;
    const count = await counted(() => post(a, input(5), '192.0.2.20'));
    expect(codeOf(count.answer)).toBe('RATE_LIMITED');
    expect(count.answer.status).toBe(429);
    expect(circle.simulator.requests.length).toBe(circleCalls);
    expectWithin('addressRefusal', count);
  });

  it('a query: one call (the fleet-wide address limit), none when it is malformed', async () => {
    const count = await counted(() => post(a, { query: '{ __typename }' }, '192.0.2.30'));
    expect(count.answer.status).toBe(200);
    expectWithin('query', count);
    const malformed = await counted(() => post(a, { query: '{ nope' }, '192.0.2.31'));
    expect(malformed.answer.body.errors).toBeDefined();
    expect(malformed.commands).toBe(0);
  });
});
