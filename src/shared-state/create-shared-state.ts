/**
 * The state every instance and worker shares through Redis (one node, Sentinel or Cluster:
 * ./connect.ts): the rate-limit buckets,
 * the minted-token cache and the merging of identical refreshes. The circuit breaker stays per
 * process on purpose: each instance judges Circle by its own calls (docs/fleet.md).
 *
 * Every Redis call has a short deadline and no offline queue: while Redis is unreachable a call
 * fails at once instead of waiting for a reconnect, and each store answers from its own memory
 * (src/shared-state/redis-health.ts). ioredis reconnects by itself; what it does not notice (a
 * connection that opens and never answers, or answers nothing but timeouts) is cut here, so every
 * way Redis fails is bounded by the deadline and heals when Redis does.
 */
import type { Redis } from 'ioredis';
import type { Registry } from 'prom-client';
import type { Logger } from '../observability/logger.js';
import type { MintedTokenCache, UserTokenCache } from '../refresh/user-token-cache.js';
import type { RefreshCoalescer } from '../refresh/user-token-service.js';
import type { RateLimitStore } from '../security/rate-limit.js';
import { createMemoryRateLimitStore } from '../security/rate-limit.js';
import {
  connectRedis,
  credentialSettingsOf,
  type RedisClient,
  type RedisShape,
} from './connect.js';
import {
  createRedisHealth,
  type RedisHealth,
  type RedisStatus,
  RedisTimeoutError,
} from './redis-health.js';
import { createRedisRateLimitStore } from './redis-rate-limit-store.js';
import { createRedisRefreshCoalescer } from './redis-refresh-coalescer.js';
import { createRedisTokenCache } from './redis-token-cache.js';
import { createSecretBox } from './secret-box.js';

/** Defaults of createSharedState's options, and of REDIS_TIMEOUT_MS and REDIS_KEY_PREFIX. */
export const SHARED_STATE_DEFAULTS = { timeoutMs: 250, prefix: 'cwg:' } as const;

/** Which Redis (a URL, Sentinel or Cluster: ./connect.ts), and how the state lives in it. */
export type SharedStateOptions = RedisShape & SharedStateSettings;

export interface SharedStateSettings {
  /**
   * The secret every key is derived from: the Circle API key, which every instance has and
   * Redis never sees.
   */
  secret: string;
  /**
   * Deadline of one Redis call, of start-up's wait for Redis, and of opening a connection.
   * @default 250
   */
  timeoutMs?: number;
  /**
   * Prefix of every key and channel (several gateways on one Redis keep apart by it).
   * @default 'cwg:'
   */
  prefix?: string;
  /** This process's minted-token cache: its settings apply, and it answers while Redis is down. */
  localTokenCache: UserTokenCache;
  logger?: Logger | undefined;
  /** Where `gateway_redis_up` and `gateway_redis_fallbacks_total` go. */
  registry?: Registry | undefined;
}

export interface SharedState {
  rateLimitStore: RateLimitStore;
  userTokenCache: MintedTokenCache;
  coalescer: RefreshCoalescer;
  /** For /ready: up, or down since when and why (the instance stays ready either way). */
  status(): RedisStatus;
  close(): Promise<void>;
}

/**
 * Opens a connection a handshake never finishes on (a Redis that accepted and hangs) again after
 * `ms`; ioredis's own connect timeout ends when the socket opens.
 */
function guardHandshake(client: RedisClient, ms: number, onHung: () => void): void {
  let timer: NodeJS.Timeout | undefined;
  const clear = () => clearTimeout(timer);
  client.on('connect', () => {
    clear();
    timer = setTimeout(() => {
      if (client.status !== 'connect') return;
      onHung();
      client.disconnect(true);
    }, ms);
    timer.unref();
  });
  for (const settled of ['ready', 'close', 'end']) client.on(settled, clear);
}

/** Connects, waiting at most `timeoutMs`: the stores fall back until Redis answers. */
export async function createSharedState(options: SharedStateOptions): Promise<SharedState> {
  const timeoutMs = options.timeoutMs ?? SHARED_STATE_DEFAULTS.timeoutMs;
  const prefix = options.prefix ?? SHARED_STATE_DEFAULTS.prefix;
  const { redis: client, subscriber: subscriberClient } = connectRedis(options, timeoutMs);
  // A half-open connection stays `ready` while every command times out: a new one cures it.
  const reconnect = () => {
    client.disconnect(true);
    subscriberClient.disconnect(true);
  };
  const health: RedisHealth = createRedisHealth({
    logger: options.logger,
    registry: options.registry,
    onStalled: reconnect,
    credentialSettings: credentialSettingsOf(options),
  });
  const hung = () =>
    health.disconnected(new RedisTimeoutError('Redis accepted the connection and did not answer'));
  guardHandshake(client, Math.max(timeoutMs, 1_000), hung);
  guardHandshake(subscriberClient, Math.max(timeoutMs, 1_000), () => {});
  // Every error ioredis emits is about the connection (refused, reset, credentials, garbage):
  // Redis is down, for the reason the error gives. Commands' own errors reach the stores.
  client.on('error', (error: unknown) => health.disconnected(error));
  subscriberClient.on('error', () => {});
  // A connection that finished its handshake is Redis back, without waiting for a probe.
  client.on('ready', () => health.succeeded());
  // Cluster answers the same commands and scripts as one node (a script's keys share a slot).
  const redis = client as Redis;
  const subscriber = subscriberClient as Redis;
  const box = createSecretBox(options.secret);
  const connecting = Promise.all([client.connect(), subscriberClient.connect()]);
  let deadline: NodeJS.Timeout | undefined;
  const failure = await Promise.race([
    connecting.then(
      () => undefined,
      (error: unknown) => error,
    ),
    new Promise<RedisTimeoutError>((resolve) => {
      deadline = setTimeout(
        () => resolve(new RedisTimeoutError(`Redis did not answer within ${timeoutMs} ms`)),
        timeoutMs,
      );
    }),
  ]);
  clearTimeout(deadline);
  // Past the deadline, a reason found meanwhile (refused credentials, garbage) says more.
  const knownAlready = failure instanceof RedisTimeoutError && health.status().state === 'down';
  if (failure && !knownAlready) health.disconnected(failure);
  // A lost connection is seen at once, so /ready says so before a request has had to fall back.
  const onClose = () => health.disconnected();
  redis.on('close', onClose);
  // While down, Redis is tried once a second even without traffic: /ready then tells the truth
  // on an idle instance, and a half-open connection's timeouts add up to a reconnect.
  const probe = setInterval(() => {
    if (health.status().state === 'up' || !health.usable()) return;
    redis.ping().then(
      () => health.succeeded(),
      (error: unknown) => health.failed(undefined, error),
    );
  }, 1_000);
  probe.unref();

  // One fallback for every bucket: a refresh's are taken in its own call (the coalescer's).
  const memory = createMemoryRateLimitStore();
  const tokenCache = createRedisTokenCache({
    redis,
    health,
    box,
    prefix,
    local: options.localTokenCache,
  });
  const coalescer = createRedisRefreshCoalescer({
    redis,
    subscriber,
    health,
    box,
    prefix,
    tokenCache,
    memory,
  });
  return {
    rateLimitStore: createRedisRateLimitStore({ redis, health, box, prefix, memory }),
    userTokenCache: tokenCache,
    coalescer,
    status: health.status,
    async close() {
      clearInterval(probe);
      redis.off('close', onClose);
      await coalescer.close();
      // QUIT fails at once while disconnected (no offline queue); the subscriber just goes.
      await redis.quit().catch(() => {});
      redis.disconnect();
      subscriber.disconnect();
    },
  };
}
