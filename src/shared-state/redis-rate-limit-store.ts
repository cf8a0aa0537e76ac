/**
 * The gateway's token buckets in Redis, one hash per key, taken by one Lua script so that a take
 * is atomic across every instance: read tokens and time, refill, take, write back, expire when
 * full again. The same semantics as the in-memory store (src/security/rate-limit.ts), which also
 * answers while Redis is down. rate-limiter-flexible was not used: its limiters are fixed
 * windows (and a "bursty" pair of them), not a refilling bucket with a burst.
 *
 * The clock is Redis's own (TIME), not the caller's `now`: instances whose clocks disagree would
 * otherwise refill one bucket at different rates.
 */
import type { Redis } from 'ioredis';
import {
  createMemoryRateLimitStore,
  type RateLimitDecision,
  type RateLimitStore,
} from '../security/rate-limit.js';
import { type RedisHealth, withRedis } from './redis-health.js';
import type { SecretBox } from './secret-box.js';

// Returns 0 when allowed, else the milliseconds until `cost` tokens are there again.
const TAKE = `
local cost = tonumber(ARGV[1])
local rate = tonumber(ARGV[2])
local burst = tonumber(ARGV[3])
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
local saved = redis.call('HMGET', KEYS[1], 't', 'a')
local tokens = burst
if saved[1] then
  tokens = math.min(burst, tonumber(saved[1]) + math.max(0, now - tonumber(saved[2])) / 1000 * rate)
end
local allowed = tokens >= cost
local left = tokens
if allowed then left = tokens - cost end
redis.call('HSET', KEYS[1], 't', tostring(left), 'a', tostring(now))
redis.call('PEXPIRE', KEYS[1], math.ceil((burst - left) / rate * 1000) + 1)
if allowed then return 0 end
return math.ceil((cost - tokens) / rate * 1000)
`;

type WithTake = Redis & {
  rateLimitTake(key: string, cost: number, rate: number, burst: number): Promise<number>;
};

export interface RedisRateLimitStoreOptions {
  redis: Redis;
  health: RedisHealth;
  box: SecretBox;
  /** Prefix of every key. */
  prefix: string;
}

/** A RateLimitStore shared through Redis, with a per-process fallback. */
export function createRedisRateLimitStore(options: RedisRateLimitStoreOptions): RateLimitStore {
  const { health, box, prefix } = options;
  const redis = options.redis as WithTake;
  if (typeof redis.rateLimitTake !== 'function') {
    redis.defineCommand('rateLimitTake', { numberOfKeys: 1, lua: TAKE });
  }
  const memory = createMemoryRateLimitStore();
  return {
    take(key, cost, rate, burst, now): Promise<RateLimitDecision> {
      return withRedis(
        health,
        'rate_limit',
        async () => {
          const retryAfterMs = await redis.rateLimitTake(
            `${prefix}rl:${box.index(key)}`,
            cost,
            rate,
            burst,
          );
          return { allowed: retryAfterMs === 0, retryAfterMs };
        },
        () => memory.take(key, cost, rate, burst, now),
      );
    },
  };
}
