/**
 * Minted user tokens (the userId path) shared by every instance: a token minted on one is used
 * by the others until it expires, or until Circle refuses it, when it is dropped for everyone.
 * The key is a keyed hash of the user id; the value is `<keyed hash of the token>.<sealed entry>`:
 * the hash lets a delete compare "is it still the token Circle refused?" inside Redis without
 * the token being there, the entry (token, encryption key, expiry) is sealed under a key only the
 * gateway derives. It expires in Redis when it stops being used (the TTL and the token's own
 * `exp` less a margin, from the local cache's settings). While Redis is down, the process's own
 * cache answers. A refresh by user id reads and writes its entry in its own calls before and after
 * Circle (./redis-refresh-coalescer.ts), through `entries`.
 */
import type { Redis } from 'ioredis';
import type { MintedToken, MintedTokenCache, UserTokenCache } from '../refresh/user-token-cache.js';
import { type RedisHealth, withRedis } from './redis-health.js';
import { keyNames } from './redis-scripts.js';
import { open, type SecretBox, seal } from './secret-box.js';

// Deletes KEYS[1] only while it still holds the token whose hash is ARGV[1].
const DELETE_IF_SAME = `
local value = redis.call('GET', KEYS[1])
if value and string.sub(value, 1, #ARGV[1] + 1) == ARGV[1] .. '.' then
  return redis.call('DEL', KEYS[1])
end
return 0
`;

type WithDelete = Redis & { tokenCacheDeleteIfSame(key: string, hash: string): Promise<number> };

export interface RedisTokenCacheOptions {
  redis: Redis;
  health: RedisHealth;
  box: SecretBox;
  prefix: string;
  /** The process's own cache: its TTL and margin apply, and it answers while Redis is down. */
  local: UserTokenCache;
  now?: () => number;
}

/** A minted token as Redis keeps it: its key, its value, and for how long. */
export interface MintEntry {
  key: string;
  value: string;
  ms: number;
}

export interface RedisTokenCache extends MintedTokenCache {
  /** The entries' names and values, for the refresh's own calls before and after Circle. */
  readonly entries: {
    key(userId: string): string;
    /** A value read at `key`: the entry, or undefined (absent, does not open, expired). */
    read(key: string, value: string | null): MintedToken | undefined;
    /** What `set` would write; undefined: not worth keeping (about to expire). */
    write(
      userId: string,
      userToken: string,
      encryptionKey: string | undefined,
      exp: number | undefined,
    ): MintEntry | undefined;
  };
}

export function createRedisTokenCache(options: RedisTokenCacheOptions): RedisTokenCache {
  const { health, box, prefix, local } = options;
  const now = options.now ?? Date.now;
  const redis = options.redis as WithDelete;
  if (typeof redis.tokenCacheDeleteIfSame !== 'function') {
    redis.defineCommand('tokenCacheDeleteIfSame', { numberOfKeys: 1, lua: DELETE_IF_SAME });
  }
  const keyOf = keyNames(box, prefix).mint;
  const hashOf = (userToken: string) => box.index(`token:${userToken}`);
  const entries: RedisTokenCache['entries'] = {
    key: keyOf,
    read(key, value) {
      if (value === null) return undefined;
      const json = open(box.mintKey, value.slice(value.indexOf('.') + 1), key);
      if (json === undefined) return undefined;
      const entry = JSON.parse(json) as MintedToken;
      return entry.expiresAt > now() ? entry : undefined;
    },
    write(userId, userToken, encryptionKey, exp) {
      const expiresAt = local.expiryFor(exp);
      if (expiresAt === undefined) return undefined;
      const key = keyOf(userId);
      const entry: MintedToken = { userToken, encryptionKey, expiresAt };
      const value = `${hashOf(userToken)}.${seal(box.mintKey, JSON.stringify(entry), key)}`;
      return { key, value, ms: Math.max(1, expiresAt - now()) };
    },
  };

  return {
    entries,
    get(userId) {
      return withRedis(
        health,
        'token_cache',
        async (): Promise<MintedToken | undefined> => {
          const key = keyOf(userId);
          return entries.read(key, await redis.get(key));
        },
        () => local.get(userId),
      );
    },
    async set(userId, userToken, encryptionKey, exp) {
      const entry = entries.write(userId, userToken, encryptionKey, exp);
      if (entry === undefined) return;
      await withRedis(
        health,
        'token_cache',
        async () => {
          await redis.set(entry.key, entry.value, 'PX', entry.ms);
        },
        () => local.set(userId, userToken, encryptionKey, exp),
      );
    },
    async delete(userId, userToken) {
      // Also here: an entry kept during an outage must not outlive Circle's refusal either.
      local.delete(userId, userToken);
      await withRedis(
        health,
        'token_cache',
        async () => {
          const key = keyOf(userId);
          if (userToken === undefined) await redis.del(key);
          else await redis.tokenCacheDeleteIfSame(key, hashOf(userToken));
        },
        () => undefined,
      );
    },
  };
}
