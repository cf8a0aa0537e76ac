import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError, readConfig } from '../../src/settings.js';

const dir = mkdtempSync(join(tmpdir(), 'redis-settings-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const secretFile = (name: string, content: string) => {
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
};

const problemsOf = (env: Record<string, string>) => {
  try {
    readConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  throw new Error('expected a ConfigError');
};

const SENTINELS = '10.0.0.1:26379, 10.0.0.2:26379,[::1]:26380';
const NODES = 'redis-a:7000,redis-b:7001';

describe('the Redis shape', () => {
  it('is none without Redis settings: the state stays in the process', () => {
    expect(readConfig({}).redis).toBeUndefined();
  });

  it('is one node from REDIS_URL', () => {
    expect(readConfig({ REDIS_URL: 'rediss://:pw@redis.internal:6380/2' }).redis).toEqual({
      url: 'rediss://:pw@redis.internal:6380/2',
    });
  });

  it('is a Sentinel group from REDIS_SENTINELS and REDIS_SENTINEL_NAME, with its passwords and TLS', () => {
    const config = readConfig({
      REDIS_SENTINELS: SENTINELS,
      REDIS_SENTINEL_NAME: 'gateway',
      REDIS_SENTINEL_PASSWORD: 'sentinel-pw',
      REDIS_USERNAME: 'gateway-user',
      REDIS_PASSWORD: 'data-pw',
      REDIS_TLS: 'true',
    });
    expect(config.redis).toEqual({
      sentinels: [
        { host: '10.0.0.1', port: 26379 },
        { host: '10.0.0.2', port: 26379 },
        { host: '::1', port: 26380 },
      ],
      name: 'gateway',
      sentinelPassword: 'sentinel-pw',
      username: 'gateway-user',
      password: 'data-pw',
      tls: true,
    });
  });

  it('is a Cluster from REDIS_CLUSTER_NODES, with the credentials read from their _FILE settings', () => {
    const config = readConfig({
      REDIS_CLUSTER_NODES: NODES,
      REDIS_USERNAME_FILE: secretFile('user', 'gateway-user\n'),
      REDIS_PASSWORD_FILE: secretFile('password', 'data-pw\n'),
    });
    expect(config.redis).toEqual({
      clusterNodes: [
        { host: 'redis-a', port: 7000 },
        { host: 'redis-b', port: 7001 },
      ],
      username: 'gateway-user',
      password: 'data-pw',
      tls: false,
    });
  });

  it('reads REDIS_SENTINEL_PASSWORD_FILE', () => {
    const config = readConfig({
      REDIS_SENTINELS: SENTINELS,
      REDIS_SENTINEL_NAME: 'gateway',
      REDIS_SENTINEL_PASSWORD_FILE: secretFile('sentinel', 'sentinel-pw'),
    });
    expect(config.redis).toMatchObject({ sentinelPassword: 'sentinel-pw' });
  });
});

describe('Redis settings that do not fit together', () => {
  it('refuses two shapes, naming both', () => {
    expect(problemsOf({ REDIS_URL: 'redis://r:6379', REDIS_SENTINELS: SENTINELS })).toContain(
      'REDIS_URL and REDIS_SENTINELS are both set: set one Redis shape only',
    );
    expect(problemsOf({ REDIS_SENTINELS: SENTINELS, REDIS_CLUSTER_NODES: NODES })).toContain(
      'REDIS_SENTINELS and REDIS_CLUSTER_NODES are both set: set one Redis shape only',
    );
  });

  it('refuses three shapes, naming all three', () => {
    const problems = problemsOf({
      REDIS_URL: 'redis://r:6379',
      REDIS_SENTINELS: SENTINELS,
      REDIS_SENTINEL_NAME: 'gateway',
      REDIS_CLUSTER_NODES: NODES,
    });
    expect(problems).toContain(
      'REDIS_URL, REDIS_SENTINELS and REDIS_CLUSTER_NODES are all set: set one Redis shape only',
    );
  });

  it('refuses sentinels without the group name, and the name or the sentinel password without sentinels', () => {
    expect(problemsOf({ REDIS_SENTINELS: SENTINELS })).toEqual([
      'REDIS_SENTINELS needs REDIS_SENTINEL_NAME (the primary group to follow)',
    ]);
    expect(
      problemsOf({ REDIS_SENTINEL_NAME: 'gateway', REDIS_SENTINEL_PASSWORD: 'sentinel-pw' }),
    ).toEqual([
      'REDIS_SENTINEL_NAME is set without REDIS_SENTINELS',
      'REDIS_SENTINEL_PASSWORD is set without REDIS_SENTINELS',
    ]);
  });

  it('refuses data-node credentials and TLS with REDIS_URL (they go in the URL) or with no Redis', () => {
    const withUrl = problemsOf({
      REDIS_URL: 'redis://r:6379',
      REDIS_PASSWORD: 'data-pw',
      REDIS_TLS: 'true',
    });
    expect(withUrl).toEqual([
      'REDIS_PASSWORD is for REDIS_SENTINELS or REDIS_CLUSTER_NODES: with REDIS_URL, credentials and TLS (rediss://) go in the URL',
      'REDIS_TLS is for REDIS_SENTINELS or REDIS_CLUSTER_NODES: with REDIS_URL, credentials and TLS (rediss://) go in the URL',
    ]);
    expect(problemsOf({ REDIS_USERNAME: 'gateway-user' })).toEqual([
      'REDIS_USERNAME is set without REDIS_SENTINELS or REDIS_CLUSTER_NODES',
    ]);
  });

  it('refuses a credential and its file both set, and never quotes a credential', () => {
    const problems = problemsOf({
      REDIS_CLUSTER_NODES: NODES,
      REDIS_PASSWORD: 'data-pw-do-not-print',
      REDIS_PASSWORD_FILE: secretFile('both', 'x'),
    });
    expect(problems).toEqual(['REDIS_PASSWORD and REDIS_PASSWORD_FILE are both set: set only one']);
    expect(problems.join('\n')).not.toContain('data-pw-do-not-print');
  });

  it('refuses a host list that is not host:port', () => {
    expect(problemsOf({ REDIS_CLUSTER_NODES: 'redis-a:7000,redis-b' })).toEqual([
      'REDIS_CLUSTER_NODES must be a comma-separated list of host:port, such as 10.0.0.1:26379 (got "redis-a:7000,redis-b")',
    ]);
  });
});
