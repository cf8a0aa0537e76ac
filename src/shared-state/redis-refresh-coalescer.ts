/**
 * Identical concurrent refreshes (same user, device, refresh token and idempotency key) make one
 * call to Circle wherever they land. The first takes a short lease in Redis (one key per refresh,
 * named by a keyed hash) and renews it while its call runs; the others wait for its result,
 * woken by a pub/sub message and polling as a backstop, each within its own deadline. The holder
 * replaces the lease with the sealed result (or failure) for a moment, long enough for the
 * waiters to read it. If the holder dies, its lease expires and a waiter takes over with the
 * holder's idempotency key (sealed in the lease), so that if Circle had already rotated the
 * refresh token it replays the same answer instead of refusing a second rotation.
 *
 * The lease and the result are sealed under a key derived from the caller's own refresh token
 * (and the gateway's secret): only a caller holding that refresh token can read them.
 *
 * Redis down or slow: the refresh goes ahead from this process alone (identical refreshes within
 * the process are still merged before this runs), counted and logged by RedisHealth.
 */
import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { CircleTimeoutError } from '../circle/errors.js';
import {
  coalescingKey,
  type RefreshCoalescer,
  type RefreshResult,
} from '../refresh/user-token-service.js';
import { describeFailure, type FailureRecord, rebuildFailure } from './failure-record.js';
import type { RedisHealth } from './redis-health.js';
import { open, type SecretBox, seal } from './secret-box.js';

// Returns the current value, or takes the lease (nil) when there is none. A finished result is
// only for the callers that waited for it: one that arrives afterwards (ARGV[3] = '1') is not
// concurrent, and takes the lease for a call of its own, as it would in one process.
// A caller that will wait marks KEYS[2], so that a holder publishes only when someone listens.
const ACQUIRE = `
local value = redis.call('GET', KEYS[1])
if value and not (ARGV[3] == '1' and string.sub(value, 1, 2) == 'd.') then
  if string.sub(value, 1, 2) == 'p.' then redis.call('SET', KEYS[2], '1', 'PX', ARGV[2]) end
  return value
end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return false
`;

// Extends the lease while it is still this holder's.
const RENEW = `
local value = redis.call('GET', KEYS[1])
if value and string.sub(value, 1, #ARGV[1]) == ARGV[1] then
  return redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 0
`;

// Replaces the lease with the result, unless another holder took over; wakes the waiters.
const FINISH = `
local value = redis.call('GET', KEYS[1])
if value and string.sub(value, 1, #ARGV[1]) ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
if redis.call('DEL', KEYS[2]) == 1 then redis.call('PUBLISH', ARGV[4], ARGV[5]) end
return 1
`;

type WithScripts = Redis & {
  coalesceAcquire(
    key: string,
    waiting: string,
    lease: string,
    leaseMs: number,
    late: '0' | '1',
  ): Promise<string | null>;
  coalesceRenew(key: string, owner: string, leaseMs: number): Promise<number>;
  coalesceFinish(
    key: string,
    waiting: string,
    owner: string,
    done: string,
    resultTtlMs: number,
    channel: string,
    id: string,
  ): Promise<number>;
};

type Settled = { ok: RefreshResult } | { failed: FailureRecord };

export interface RedisRefreshCoalescerOptions {
  redis: Redis;
  /** A second connection for SUBSCRIBE (a subscribed connection runs no other command). */
  subscriber: Redis;
  health: RedisHealth;
  box: SecretBox;
  prefix: string;
  /**
   * How long a lease lasts without renewal: how soon waiters take over from a holder that died.
   * @default 2000
   */
  leaseMs?: number;
  /**
   * How long a result stays for waiters to read (they are woken at once; polling is the backstop).
   * @default 1000
   */
  resultTtlMs?: number;
  /**
   * How often a waiter looks again without a wake-up.
   * @default 100
   */
  pollMs?: number;
  now?: () => number;
}

export interface RedisRefreshCoalescer extends RefreshCoalescer {
  /** Stops listening for results. */
  close(): Promise<void>;
}

export function createRedisRefreshCoalescer(
  options: RedisRefreshCoalescerOptions,
): RedisRefreshCoalescer {
  const { health, box, prefix, subscriber } = options;
  const leaseMs = options.leaseMs ?? 2_000;
  const resultTtlMs = options.resultTtlMs ?? 1_000;
  const pollMs = options.pollMs ?? 100;
  const now = options.now ?? Date.now;
  const redis = options.redis as WithScripts;
  if (typeof redis.coalesceAcquire !== 'function') {
    redis.defineCommand('coalesceAcquire', { numberOfKeys: 2, lua: ACQUIRE });
    redis.defineCommand('coalesceRenew', { numberOfKeys: 1, lua: RENEW });
    redis.defineCommand('coalesceFinish', { numberOfKeys: 2, lua: FINISH });
  }
  const channel = `${prefix}co:done`;
  const instance = randomUUID();
  let holds = 0;

  // Waiters of this process by refresh id, woken when a holder anywhere finishes.
  const wakers = new Map<string, Set<() => void>>();
  const onMessage = (from: string, id: string) => {
    if (from !== channel) return;
    for (const wake of wakers.get(id) ?? []) wake();
  };
  subscriber.on('message', onMessage);
  // Not awaited: polling covers the time until (and any time without) the subscription.
  subscriber.subscribe(channel).catch(() => {});

  const waitForWake = (id: string, ms: number) =>
    new Promise<void>((resolve) => {
      let set = wakers.get(id);
      if (!set) {
        set = new Set();
        wakers.set(id, set);
      }
      const waiters = set;
      const done = () => {
        clearTimeout(timer);
        waiters.delete(done);
        if (waiters.size === 0) wakers.delete(id);
        resolve();
      };
      const timer = setTimeout(done, Math.max(0, ms));
      waiters.add(done);
    });

  /** Holds the lease while `refresh` runs, then leaves the result for the waiters. */
  async function lead(
    key: string,
    id: string,
    owner: string,
    resultKey: Buffer,
    idempotencyKey: string,
    refresh: (idempotencyKey: string) => Promise<RefreshResult>,
  ): Promise<RefreshResult> {
    const renew = setInterval(
      () => void redis.coalesceRenew(key, owner, leaseMs).catch(() => {}),
      Math.max(10, Math.floor(leaseMs / 3)),
    );
    let settled: Settled;
    try {
      settled = { ok: await refresh(idempotencyKey) };
    } catch (error) {
      settled = { failed: describeFailure(error) };
      clearInterval(renew);
      await finish(key, id, owner, resultKey, settled);
      throw error;
    }
    clearInterval(renew);
    await finish(key, id, owner, resultKey, settled);
    return settled.ok;
  }

  async function finish(
    key: string,
    id: string,
    owner: string,
    resultKey: Buffer,
    settled: Settled,
  ) {
    try {
      const done = `d.${seal(resultKey, JSON.stringify(settled), key)}`;
      await redis.coalesceFinish(key, `${key}:w`, owner, done, resultTtlMs, channel, id);
      health.succeeded();
    } catch (error) {
      // The waiters take over when the lease runs out, with the same idempotency key.
      health.failed('coalescing', error);
    }
  }

  return {
    async run(input, givenKey, deadline, refresh) {
      const id = box.index(`refresh:${coalescingKey(input)}`);
      // One hash slot for the lease and its waiting mark (Redis Cluster needs it for a script).
      const key = `${prefix}co:{${id}}`;
      const resultKey = box.resultKey(input.refreshToken);
      let idempotencyKey = givenKey;
      let waited = false;
      for (;;) {
        if (!health.usable()) {
          health.skipped('coalescing');
          return { result: await refresh(idempotencyKey), shared: false };
        }
        holds += 1;
        const owner = `p.${instance}:${holds}.`;
        let current: string | null;
        try {
          current = await redis.coalesceAcquire(
            key,
            `${key}:w`,
            `${owner}${seal(resultKey, idempotencyKey, key)}`,
            leaseMs,
            waited ? '0' : '1',
          );
          health.succeeded();
        } catch (error) {
          health.failed('coalescing', error);
          return { result: await refresh(idempotencyKey), shared: false };
        }
        if (current === null) {
          return {
            result: await lead(key, id, owner, resultKey, idempotencyKey, refresh),
            shared: false,
          };
        }
        waited = true;
        if (current.startsWith('d.')) {
          const json = open(resultKey, current.slice(2), key);
          if (json !== undefined) {
            const settled = JSON.parse(json) as Settled;
            if ('ok' in settled) return { result: settled.ok, shared: true };
            throw rebuildFailure(settled.failed);
          }
        } else if (current.startsWith('p.')) {
          // The holder's key: if it dies mid-call, the takeover sends the same one.
          const sealed = current.slice(current.indexOf('.', 2) + 1);
          idempotencyKey = open(resultKey, sealed, key) ?? idempotencyKey;
        }
        const left = deadline - now();
        if (left <= 0) throw new CircleTimeoutError('refresh', undefined, 'deadline');
        await waitForWake(id, Math.min(pollMs, left));
      }
    },
    async close() {
      // No UNSUBSCRIBE: with Redis down it would queue until a reconnect; the caller closes the
      // subscriber's connection instead.
      subscriber.off('message', onMessage);
      for (const waiters of wakers.values()) for (const wake of waiters) wake();
    },
  };
}
