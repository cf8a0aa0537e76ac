/**
 * Minted user tokens, kept across requests: bounded (least recently used out first) and expiring
 * before the token does. The official SDK keeps them 50 minutes, unbounded, and never drops a
 * token Circle has rejected; this cache does all three.
 *
 * The bound, the recency order and the per-entry expiry are `lru-cache`'s. Kept here: when an
 * entry expires (the earlier of the TTL and the JWT's `exp` less a margin, decided at the mint),
 * and the delete that drops a token only while it is still the one Circle rejected.
 */
import { LRUCache } from 'lru-cache';

/** The cache's defaults, written once: USER_TOKEN_CACHE_* (./settings.ts) show the same values. */
export const USER_TOKEN_CACHE_DEFAULTS = {
  maxEntries: 10_000,
  /** 50 minutes: Circle's tokens live 60. */
  ttlMs: 50 * 60_000,
  expiryMarginMs: 60_000,
} as const;

export interface UserTokenCacheOptions {
  /**
   * Most user ids kept; the least recently used goes first.
   * @default 10000
   */
  maxEntries?: number;
  /**
   * Longest an entry is used, from the mint. Circle's tokens live 60 minutes.
   * @default 3_000_000 (50 minutes)
   */
  ttlMs?: number;
  /**
   * An entry is dropped this long before the token's own `exp`, so no call goes out with a token
   * about to expire in flight.
   * @default 60_000
   */
  expiryMarginMs?: number;
  now?: () => number;
}

export interface MintedToken {
  userToken: string;
  encryptionKey: string | undefined;
  /** When the entry stops being used (ms since the epoch). */
  expiresAt: number;
}

/**
 * Where minted tokens are kept: this process's `UserTokenCache`, or a store shared by every
 * instance (src/shared-state/redis-token-cache.ts), whose calls are asynchronous.
 */
export interface MintedTokenCache {
  get(userId: string): MintedToken | undefined | Promise<MintedToken | undefined>;
  set(
    userId: string,
    userToken: string,
    encryptionKey: string | undefined,
    exp?: number,
  ): void | Promise<void>;
  /** Drops the entry only if it still holds `userToken` (when given). */
  delete(userId: string, userToken?: string): void | Promise<void>;
}

type Entry = MintedToken;

export class UserTokenCache implements MintedTokenCache {
  private readonly entries: LRUCache<string, Entry>;
  private readonly maxEntries: number;
  private readonly ttlMs: number;
  private readonly marginMs: number;
  private readonly now: () => number;

  constructor(options: UserTokenCacheOptions = {}) {
    this.maxEntries = options.maxEntries ?? USER_TOKEN_CACHE_DEFAULTS.maxEntries;
    this.ttlMs = options.ttlMs ?? USER_TOKEN_CACHE_DEFAULTS.ttlMs;
    this.marginMs = options.expiryMarginMs ?? USER_TOKEN_CACHE_DEFAULTS.expiryMarginMs;
    this.now = options.now ?? Date.now;
    if (!Number.isInteger(this.maxEntries) || this.maxEntries < 0) {
      throw new RangeError('userTokenCache.maxEntries must be an integer >= 0');
    }
    if (!Number.isFinite(this.ttlMs) || this.ttlMs < 0 || this.ttlMs > 50 * 60_000) {
      throw new RangeError('userTokenCache.ttlMs must be between 0 and 3000000 (50 minutes)');
    }
    const now = this.now;
    this.entries = new LRUCache<string, Entry>({
      // lru-cache has no "keep nothing"; set() keeps nothing itself when maxEntries is 0.
      max: Math.max(1, this.maxEntries),
      // Expiry on the cache's clock (injectable), read afresh on every check: a cached reading
      // (the default 1 ms resolution) would serve a token past its expiry under a test clock.
      perf: { now },
      ttlResolution: 0,
      updateAgeOnGet: false,
      allowStale: false,
    });
  }

  get size(): number {
    return this.entries.size;
  }

  get(userId: string): Entry | undefined {
    return this.entries.get(userId);
  }

  /** When a token minted now with this `exp` stops being used; undefined: not worth keeping. */
  expiryFor(exp: number | undefined): number | undefined {
    const now = this.now();
    let expiresAt = now + this.ttlMs;
    if (exp !== undefined) expiresAt = Math.min(expiresAt, exp - this.marginMs);
    return expiresAt > now ? expiresAt : undefined;
  }

  /** Keeps a freshly minted token until the earlier of the TTL and its own `exp` less a margin. */
  set(userId: string, userToken: string, encryptionKey: string | undefined, exp?: number): void {
    if (this.maxEntries === 0) return;
    const expiresAt = this.expiryFor(exp);
    if (expiresAt === undefined) return;
    const now = this.now();
    // lru-cache drops an entry once it is older than `ttl`; this cache's promise is "not from
    // `expiresAt` on". Starting the age 1 ms earlier makes the two agree on a millisecond clock.
    this.entries.set(
      userId,
      { userToken, encryptionKey, expiresAt },
      { ttl: expiresAt - now, start: now - 1 },
    );
  }

  /** Drops a token only if it is still the one given: a newer mint must not be thrown away. */
  delete(userId: string, userToken?: string): void {
    const entry = this.entries.peek(userId);
    if (userToken === undefined || entry?.userToken === userToken) {
      this.entries.delete(userId);
    }
  }
}
