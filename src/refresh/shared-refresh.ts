/**
 * The refresh use case's port to a store every instance shares (src/shared-state/): the merging
 * of identical refreshes across processes, and the one call such a store gets before Circle, which
 * also carries the rate-limit buckets of the checks before the refresh and reads the minted token.
 */
import type { MintedToken, MintedTokenCache } from './user-token-cache.js';
import type { RefreshInput, RefreshResult } from './user-token-service.js';

/**
 * A rate-limit bucket the checks before a refresh take (src/security/rate-limit.ts); declared here
 * so that a shared store can take them in the refresh's own call. `tag` names what the bucket
 * belongs to (an address, a device): a shared store keeps one tag's buckets together (one Redis
 * Cluster hash slot).
 */
export interface BucketTake {
  key: string;
  tag: string;
  cost: number;
  rate: number;
  burst: number;
}

/** All taken, or refused by the take at index `refused` (nothing charged), with its wait. */
export interface BucketVerdict {
  allowed: boolean;
  retryAfterMs: number;
  refused?: number;
}

/** Takes the buckets, all or none, in the refresh's one call before Circle. */
export type ChargeBuckets = (takes: readonly BucketTake[]) => Promise<BucketVerdict>;

/**
 * One refresh's call to a shared store before Circle, made ready but not sent: the checks send it
 * with their buckets (`charge`), or the coalescer sends it without any.
 */
export interface PreparedRefresh {
  /** The key the refresh sends (sealed in the lease, for a takeover). */
  readonly idempotencyKey: string;
  /** Sends the call now, the buckets taken first (all or none). At most once. */
  charge: ChargeBuckets;
  /** The refresh will not go to Circle (refused, client gone, merged here): lets go of its lease. */
  abandon(): void;
}

/** What the call before Circle learned for the refresh, and what the call after it records. */
export interface RefreshNotes {
  /** The user id's minted token as that call read it (`token` undefined: none); absent: not read. */
  minted?: { token: MintedToken | undefined };
  /** Leaves a fresh mint to the call after Circle; false: not possible, the caller stores it. */
  keepMint(
    userId: string,
    userToken: string,
    encryptionKey: string | undefined,
    exp: number | undefined,
  ): boolean;
}

/**
 * Merges identical refreshes across processes (src/shared-state/redis-refresh-coalescer.ts);
 * identical ones within this process are merged before it is asked.
 */
export interface RefreshCoalescer {
  /**
   * Calls `refresh` with the idempotency key to send, unless another process is already
   * refreshing this same input: then its result (or its failure) is returned, `shared: true`.
   * Waiting ends at `deadline` (ms since the epoch) with a timeout. `prepared` (from `prepare`)
   * is the call already made for this refresh, which took the lease.
   */
  run(
    input: RefreshInput,
    idempotencyKey: string,
    deadline: number,
    refresh: (idempotencyKey: string, notes?: RefreshNotes) => Promise<RefreshResult>,
    prepared?: PreparedRefresh,
  ): Promise<{ result: RefreshResult; shared: boolean }>;
  /**
   * Makes ready the refresh's one call before Circle: the checks' buckets, the lease (`lease`)
   * and, for the userId path, the minted token when `mintCache` is the store's own.
   */
  prepare?(
    input: RefreshInput,
    wants: { lease: boolean; mintCache: MintedTokenCache; idempotencyKey: string },
  ): PreparedRefresh;
}
