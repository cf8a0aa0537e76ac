/**
 * The gateway's token buckets in Redis, taken by one Lua script so that a take is atomic across
 * every instance: read tokens and time, refill, take, write back, expire when full again. The same
 * semantics as the in-memory store (src/security/rate-limit.ts), which also answers while Redis is
 * down. A refresh's buckets are not taken here but in its one call before Circle
 * (./redis-refresh-coalescer.ts), with the same script; this store serves the other takes.
 * rate-limiter-flexible was not used: its limiters are fixed windows (and a "bursty" pair of
 * them), not a refilling bucket with a burst.
 */
import type { Redis } from 'ioredis';
import type { BucketTake } from '../refresh/user-token-service.js';
import {
  createMemoryRateLimitStore,
  type MemoryRateLimitStore,
  type RateLimitStore,
} from '../security/rate-limit.js';
import { type RedisHealth, withRedis } from './redis-health.js';
import { beforeReply, bucketArgs, keyNames, withScripts } from './redis-scripts.js';
import type { SecretBox } from './secret-box.js';

export interface RedisRateLimitStoreOptions {
  redis: Redis;
  health: RedisHealth;
  box: SecretBox;
  /** Prefix of every key. */
  prefix: string;
  /** What answers while Redis is down (shared with the refresh's call, which falls back to it too). */
  memory?: MemoryRateLimitStore;
}

/** A RateLimitStore shared through Redis, with a per-process fallback. */
export function createRedisRateLimitStore(options: RedisRateLimitStoreOptions): RateLimitStore {
  const { health } = options;
  const redis = withScripts(options.redis);
  const names = keyNames(options.box, options.prefix);
  const memory = options.memory ?? createMemoryRateLimitStore();
  const takeAll = async (takes: readonly BucketTake[]) => {
    const [refused, retryAfterMs] = beforeReply(
      await redis.sharedBefore(
        takes.length,
        ...takes.map(names.bucket),
        ...bucketArgs(takes),
        '0',
        '0',
      ),
    );
    return refused === 0
      ? { allowed: true, retryAfterMs: 0 }
      : { allowed: false, refused: refused - 1, retryAfterMs: Number(retryAfterMs) };
  };
  return {
    shared: true,
    take(key, cost, rate, burst, now) {
      return withRedis(
        health,
        'rate_limit',
        () => takeAll([{ key, tag: key, cost, rate, burst }]),
        () => memory.take(key, cost, rate, burst, now),
      );
    },
    takeAll(takes, now) {
      return withRedis(
        health,
        'rate_limit',
        () => takeAll(takes),
        () => memory.takeAll(takes, now),
      );
    },
  };
}
