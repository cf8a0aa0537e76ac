/**
 * A refresh's one call to Redis before Circle (BEFORE in ./redis-scripts.ts): the buckets its
 * checks charge (all or none), the coalescing lease, and on the userId path the minted token.
 * With Redis down or failing, the buckets come from this process's memory and the refresh goes
 * alone, each store's fallback counted.
 */
import { randomUUID } from 'node:crypto';
import type { MintedToken } from '../refresh/user-token-cache.js';
import type { BucketTake, BucketVerdict } from '../refresh/user-token-service.js';
import type { MemoryRateLimitStore } from '../security/rate-limit.js';
import type { RedisHealth, SharedStore } from './redis-health.js';
import {
  type BeforeReply,
  beforeReply,
  bucketArgs,
  type KeyNames,
  type ScriptedRedis,
} from './redis-scripts.js';
import type { RedisTokenCache } from './redis-token-cache.js';
import { type SecretBox, seal } from './secret-box.js';

/** One refresh as Redis knows it: its lease's key and id, the key its result is sealed under. */
export interface Ref {
  key: string;
  id: string;
  resultKey: Buffer;
  /** The user id whose minted token the call reads (userId path, shared cache), if any. */
  userId: string | undefined;
}

/** What one call before Circle found: `current` null when this caller took the lease. */
export interface Found {
  current: string | null;
  owner: string;
  minted: { token: MintedToken | undefined } | undefined;
}

/** The call's outcome: refused by a bucket, found, or Redis failed (refresh alone). */
export type Outcome = { refused: BucketVerdict } | { found: Found } | { fallback: true };

export interface PreCircleCallOptions {
  redis: ScriptedRedis;
  health: RedisHealth;
  box: SecretBox;
  names: KeyNames;
  tokenCache: RedisTokenCache | undefined;
  memory: MemoryRateLimitStore;
  leaseMs: number;
  now: () => number;
}

export function createPreCircleCall(options: PreCircleCallOptions) {
  const { redis, health, names, tokenCache, memory, leaseMs, now } = options;
  const instance = randomUUID();
  let holds = 0;
  /**
   * The one call before Circle: the buckets (all or none), then the lease (when `lease`), then
   * the minted token. Redis down or failing: the buckets from memory, and the refresh alone.
   */
  return async function before(
    ref: Ref,
    takes: readonly BucketTake[],
    lease: { idempotencyKey: string; waited: boolean } | undefined,
  ): Promise<Outcome> {
    const stores: SharedStore[] = [
      ...(takes.length > 0 ? (['rate_limit'] as const) : []),
      ...(lease ? (['coalescing'] as const) : []),
      ...(lease && ref.userId !== undefined ? (['token_cache'] as const) : []),
    ];
    const fallback = (): Outcome => {
      const verdict = memory.takeAll(takes, now());
      return verdict.allowed ? { fallback: true } : { refused: verdict };
    };
    if (!health.usable()) {
      for (const store of stores) health.skipped(store);
      return fallback();
    }
    holds += 1;
    const owner = `p.${instance}:${holds}.`;
    const mintKey =
      lease && ref.userId !== undefined ? tokenCache?.entries.key(ref.userId) : undefined;
    let reply: BeforeReply;
    try {
      reply = beforeReply(
        await redis.sharedBefore(
          takes.length + (lease ? 2 : 0) + (mintKey ? 1 : 0),
          ...takes.map(names.bucket),
          ...(lease ? [ref.key, `${ref.key}:w`] : []),
          ...(mintKey ? [mintKey] : []),
          ...bucketArgs(takes),
          ...(lease
            ? [
                '1',
                `${owner}${seal(ref.resultKey, lease.idempotencyKey, ref.key)}`,
                leaseMs,
                // A finished result is only for callers that waited for it (see BEFORE).
                lease.waited ? '0' : '1',
              ]
            : ['0']),
          mintKey ? '1' : '0',
        ),
      );
      health.succeeded();
    } catch (error) {
      const [first, ...others] = stores;
      if (first) health.failed(first, error);
      for (const store of others) health.skipped(store);
      return fallback();
    }
    const [refused, current, minted] = reply;
    if (refused !== 0) {
      return {
        refused: { allowed: false, refused: refused - 1, retryAfterMs: Number(current) },
      };
    }
    return {
      found: {
        current: lease ? ((current as string | null) ?? null) : '',
        owner,
        minted:
          mintKey && tokenCache
            ? { token: tokenCache.entries.read(mintKey, minted ?? null) }
            : undefined,
      },
    };
  };
}
