/**
 * The state every instance and worker shares through Redis (REDIS_URL): the rate-limit buckets,
 * the minted-token cache and the merging of identical refreshes. The circuit breaker stays per
 * process on purpose: each instance judges Circle by its own calls (docs/fleet.md).
 *
 * Every Redis call has a short deadline and no offline queue: while Redis is unreachable a call
 * fails at once instead of waiting for a reconnect, and each store answers from its own memory
 * (src/shared-state/redis-health.ts). ioredis reconnects by itself.
 */
import { Redis } from 'ioredis';
import type { Registry } from 'prom-client';
import type { Logger } from '../observability/logger.js';
import type { MintedTokenCache, UserTokenCache } from '../refresh/user-token-cache.js';
import type { RefreshCoalescer } from '../refresh/user-token-service.js';
import type { RateLimitStore } from '../security/rate-limit.js';
import { createMemoryRateLimitStore } from '../security/rate-limit.js';
import { createRedisHealth, type RedisStatus } from './redis-health.js';
import { createRedisRateLimitStore } from './redis-rate-limit-store.js';
import { createRedisRefreshCoalescer } from './redis-refresh-coalescer.js';
import { createRedisTokenCache } from './redis-token-cache.js';
import { createSecretBox } from './secret-box.js';

/** Defaults of createSharedState's options, and of REDIS_TIMEOUT_MS and REDIS_KEY_PREFIX. */
export const SHARED_STATE_DEFAULTS = { timeoutMs: 250, prefix: 'cwg:' } as const;

export interface SharedStateOptions {
  /** `redis://` or `rediss://` (TLS), with password and database in the URL if needed. */
  url: string;
  /**
   * The secret every key is derived from: the Circle API key, which every instance has and
   * Redis never sees.
   */
  secret: string;
  /**
   * Deadline of one Redis call, and of connecting.
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
  /** For /ready: up, or down since when (the instance stays ready either way). */
  status(): RedisStatus;
  close(): Promise<void>;
}

/** Connects (waiting at most `timeoutMs`; the stores fall back until Redis answers). */
export async function createSharedState(options: SharedStateOptions): Promise<SharedState> {
  const timeoutMs = options.timeoutMs ?? SHARED_STATE_DEFAULTS.timeoutMs;
  const prefix = options.prefix ?? SHARED_STATE_DEFAULTS.prefix;
  const health = createRedisHealth({ logger: options.logger, registry: options.registry });
  const redis = new Redis(options.url, {
    lazyConnect: true,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    commandTimeout: timeoutMs,
    connectTimeout: Math.max(timeoutMs, 1_000),
    // Never gives up: the stores fall back meanwhile and heal when this reconnects.
    retryStrategy: (times) => Math.min(50 * 2 ** Math.min(times, 5), 1_000),
    // No auto-pipelining: measured, it cost more CPU per call than it saved at a gateway's
    // concurrency (a pipeline object per tick for one or two commands).
    enableAutoPipelining: false,
  });
  // Errors are seen (and logged once per outage) by the stores; without a listener ioredis would
  // print each reconnect failure to the console.
  redis.on('error', () => {});
  const subscriber = redis.duplicate({
    enableOfflineQueue: true,
    commandTimeout: undefined,
    enableAutoPipelining: false,
  });
  subscriber.on('error', () => {});
  const box = createSecretBox(options.secret);
  const started = await Promise.allSettled([redis.connect(), subscriber.connect()]);
  const failure = started.find((outcome) => outcome.status === 'rejected');
  if (failure) health.disconnected(failure.reason);
  // A lost connection is seen at once, so /ready says so before a request has had to fall back.
  const onClose = () => health.disconnected();
  redis.on('close', onClose);

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
      redis.off('close', onClose);
      await coalescer.close();
      // QUIT fails at once while disconnected (no offline queue); the subscriber just goes.
      await redis.quit().catch(() => {});
      redis.disconnect();
      subscriber.disconnect();
    },
  };
}
