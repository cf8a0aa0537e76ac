/**
 * The shared-state settings (REDIS_*): which Redis (one shape: a URL, Sentinel or Cluster), its
 * credentials, and how long a call may take. `readRedisShape` turns the values into the one shape
 * connect.ts builds, or says precisely which settings do not fit together.
 */

import { readSecretFile } from '../config/secret-file.js';
import {
  boolean,
  integer,
  optional,
  type Parser,
  setting,
  text,
  type ValuesOf,
} from '../config/setting.js';
import type { RedisHostPort, RedisShape } from './connect.js';
import { SHARED_STATE_DEFAULTS } from './create-shared-state.js';

const redisUrl: Parser<string> = (raw) => {
  try {
    const url = new URL(raw.trim());
    return url.protocol === 'redis:' || url.protocol === 'rediss:'
      ? url.href
      : { problem: 'must be a redis:// or rediss:// URL' };
  } catch {
    return { problem: 'must be a URL such as redis://127.0.0.1:6379' };
  }
};

const hostPorts: Parser<RedisHostPort[]> = (raw) => {
  const nodes: RedisHostPort[] = [];
  for (const entry of raw.split(',').map((part) => part.trim())) {
    const match = /^(\[[^\]]+\]|[^:\s]+):(\d{1,5})$/.exec(entry);
    const port = Number(match?.[2]);
    if (!match?.[1] || port < 1 || port > 65_535) {
      return { problem: 'must be a comma-separated list of host:port, such as 10.0.0.1:26379' };
    }
    nodes.push({ host: match[1].replace(/^\[|\]$/g, ''), port });
  }
  return nodes;
};

/** A credential and the file that may hold it instead (a mounted secret). */
const credential = <const K extends string, const E extends string>(key: K, env: E, what: string) =>
  [
    setting({
      key,
      env,
      default: undefined,
      secret: true,
      description: `${what} (Sentinel or Cluster; with REDIS_URL it goes in the URL).`,
      parse: optional(text),
    }),
    setting({
      key: `${key}File`,
      env: `${env}_FILE`,
      default: undefined,
      description: `A file holding ${env}, instead of it; one trailing newline is ignored.`,
      parse: optional(text),
    }),
  ] as const;

export const SHARED_STATE_SETTINGS = [
  setting({
    key: 'redisUrl',
    env: 'REDIS_URL',
    default: undefined,
    defaultLabel: 'none: in memory, per process',
    secret: true,
    description:
      'redis:// or rediss:// URL: limits, minted tokens, coalescing shared by all instances (docs/fleet.md).',
    parse: optional(redisUrl),
  }),
  setting({
    key: 'redisSentinels',
    env: 'REDIS_SENTINELS',
    default: undefined,
    description:
      'Comma-separated host:port of Redis Sentinels, instead of REDIS_URL: the shared state follows the primary through failovers.',
    parse: optional(hostPorts),
  }),
  setting({
    key: 'redisSentinelName',
    env: 'REDIS_SENTINEL_NAME',
    default: undefined,
    description: "The primary's group name in Sentinel (required with REDIS_SENTINELS).",
    parse: optional(text),
  }),
  ...credential('redisSentinelPassword', 'REDIS_SENTINEL_PASSWORD', "The sentinels' own password"),
  setting({
    key: 'redisClusterNodes',
    env: 'REDIS_CLUSTER_NODES',
    default: undefined,
    description:
      'Comma-separated host:port of some Redis Cluster nodes, instead of REDIS_URL: the shared state is spread over its slots.',
    parse: optional(hostPorts),
  }),
  ...credential('redisUsername', 'REDIS_USERNAME', 'ACL user of the Redis data nodes'),
  ...credential('redisPassword', 'REDIS_PASSWORD', 'Password of the Redis data nodes'),
  setting({
    key: 'redisTls',
    env: 'REDIS_TLS',
    default: false,
    description:
      'TLS to the Redis data nodes with REDIS_SENTINELS or REDIS_CLUSTER_NODES (with REDIS_URL: rediss://).',
    parse: boolean,
  }),
  setting({
    key: 'redisTimeoutMs',
    env: 'REDIS_TIMEOUT_MS',
    default: SHARED_STATE_DEFAULTS.timeoutMs,
    description:
      'Deadline of one Redis call and of start-up’s wait for Redis; past it, or with Redis down, each process uses its own memory.',
    parse: integer(1, 60_000),
  }),
  setting({
    key: 'redisKeyPrefix',
    env: 'REDIS_KEY_PREFIX',
    default: SHARED_STATE_DEFAULTS.prefix,
    description: 'Prefix of every Redis key and channel the gateway uses.',
    parse: text,
  }),
] as const;

export type SharedStateConfig = ValuesOf<typeof SHARED_STATE_SETTINGS>;

/** A credential from its setting or its file (both set: a problem), never quoted. */
function secretOf(
  value: string | undefined,
  file: string | undefined,
  env: string,
  problems: string[],
): string | undefined {
  if (file === undefined) return value;
  if (value !== undefined) {
    problems.push(`${env} and ${env}_FILE are both set: set only one`);
    return undefined;
  }
  return readSecretFile(file, `${env}_FILE`, problems);
}

/**
 * The one Redis shape the settings give, or undefined (no Redis: state in memory). Two shapes, a
 * shape with a part missing, or credentials with nothing to use them: a problem naming the
 * settings, so the process refuses to start rather than run on something else than was meant.
 */
export function readRedisShape(
  values: Partial<SharedStateConfig>,
  problems: string[],
): RedisShape | undefined {
  const before = problems.length;
  const given = (
    [
      ['REDIS_URL', values.redisUrl],
      ['REDIS_SENTINELS', values.redisSentinels],
      ['REDIS_CLUSTER_NODES', values.redisClusterNodes],
    ] as const
  ).filter(([, value]) => value !== undefined);
  if (given.length > 1) {
    const names = given.map(([env]) => env);
    problems.push(
      `${names.slice(0, -1).join(', ')} and ${names.at(-1)} are ${names.length > 2 ? 'all' : 'both'} set: set one Redis shape only`,
    );
  }
  const sentinelPassword = secretOf(
    values.redisSentinelPassword,
    values.redisSentinelPasswordFile,
    'REDIS_SENTINEL_PASSWORD',
    problems,
  );
  const username = secretOf(
    values.redisUsername,
    values.redisUsernameFile,
    'REDIS_USERNAME',
    problems,
  );
  const password = secretOf(
    values.redisPassword,
    values.redisPasswordFile,
    'REDIS_PASSWORD',
    problems,
  );
  const sentinels = values.redisSentinels;
  const name = values.redisSentinelName;
  if (sentinels && name === undefined) {
    problems.push('REDIS_SENTINELS needs REDIS_SENTINEL_NAME (the primary group to follow)');
  }
  if (!sentinels) {
    for (const [env, value] of [
      ['REDIS_SENTINEL_NAME', name],
      ['REDIS_SENTINEL_PASSWORD', values.redisSentinelPassword ?? values.redisSentinelPasswordFile],
    ] as const) {
      if (value !== undefined) problems.push(`${env} is set without REDIS_SENTINELS`);
    }
  }
  if (!sentinels && !values.redisClusterNodes) {
    const access = [
      ['REDIS_USERNAME', values.redisUsername ?? values.redisUsernameFile],
      ['REDIS_PASSWORD', values.redisPassword ?? values.redisPasswordFile],
      ['REDIS_TLS', values.redisTls ? true : undefined],
    ] as const;
    for (const [env, value] of access) {
      if (value === undefined) continue;
      problems.push(
        values.redisUrl === undefined
          ? `${env} is set without REDIS_SENTINELS or REDIS_CLUSTER_NODES`
          : `${env} is for REDIS_SENTINELS or REDIS_CLUSTER_NODES: with REDIS_URL, credentials and TLS (rediss://) go in the URL`,
      );
    }
  }
  if (problems.length > before) return undefined;
  const access = { username, password, tls: values.redisTls === true };
  if (values.redisUrl !== undefined) return { url: values.redisUrl };
  if (sentinels && name !== undefined) return { sentinels, name, sentinelPassword, ...access };
  if (values.redisClusterNodes) return { clusterNodes: values.redisClusterNodes, ...access };
  return undefined;
}
