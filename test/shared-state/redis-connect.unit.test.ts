import { Cluster, Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { connectRedis, type RedisClient } from '../../src/shared-state/connect.js';

/** The policy every shape shares, read from the clients before they connect (they are lazy). */
const opened: RedisClient[] = [];
afterEach(() => {
  for (const client of opened.splice(0)) client.disconnect();
});
const connections = (...args: Parameters<typeof connectRedis>) => {
  const made = connectRedis(...args);
  opened.push(made.redis, made.subscriber);
  return made;
};

const policy = {
  lazyConnect: true,
  maxRetriesPerRequest: 0,
  commandTimeout: 250,
  enableAutoPipelining: false,
};

describe('connectRedis', () => {
  it('makes one node from a URL: no offline queue, a deadline per command; a subscriber that waits', () => {
    const { redis, subscriber } = connections({ url: 'redis://:pw@127.0.0.1:6390/2' }, 250);
    expect(redis).toBeInstanceOf(Redis);
    expect((redis as Redis).options).toMatchObject({
      ...policy,
      enableOfflineQueue: false,
      port: 6390,
      db: 2,
      password: 'pw',
    });
    expect((subscriber as Redis).options).toMatchObject({
      enableOfflineQueue: true,
      commandTimeout: undefined,
    });
  });

  it('makes a Sentinel client with both passwords and TLS to the data nodes', () => {
    const { redis, subscriber } = connections(
      {
        sentinels: [{ host: '127.0.0.1', port: 26390 }],
        name: 'gateway-primary',
        sentinelPassword: 'sentinel-pw',
        username: 'gateway',
        password: 'data-pw',
        tls: true,
      },
      250,
    );
    for (const client of [redis, subscriber]) {
      expect((client as Redis).options).toMatchObject({
        sentinels: [{ host: '127.0.0.1', port: 26390 }],
        name: 'gateway-primary',
        sentinelPassword: 'sentinel-pw',
        username: 'gateway',
        password: 'data-pw',
        tls: {},
        enableTLSForSentinelMode: true,
        sentinelCommandTimeout: 250,
      });
    }
    expect((redis as Redis).options).toMatchObject({ ...policy, enableOfflineQueue: false });
  });

  it('makes a Cluster whose node connections carry the credentials and the deadline', () => {
    const { redis, subscriber } = connections(
      { clusterNodes: [{ host: '127.0.0.1', port: 7390 }], password: 'data-pw' },
      250,
    );
    expect(redis).toBeInstanceOf(Cluster);
    expect((redis as Cluster).options).toMatchObject({
      lazyConnect: true,
      enableOfflineQueue: false,
      enableAutoPipelining: false,
      redisOptions: { password: 'data-pw', commandTimeout: 250, maxRetriesPerRequest: 0 },
    });
    expect((redis as Cluster).options.redisOptions?.tls).toBeUndefined();
    expect((subscriber as Cluster).options).toMatchObject({
      enableOfflineQueue: true,
      redisOptions: { commandTimeout: undefined },
    });
  });
});
