/**
 * Where the rate limits keep their token buckets: the interface a store meets (a shared one is
 * src/shared-state/redis-rate-limit-store.ts) and the bounded in-memory store of one process.
 */
import type { BucketTake, BucketVerdict } from '../refresh/shared-refresh.js';

export interface RateLimitDecision {
  allowed: boolean;
  /** When `allowed` is false: how long until `cost` tokens are there again. */
  retryAfterMs: number;
}

/**
 * Token buckets by key. The in-memory store below keeps one process's view: with several
 * gateway instances each enforces its own limit, so a client gets N times the budget behind N
 * instances. A multi-instance deployment plugs in a shared store here, e.g. Redis running the
 * bucket as one Lua script (read tokens and timestamp, refill, take, write back with an expiry of
 * burst/rate seconds) so that take is atomic across instances.
 */
export interface RateLimitStore {
  take(
    key: string,
    cost: number,
    rate: number,
    burst: number,
    now: number,
  ): RateLimitDecision | Promise<RateLimitDecision>;
  /**
   * Takes every bucket or none: in order, the first that cannot give its `cost` refuses and no
   * bucket is charged. Without it the takes go one by one, each charged as it is allowed.
   */
  takeAll?(takes: readonly BucketTake[], now: number): BucketVerdict | Promise<BucketVerdict>;
  /**
   * Every instance shares it (Redis): the front door then keeps a per-process bucket per address
   * (no round trip before the body is read) and the shared address bucket is charged with the
   * work that follows (docs/fleet.md).
   */
  readonly shared?: boolean;
}

export type { BucketTake, BucketVerdict };

export interface MemoryRateLimitStoreOptions {
  /**
   * Buckets kept. Past it, buckets that have refilled (idle: the same as no bucket) go first, then
   * the least recently used (which hands that client a fresh burst: the bound wins over
   * precision under a flood of distinct keys).
   * @default 100000
   */
  maxKeys?: number;
}

interface Bucket {
  tokens: number;
  at: number;
  /** When the bucket is full again, if left alone. */
  fullAt: number;
}

export interface MemoryRateLimitStore extends RateLimitStore {
  take(key: string, cost: number, rate: number, burst: number, now: number): RateLimitDecision;
  takeAll(takes: readonly BucketTake[], now: number): BucketVerdict;
  /** Buckets held now. */
  readonly size: number;
}

/** A bounded in-memory token-bucket store (one process). */
export function createMemoryRateLimitStore(
  options: MemoryRateLimitStoreOptions = {},
): MemoryRateLimitStore {
  const maxKeys = options.maxKeys ?? 100_000;
  if (!Number.isSafeInteger(maxKeys) || maxKeys < 1) {
    throw new RangeError('maxKeys must be a whole number >= 1');
  }
  const buckets = new Map<string, Bucket>();
  const evict = (now: number) => {
    for (const [key, bucket] of buckets) {
      if (bucket.fullAt <= now) buckets.delete(key);
    }
    const target = Math.floor(maxKeys * 0.9);
    for (const key of buckets.keys()) {
      if (buckets.size <= target) break;
      buckets.delete(key);
    }
  };
  const tokensOf = (key: string, rate: number, burst: number, now: number) => {
    const previous = buckets.get(key);
    const elapsed = previous ? Math.max(0, now - previous.at) : 0;
    return previous ? Math.min(burst, previous.tokens + (elapsed / 1000) * rate) : burst;
  };
  const keep = (key: string, left: number, rate: number, burst: number, now: number) => {
    // Delete and set: the Map's order is then least recently used first.
    buckets.delete(key);
    buckets.set(key, { tokens: left, at: now, fullAt: now + ((burst - left) / rate) * 1000 });
    if (buckets.size > maxKeys) evict(now);
  };
  return {
    take(key, cost, rate, burst, now) {
      const tokens = tokensOf(key, rate, burst, now);
      const allowed = tokens >= cost;
      keep(key, allowed ? tokens - cost : tokens, rate, burst, now);
      return {
        allowed,
        retryAfterMs: allowed ? 0 : Math.ceil(((cost - tokens) / rate) * 1000),
      };
    },
    takeAll(takes, now) {
      const tokens = takes.map((t) => tokensOf(t.key, t.rate, t.burst, now));
      const refused = takes.findIndex((t, i) => (tokens[i] as number) < t.cost);
      if (refused >= 0) {
        const t = takes[refused] as BucketTake;
        return {
          allowed: false,
          refused,
          retryAfterMs: Math.ceil(((t.cost - (tokens[refused] as number)) / t.rate) * 1000),
        };
      }
      for (const [i, t] of takes.entries()) {
        keep(t.key, (tokens[i] as number) - t.cost, t.rate, t.burst, now);
      }
      return { allowed: true, retryAfterMs: 0 };
    },
    get size() {
      return buckets.size;
    },
  };
}

/** For a store without takeAll: one take after another, each charged as it is allowed. */
export function takeInTurn(
  store: RateLimitStore,
  takes: readonly BucketTake[],
  now: number,
  from = 0,
): BucketVerdict | Promise<BucketVerdict> {
  for (let i = from; i < takes.length; i += 1) {
    const t = takes[i] as BucketTake;
    const decision = store.take(t.key, t.cost, t.rate, t.burst, now);
    const next = (settled: RateLimitDecision) =>
      settled.allowed
        ? takeInTurn(store, takes, now, i + 1)
        : { allowed: false, refused: i, retryAfterMs: settled.retryAfterMs };
    if (decision instanceof Promise) return decision.then(next);
    if (!decision.allowed) return next(decision);
  }
  return { allowed: true, retryAfterMs: 0 };
}
