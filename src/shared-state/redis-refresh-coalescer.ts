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
 * The lease is taken in the refresh's one call before Circle, together with the rate-limit
 * buckets its checks charge and, on the userId path, the read of its minted token (`prepare`,
 * then `charge` from the checks); the result goes back in one call after Circle, with the token
 * it minted, which the caller does not wait for (docs/fleet.md, "Commands per refresh").
 *
 * Redis down or slow: the refresh goes ahead from this process alone (identical refreshes within
 * the process are still merged before this runs), its buckets in this process's memory, counted
 * and logged by RedisHealth.
 */
import type { Redis } from 'ioredis';
import { CircleTimeoutError } from '../circle/errors.js';
import {
  type BucketTake,
  coalescingKey,
  type PreparedRefresh,
  type RefreshCoalescer,
  type RefreshInput,
  type RefreshNotes,
  type RefreshResult,
} from '../refresh/user-token-service.js';
import { createMemoryRateLimitStore, type MemoryRateLimitStore } from '../security/rate-limit.js';
import { describeFailure, type FailureRecord, rebuildFailure } from './failure-record.js';
import type { RedisHealth } from './redis-health.js';
import {
  createPreCircleCall,
  type Found,
  type Outcome,
  type Ref,
} from './redis-pre-circle-call.js';
import { listenForResults } from './redis-result-wake-ups.js';
import { keyNames, withScripts } from './redis-scripts.js';
import type { MintEntry, RedisTokenCache } from './redis-token-cache.js';
import { open, type SecretBox, seal } from './secret-box.js';

type Settled = { ok: RefreshResult } | { failed: FailureRecord };

export interface RedisRefreshCoalescerOptions {
  redis: Redis;
  /** A second connection for SUBSCRIBE (a subscribed connection runs no other command). */
  subscriber: Redis;
  health: RedisHealth;
  box: SecretBox;
  prefix: string;
  /** The shared minted-token cache: a userId refresh reads and writes it in its own calls. */
  tokenCache?: RedisTokenCache;
  /** Where a refresh's buckets are taken while Redis is down. */
  memory?: MemoryRateLimitStore;
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
  const { health, box, prefix, subscriber, tokenCache } = options;
  const leaseMs = options.leaseMs ?? 2_000;
  const resultTtlMs = options.resultTtlMs ?? 1_000;
  const pollMs = options.pollMs ?? 100;
  const now = options.now ?? Date.now;
  const memory = options.memory ?? createMemoryRateLimitStore();
  const redis = withScripts(options.redis);
  const names = keyNames(box, prefix);
  const channel = `${prefix}co:done`;
  // The calls this coalescer made ready, for `run` to go on from.
  const prepared = new WeakMap<PreparedRefresh, { ref: Ref; go: () => Promise<Outcome> }>();

  const wake = listenForResults(subscriber, channel);

  const refOf = (input: RefreshInput, readMint: boolean): Ref => {
    const { key, id } = names.lease(input.deviceId, coalescingKey(input));
    return {
      key,
      id,
      resultKey: box.resultKey(input.refreshToken),
      userId: readMint ? input.user.userId : undefined,
    };
  };

  const before = createPreCircleCall({
    redis,
    health,
    box,
    names,
    tokenCache,
    memory,
    leaseMs,
    now,
  });

  /** Holds the lease while `refresh` runs, then leaves the result (not waited for). */
  async function lead(
    ref: Ref,
    found: Found,
    idempotencyKey: string,
    refresh: (idempotencyKey: string, notes?: RefreshNotes) => Promise<RefreshResult>,
  ): Promise<RefreshResult> {
    const renew = setInterval(
      () => void redis.sharedRenew(ref.key, found.owner, leaseMs).catch(() => {}),
      Math.max(10, Math.floor(leaseMs / 3)),
    );
    let minted: MintEntry | undefined;
    const notes: RefreshNotes = {
      ...(found.minted ? { minted: found.minted } : {}),
      keepMint: (userId, userToken, encryptionKey, exp) => {
        if (!found.minted || !tokenCache || userId !== ref.userId) return false;
        minted = tokenCache.entries.write(userId, userToken, encryptionKey, exp);
        return true;
      },
    };
    let settled: Settled;
    try {
      settled = { ok: await refresh(idempotencyKey, notes) };
    } catch (error) {
      settled = { failed: describeFailure(error) };
      clearInterval(renew);
      void after(ref, found.owner, settled, minted);
      throw error;
    }
    clearInterval(renew);
    void after(ref, found.owner, settled, minted);
    return settled.ok;
  }

  async function after(ref: Ref, owner: string, settled: Settled, minted: MintEntry | undefined) {
    try {
      const done = `d.${seal(ref.resultKey, JSON.stringify(settled), ref.key)}`;
      await redis.sharedAfter(
        minted ? 3 : 2,
        ref.key,
        `${ref.key}:w`,
        ...(minted ? [minted.key] : []),
        owner,
        done,
        resultTtlMs,
        channel,
        ref.id,
        ...(minted ? [minted.value, minted.ms] : []),
      );
      health.succeeded();
    } catch (error) {
      // The waiters take over when the lease runs out, with the same idempotency key; the
      // minted token is minted again by the next refresh that misses it.
      health.failed('coalescing', error);
    }
  }

  return {
    prepare(input, wants) {
      const ref = refOf(input, wants.lease && wants.mintCache === tokenCache);
      let sent: Promise<Outcome> | undefined;
      let used = false;
      const send = (takes: readonly BucketTake[]) => {
        sent ??= before(
          ref,
          takes,
          wants.lease ? { idempotencyKey: wants.idempotencyKey, waited: false } : undefined,
        );
        return sent;
      };
      const handle: PreparedRefresh = {
        idempotencyKey: wants.idempotencyKey,
        async charge(takes) {
          const outcome = await send(takes);
          return 'refused' in outcome ? outcome.refused : { allowed: true, retryAfterMs: 0 };
        },
        abandon() {
          if (used || !sent) return;
          used = true;
          void sent
            .then((outcome) => {
              if (!('found' in outcome) || outcome.found.current !== null) return;
              return redis
                .sharedRelease(ref.key, `${ref.key}:w`, outcome.found.owner, channel, ref.id)
                .then(() => undefined);
            })
            .catch(() => {});
        },
      };
      // Without the lease (an identical refresh was in flight here) run starts afresh.
      if (wants.lease) {
        prepared.set(handle, {
          ref,
          go: () => {
            used = true;
            return send([]);
          },
        });
      }
      return handle;
    },

    async run(input, givenKey, deadline, refresh, given) {
      const made = given ? prepared.get(given) : undefined;
      let first = made?.go;
      const ref = made?.ref ?? refOf(input, false);
      let idempotencyKey = givenKey;
      let waited = false;
      for (;;) {
        const outcome = first ? await first() : await before(ref, [], { idempotencyKey, waited });
        first = undefined;
        if ('found' in outcome && outcome.found.current === null) {
          return { result: await lead(ref, outcome.found, idempotencyKey, refresh), shared: false };
        }
        if (!('found' in outcome)) {
          // Redis failed (a refusal was the checks' to report, before this ran).
          return { result: await refresh(idempotencyKey), shared: false };
        }
        const current = outcome.found.current as string;
        waited = true;
        if (current.startsWith('d.')) {
          const json = open(ref.resultKey, current.slice(2), ref.key);
          if (json !== undefined) {
            const settled = JSON.parse(json) as Settled;
            if ('ok' in settled) return { result: settled.ok, shared: true };
            throw rebuildFailure(settled.failed);
          }
        } else if (current.startsWith('p.')) {
          // The holder's key: if it dies mid-call, the takeover sends the same one.
          const sealed = current.slice(current.indexOf('.', 2) + 1);
          idempotencyKey = open(ref.resultKey, sealed, ref.key) ?? idempotencyKey;
        }
        const left = deadline - now();
        if (left <= 0) throw new CircleTimeoutError('refresh', undefined, 'deadline');
        await wake.wait(ref.id, Math.min(pollMs, left));
      }
    },
    async close() {
      // No UNSUBSCRIBE: with Redis down it would queue until a reconnect; the caller closes the
      // subscriber's connection instead.
      wake.close();
    },
  };
}
