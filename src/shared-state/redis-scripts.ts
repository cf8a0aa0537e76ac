/**
 * The Lua the shared stores run, and the names of the keys they touch. A refresh costs Redis one
 * call before Circle (BEFORE: every bucket, the coalescing lease, the minted token) and at most
 * one after it (AFTER: the result for the waiters, the token it minted), each one atomic script
 * (docs/fleet.md, "Commands per refresh").
 *
 * Key names are versioned (`:v2:`): an instance of an earlier version reads other names, never a
 * value in a shape it does not know. Each carries a Redis Cluster hash tag (`{…}`, a keyed hash)
 * naming what it belongs to: an address (its request bucket and its Circle budget), a device (its
 * bucket, and the lease of every refresh it sends), a user id (its minted token). One script's
 * keys of one tag share a slot; a refresh touches up to three tags (docs/fleet.md, "Redis
 * Cluster").
 */
import type { Redis } from 'ioredis';
import type { BucketTake } from '../refresh/user-token-service.js';
import { expectReply } from './redis-health.js';
import type { SecretBox } from './secret-box.js';

const VERSION = 'v2';

/**
 * KEYS: the buckets (ARGV[1] of them), then the lease and its waiting mark when ARGV asks for the
 * lease, then the minted token when it asks for it. ARGV: the number of buckets; cost, rate and
 * burst of each; '1' and the lease value, its ms and whether a finished result is too late for
 * this caller ('1'), or '0'; '1' to read the minted token, or '0'.
 *
 * Returns {i, ms} when bucket i is short (ms until it has its cost again): nothing is written, no
 * bucket, no lease. Else {0, lease, minted}: lease false when this caller took it, else the value
 * there (a holder's lease, or a result); minted false when there is none. A bucket is
 * "tokens:ms" on Redis's clock (TIME: instances whose clocks disagree would otherwise refill one
 * bucket at different rates), expiring when it is full again.
 */
export const BEFORE = `
local n = tonumber(ARGV[1])
if n > 0 then
  local time = redis.call('TIME')
  local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
  local left = {}
  for i = 1, n do
    local cost, rate, burst = tonumber(ARGV[3 * i - 1]), tonumber(ARGV[3 * i]), tonumber(ARGV[3 * i + 1])
    local tokens = burst
    local saved = redis.call('GET', KEYS[i])
    if saved then
      local sep = string.find(saved, ':', 1, true)
      local at = tonumber(string.sub(saved, sep + 1))
      tokens = math.min(burst, tonumber(string.sub(saved, 1, sep - 1)) + math.max(0, now - at) / 1000 * rate)
    end
    if tokens < cost then return {i, math.ceil((cost - tokens) / rate * 1000)} end
    left[i] = tokens - cost
  end
  for i = 1, n do
    local rate, burst = tonumber(ARGV[3 * i]), tonumber(ARGV[3 * i + 1])
    local ms = math.ceil((burst - left[i]) / rate * 1000) + 1
    redis.call('SET', KEYS[i], string.format('%.17g', left[i]) .. ':' .. now, 'PX', ms)
  end
end
local o, k = 3 * n + 2, n + 1
local lease = false
if ARGV[o] == '1' then
  local value = redis.call('GET', KEYS[k])
  if value and not (ARGV[o + 3] == '1' and string.sub(value, 1, 2) == 'd.') then
    if string.sub(value, 1, 2) == 'p.' then redis.call('SET', KEYS[k + 1], '1', 'PX', ARGV[o + 2]) end
    lease = value
  else
    redis.call('SET', KEYS[k], ARGV[o + 1], 'PX', ARGV[o + 2])
  end
  o, k = o + 4, k + 2
else
  o = o + 1
end
local minted = false
if ARGV[o] == '1' then minted = redis.call('GET', KEYS[k]) end
return {0, lease, minted}
`;

/**
 * KEYS: the lease, its waiting mark, and the minted token to keep (when there is one). ARGV: the
 * holder, the result, its ms, the channel and the refresh's id, then the minted value and its ms.
 * Replaces the lease with the result unless another holder took over, and wakes the waiters.
 */
export const AFTER = `
if KEYS[3] then redis.call('SET', KEYS[3], ARGV[6], 'PX', ARGV[7]) end
local value = redis.call('GET', KEYS[1])
if value and string.sub(value, 1, #ARGV[1]) ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
if redis.call('DEL', KEYS[2]) == 1 then redis.call('PUBLISH', ARGV[4], ARGV[5]) end
return 1
`;

/** Extends the lease while it is still this holder's. */
export const RENEW = `
local value = redis.call('GET', KEYS[1])
if value and string.sub(value, 1, #ARGV[1]) == ARGV[1] then
  return redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 0
`;

/** Drops the lease while it is still this holder's (its refresh was refused), and wakes the waiters. */
export const RELEASE = `
local value = redis.call('GET', KEYS[1])
if not value or string.sub(value, 1, #ARGV[1]) ~= ARGV[1] then return 0 end
redis.call('DEL', KEYS[1])
if redis.call('DEL', KEYS[2]) == 1 then redis.call('PUBLISH', ARGV[2], ARGV[3]) end
return 1
`;

/** The client with the scripts defined (ioredis: EVALSHA, loaded again on NOSCRIPT). */
/** BEFORE's answer: `[0, lease, minted]`, or `[bucket, retryAfterMs]` when a bucket refused. */
export type BeforeReply = [number, string | number | null, (string | null)?];

const isBeforeReply = (reply: unknown): reply is BeforeReply => {
  if (!Array.isArray(reply) || reply.length < 2 || reply.length > 3) return false;
  const [refused, second, minted] = reply as unknown[];
  if (!Number.isSafeInteger(refused) || (refused as number) < 0) return false;
  if (refused !== 0) return Number.isSafeInteger(second);
  return (
    (second === null || typeof second === 'string') &&
    (minted === undefined || minted === null || typeof minted === 'string')
  );
};

/**
 * BEFORE's answer checked for shape before use: anything else (a proxy answering `+OK`, a server
 * that is not Redis) is a protocol failure, which the stores treat as Redis failing.
 */
export const beforeReply = (reply: unknown): BeforeReply =>
  expectReply(reply, isBeforeReply, 'an array [integer, string or null, string or null]');

export type ScriptedRedis = Redis & {
  /** numKeys first: the keys vary with the refresh. Check the answer with `beforeReply`. */
  sharedBefore(...args: (string | number)[]): Promise<unknown>;
  sharedAfter(...args: (string | number)[]): Promise<number>;
  sharedRenew(key: string, owner: string, leaseMs: number): Promise<number>;
  sharedRelease(
    key: string,
    waiting: string,
    owner: string,
    channel: string,
    id: string,
  ): Promise<number>;
};

/** Defines the scripts on this client, once. */
export function withScripts(redis: Redis): ScriptedRedis {
  const scripted = redis as ScriptedRedis;
  if (typeof scripted.sharedBefore !== 'function') {
    scripted.defineCommand('sharedBefore', { lua: BEFORE });
    scripted.defineCommand('sharedAfter', { lua: AFTER });
    scripted.defineCommand('sharedRenew', { numberOfKeys: 1, lua: RENEW });
    scripted.defineCommand('sharedRelease', { numberOfKeys: 2, lua: RELEASE });
  }
  return scripted;
}

/** The key names, from the keyed hashes of what they are about. */
export function keyNames(box: SecretBox, prefix: string) {
  const tagOf = (of: string) => `{${box.index(of)}}`;
  return {
    /** A bucket: its tag's slot; a second bucket of one tag (the Circle budget) is told apart. */
    bucket: (take: Pick<BucketTake, 'key' | 'tag'>) =>
      `${prefix}rl:${VERSION}:${tagOf(take.tag)}${take.key === take.tag ? '' : `:${box.index(take.key)}`}`,
    /** A refresh's lease (and result), in its device's slot; `id` names it on the channel. */
    lease: (deviceId: string, coalescingKey: string) => {
      const id = box.index(`refresh:${coalescingKey}`);
      return { id, key: `${prefix}co:${VERSION}:${tagOf(`device:${deviceId}`)}:${id}` };
    },
    /** A user id's minted token. */
    mint: (userId: string) => `${prefix}mint:${VERSION}:${tagOf(`user:${userId}`)}`,
  };
}

export type KeyNames = ReturnType<typeof keyNames>;

/** The ARGV of BEFORE's buckets part. */
export const bucketArgs = (takes: readonly BucketTake[]): (string | number)[] => [
  takes.length,
  ...takes.flatMap((take) => [take.cost, take.rate, take.burst]),
];
