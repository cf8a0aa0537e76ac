import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import { type FaultProxy, startFaultProxy } from '../support/fault-proxy.js';
import { startTestGateway } from '../support/gateway-server.js';
import { startTestCluster, type TestCluster } from '../support/redis-cluster.js';
import { startTestSentinel, type TestSentinel } from '../support/redis-sentinel.js';
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
 * The gateway (`npm start`'s path, in this process) on each Redis shape: one node, a primary
 * behind three sentinels, a three-primary Cluster. Each rig is shared by the whole file (a
 * Cluster takes seconds to form). The data nodes of Sentinel and Cluster require a password,
 * given as REDIS_PASSWORD.
 */
const PASSWORD = 'data-node-password-7f3a';
const SENTINEL_PASSWORD = 'sentinel-password-91c2';
let single: TestRedis;
let sentinel: TestSentinel;
let cluster: TestCluster;
const gateways: TestGateway[] = [];
const proxies: FaultProxy[] = [];

beforeAll(async () => {
  // Each rig kept as soon as it runs, so afterAll stops it even when another failed to start.
  await Promise.all([
    startTestRedis().then((rig) => {
      single = rig;
    }),
    startTestSentinel({ password: PASSWORD, sentinelPassword: SENTINEL_PASSWORD }).then((rig) => {
      sentinel = rig;
    }),
    startTestCluster({ password: PASSWORD }).then((rig) => {
      cluster = rig;
    }),
  ]);
}, 60_000);
afterEach(async () => {
  for (const gateway of gateways.splice(0)) await gateway.close();
  for (const proxy of proxies.splice(0)) await proxy.close();
});
afterAll(async () => {
  await Promise.all([single?.close(), sentinel?.close(), cluster?.close()]);
});

const start = async (env: Record<string, string>) => {
  const gateway = await startTestGateway({ REDIS_TIMEOUT_MS: '500', ...env });
  gateways.push(gateway);
  return gateway;
};

/** Keys under `prefix` on the nodes at `ports` (a Cluster spreads them over its primaries). */
const keysOn = async (ports: number[], prefix: string, password?: string) => {
  let count = 0;
  for (const port of ports) {
    const redis = new Redis({ port, password, lazyConnect: true });
    await redis.connect();
    count += (await redis.keys(`${prefix}*`)).length;
    redis.disconnect();
  }
  return count;
};

const sentinelEnv = (): Record<string, string> => ({
  REDIS_SENTINELS: sentinel.sentinels,
  REDIS_SENTINEL_NAME: sentinel.name,
  REDIS_SENTINEL_PASSWORD: SENTINEL_PASSWORD,
  REDIS_PASSWORD: PASSWORD,
});

requires('redis-server').describe('the gateway on each Redis shape', () => {
  it.each([
    {
      shape: 'one node (REDIS_URL)',
      env: () => ({ REDIS_URL: single.url }),
      ports: () => [single.port],
      password: undefined,
    },
    {
      shape: 'Sentinel (REDIS_SENTINELS, REDIS_SENTINEL_NAME, both passwords)',
      env: sentinelEnv,
      ports: () => [sentinel.primaryPort],
      password: PASSWORD,
    },
    {
      shape: 'Cluster (REDIS_CLUSTER_NODES, REDIS_PASSWORD)',
      env: () => ({ REDIS_CLUSTER_NODES: cluster.nodes, REDIS_PASSWORD: PASSWORD }),
      ports: () => cluster.ports,
      password: PASSWORD,
    },
  ])(
    'serves refreshes with its state in Redis on $shape, and /ready says up',
    async ({ shape, env, ports, password }) => {
      const prefix = `shape-${shape.split(' ')[0]}:`;
      const gateway = await start({ ...env(), REDIS_KEY_PREFIX: prefix });

      await refreshSucceeds(gateway);
      await refreshSucceeds(gateway);

      expect(await redisReadiness(gateway)).toEqual(expect.objectContaining({ state: 'up' }));
      expect(logged(gateway, REDIS_DOWN)).toEqual([]);
      // The limits' buckets (and coalescing's results) are in this shape's Redis, not in memory.
      expect(await keysOn(ports(), prefix, password)).toBeGreaterThan(0);
    },
  );

  it.each([
    { setting: 'REDIS_PASSWORD', who: 'the data nodes' },
    { setting: 'REDIS_SENTINEL_PASSWORD', who: 'the sentinels' },
  ])(
    'says down (auth) when $who refuse $setting, names the setting and never its value, and still serves',
    async ({ setting }) => {
      const wrong = `not-the-right-one-for-${setting}`;
      const gateway = await start({ ...sentinelEnv(), [setting]: wrong });

      await refreshSucceeds(gateway);

      expect(await redisReadiness(gateway)).toMatchObject({ state: 'down', reason: 'auth' });
      const [down, ...more] = logged(gateway, REDIS_DOWN);
      expect(more).toEqual([]);
      expect(down).toMatchObject({ reason: 'auth' });
      expect(JSON.stringify(down)).toContain(setting);
      expect(gateway.logs.join('\n')).not.toContain(wrong);
    },
  );

  it('follows a Sentinel failover: refreshes keep succeeding while the primary is gone, and the state moves to the promoted replica', async () => {
    // A group of its own: this one loses its primary.
    const group = await startTestSentinel({ password: PASSWORD });
    try {
      const prefix = 'failover:';
      const gateway = await start({
        REDIS_SENTINELS: group.sentinels,
        REDIS_SENTINEL_NAME: group.name,
        REDIS_PASSWORD: PASSWORD,
        REDIS_KEY_PREFIX: prefix,
      });
      await refreshSucceeds(gateway);

      await group.killPrimary();
      await expect
        .poll(async () => (await redisReadiness(gateway)).state, { timeout: 5_000, interval: 50 })
        .toBe('down');
      const during: Promise<void>[] = [];
      // Refreshes through the outage and the election, until the gateway is back on Redis.
      await expect
        .poll(
          async () => {
            during.push(refreshSucceeds(gateway));
            return (await redisReadiness(gateway)).state;
          },
          { timeout: 20_000, interval: 250 },
        )
        .toBe('up');
      await Promise.all(during);
      expect(during.length).toBeGreaterThan(1);

      const before = await keysOn([group.replicaPort], prefix, PASSWORD);
      await refreshSucceeds(gateway);
      expect(await keysOn([group.replicaPort], prefix, PASSWORD)).toBeGreaterThan(before);
      expect(logged(gateway, REDIS_DOWN).length).toBe(logged(gateway, REDIS_BACK).length);
    } finally {
      await group.close();
    }
  }, 30_000);

  it.each([
    {
      shape: 'Sentinel',
      through: (proxy: FaultProxy) => ({
        ...sentinelEnv(),
        REDIS_SENTINELS: `127.0.0.1:${proxy.port}`,
      }),
      behind: () => Number(sentinel.sentinels.split(',')[0]?.split(':')[1]),
    },
    {
      shape: 'Cluster',
      through: (proxy: FaultProxy) => ({
        REDIS_CLUSTER_NODES: `127.0.0.1:${proxy.port}`,
        REDIS_PASSWORD: PASSWORD,
      }),
      behind: () => cluster.ports[0] ?? 0,
    },
  ])(
    'listens within REDIS_TIMEOUT_MS + 1 s when the $shape node it asks first accepts and never answers, and joins when it answers',
    async ({ through, behind }) => {
      const proxy = await startFaultProxy({ port: behind() });
      proxies.push(proxy);
      proxy.set('swallow');
      const started = Date.now();
      const gateway = await start({ ...through(proxy), REDIS_TIMEOUT_MS: '300' });

      expect(Date.now() - started).toBeLessThan(300 + 1_000);
      expect(await redisReadiness(gateway)).toMatchObject({ state: 'down', reason: 'timeout' });
      await refreshSucceeds(gateway);

      proxy.set('pass');
      await expect
        .poll(async () => (await redisReadiness(gateway)).state, { timeout: 8_000, interval: 100 })
        .toBe('up');
      await refreshSucceeds(gateway);
    },
  );

  it('refuses to start on two shapes at once, naming both', async () => {
    await expect(
      startTestGateway({ REDIS_URL: single.url, REDIS_CLUSTER_NODES: cluster.nodes }),
    ).rejects.toThrow(/REDIS_URL and REDIS_CLUSTER_NODES are both set/);
  });

  it('makes `npm start` print the problem and exit non-zero on two shapes', async () => {
    const run = promisify(execFile);
    const root = new URL('../../', import.meta.url).pathname;
    const failed = await run(process.execPath, ['--import', 'tsx', 'src/index.ts'], {
      cwd: root,
      env: {
        PATH: process.env.PATH ?? '',
        REDIS_SENTINELS: sentinel.sentinels,
        REDIS_SENTINEL_NAME: sentinel.name,
        REDIS_CLUSTER_NODES: cluster.nodes,
        REDIS_PASSWORD: PASSWORD,
      },
      timeout: 30_000,
    }).then(
      () => undefined,
      (error: { code?: number; stderr?: string }) => error,
    );

    expect(failed?.code).toBe(1);
    expect(failed?.stderr).toContain('REDIS_SENTINELS and REDIS_CLUSTER_NODES are both set');
    expect(failed?.stderr).not.toContain(PASSWORD);
  });
});
