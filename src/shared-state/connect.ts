/**
 * Which Redis the shared state talks to: one node (REDIS_URL), a primary found through Sentinel
 * (REDIS_SENTINELS), or a Cluster (REDIS_CLUSTER_NODES). Every shape gets the same policy: a short
 * deadline per command, no offline queue (a call to a Redis that is away fails at once and the
 * store answers from memory), reconnect forever with a capped backoff, and no auto-pipelining.
 * This is the only file that builds an ioredis client.
 */
import { Cluster, type ClusterNode, Redis, type RedisOptions } from 'ioredis';

export interface RedisHostPort {
  host: string;
  port: number;
}

/** Credentials and TLS of the data nodes (Sentinel and Cluster; a URL carries its own). */
export interface RedisNodeAccess {
  /** An ACL user; without it, `password` is the `default` user's. */
  username?: string | undefined;
  password?: string | undefined;
  /**
   * TLS to the data nodes (a private CA: `NODE_EXTRA_CA_CERTS`).
   * @default false
   */
  tls?: boolean | undefined;
}

/** One node: `redis://` or `rediss://` (TLS), with password and database in the URL if needed. */
export interface RedisUrlShape {
  url: string;
}

/** The primary of a Sentinel-monitored group, followed through failovers. */
export interface RedisSentinelShape extends RedisNodeAccess {
  sentinels: RedisHostPort[];
  /** The group's name, as in `sentinel monitor <name> …`. */
  name: string;
  /** The sentinels' own password (`requirepass` in sentinel.conf). */
  sentinelPassword?: string | undefined;
}

/** A Redis Cluster, from a few of its nodes (the rest are discovered). */
export interface RedisClusterShape extends RedisNodeAccess {
  clusterNodes: RedisHostPort[];
}

export type RedisShape = RedisUrlShape | RedisSentinelShape | RedisClusterShape;

/** Either client: Cluster answers the same commands (a script's keys must share a slot). */
export type RedisClient = Redis | Cluster;

export interface RedisConnections {
  /** For commands and scripts. */
  redis: RedisClient;
  /** For SUBSCRIBE (a subscribed connection runs no other command); it queues while away. */
  subscriber: RedisClient;
}

/** The settings an operator checks when Redis refuses the credentials (named, never quoted). */
export function credentialSettingsOf(shape: RedisShape): string[] {
  if ('url' in shape) return ['REDIS_URL'];
  const data = ['REDIS_USERNAME', 'REDIS_PASSWORD'];
  return 'sentinels' in shape ? [...data, 'REDIS_SENTINEL_PASSWORD'] : data;
}

/** ioredis's backoff for every shape: never gives up, the stores fall back meanwhile. */
const retryStrategy = (times: number) => Math.min(50 * 2 ** Math.min(times, 5), 1_000);

/** The two connections for `shape`, not yet connected (`connect()` them). */
export function connectRedis(shape: RedisShape, timeoutMs: number): RedisConnections {
  const perCommand = {
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    commandTimeout: timeoutMs,
    connectTimeout: Math.max(timeoutMs, 1_000),
    // A forced reconnect (a half-open connection) waits this long for the peer's FIN, then
    // destroys the socket: over a dead path that FIN never comes.
    disconnectTimeout: timeoutMs,
    retryStrategy,
    // No auto-pipelining: measured, it cost more CPU per call than it saved at a gateway's
    // concurrency (a pipeline object per tick for one or two commands).
    enableAutoPipelining: false,
  } satisfies RedisOptions;
  // The subscriber waits for its connection instead of failing: SUBSCRIBE is sent once, and
  // re-sent by ioredis after each reconnect.
  const forSubscriber = { enableOfflineQueue: true, commandTimeout: undefined };

  if ('url' in shape) {
    const redis = new Redis(shape.url, { ...perCommand, enableOfflineQueue: false });
    return { redis, subscriber: redis.duplicate(forSubscriber) };
  }

  const access = {
    username: shape.username,
    password: shape.password,
    ...(shape.tls ? { tls: {} } : {}),
  };
  if ('sentinels' in shape) {
    const options: RedisOptions = {
      ...perCommand,
      ...access,
      enableOfflineQueue: false,
      sentinels: shape.sentinels,
      name: shape.name,
      sentinelPassword: shape.sentinelPassword,
      enableTLSForSentinelMode: shape.tls === true,
      sentinelRetryStrategy: retryStrategy,
      // A sentinel that accepts and never answers would otherwise hold the connect for ever.
      sentinelCommandTimeout: timeoutMs,
      // A failover that leaves the old primary running turns it into a replica: writes then get
      // READONLY, and a reconnect asks the sentinels for the new primary.
      reconnectOnError: (error) => error.message.startsWith('READONLY'),
    };
    const redis = new Redis(options);
    return { redis, subscriber: new Redis({ ...options, ...forSubscriber }) };
  }

  const nodes: ClusterNode[] = shape.clusterNodes;
  const cluster = (enableOfflineQueue: boolean, commandTimeout: number | undefined) =>
    new Cluster(nodes, {
      lazyConnect: true,
      enableOfflineQueue,
      enableAutoPipelining: false,
      clusterRetryStrategy: retryStrategy,
      slotsRefreshTimeout: Math.max(timeoutMs, 1_000),
      redisOptions: { ...perCommand, ...access, commandTimeout },
    });
  return { redis: cluster(false, timeoutMs), subscriber: cluster(true, undefined) };
}
