/**
 * The refresh use case's settings: the minted-token cache of the userId path, and its mapping to
 * the cache's options. Defaults are the cache's own (./user-token-cache.ts).
 */

import { integer, setting, type ValuesOf } from '../config/setting.js';
import { USER_TOKEN_CACHE_DEFAULTS, type UserTokenCacheOptions } from './user-token-cache.js';

export const REFRESH_SETTINGS = [
  setting({
    key: 'userTokenCacheMaxEntries',
    env: 'USER_TOKEN_CACHE_MAX_ENTRIES',
    default: USER_TOKEN_CACHE_DEFAULTS.maxEntries,
    description: 'Minted user tokens kept (userId path); 0 = no cache.',
    parse: integer(0, 10_000_000),
  }),
  setting({
    key: 'userTokenCacheTtlMs',
    env: 'USER_TOKEN_CACHE_TTL_MS',
    default: USER_TOKEN_CACHE_DEFAULTS.ttlMs,
    description: 'Longest a minted token is reused (at most 50 minutes).',
    parse: integer(0, USER_TOKEN_CACHE_DEFAULTS.ttlMs),
  }),
] as const;

export type RefreshConfig = ValuesOf<typeof REFRESH_SETTINGS>;

export const userTokenCacheOptionsFromConfig = (config: RefreshConfig): UserTokenCacheOptions => ({
  maxEntries: config.userTokenCacheMaxEntries,
  ttlMs: config.userTokenCacheTtlMs,
});
