/**
 * Minted user tokens, kept across requests: bounded (least recently used out first) and expiring
 * before the token does. The official SDK keeps them 50 minutes, unbounded, and never drops a
 * token Circle has rejected; this cache does all three.
 */

import { USER_TOKEN_CACHE_DEFAULTS } from './defaults.js';

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
  private readonly entries = new Map<string, Entry>();
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
  }

  get size(): number {
    return this.entries.size;
  }

  get(userId: string): Entry | undefined {
    const entry = this.entries.get(userId);
    if (!entry) return undefined;
    if (entry.expiresAt <= this.now()) {
      this.entries.delete(userId);
      return undefined;
    }
    // Re-insert to mark it most recently used: Map keeps insertion order.
    this.entries.delete(userId);
    this.entries.set(userId, entry);
    return entry;
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
    this.entries.delete(userId);
    this.entries.set(userId, { userToken, encryptionKey, expiresAt });
    while (this.entries.size > this.maxEntries) {
      const oldest = this.entries.keys().next().value as string;
      this.entries.delete(oldest);
    }
  }

  /** Drops a token only if it is still the one given: a newer mint must not be thrown away. */
  delete(userId: string, userToken?: string): void {
    const entry = this.entries.get(userId);
    if (entry && (userToken === undefined || entry.userToken === userToken)) {
      this.entries.delete(userId);
    }
  }
}
