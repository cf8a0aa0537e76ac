import type { Logger } from '../observability/logger.js';
import type { BucketTake, BucketVerdict, ChargeBuckets } from '../refresh/shared-refresh.js';
import { rateLimitKey } from './client-address.js';
import {
  createMemoryRateLimitStore,
  type RateLimitDecision,
  type RateLimitStore,
  takeInTurn,
} from './rate-limit-store.js';
import { GatewayRefusal } from './refusal.js';

export {
  type BucketTake,
  type BucketVerdict,
  createMemoryRateLimitStore,
  type MemoryRateLimitStore,
  type MemoryRateLimitStoreOptions,
  type RateLimitDecision,
  type RateLimitStore,
} from './rate-limit-store.js';

/** One limit: `rate` tokens a second, at most `burst` saved up. A rate of 0 turns it off. */
export interface TokenBucketLimit {
  rate: number;
  burst: number;
}

function checkLimit(name: string, limit: TokenBucketLimit) {
  if (!Number.isFinite(limit.rate) || limit.rate < 0) {
    throw new RangeError(`${name}.rate must be a number >= 0 (0 turns the limit off)`);
  }
  if (limit.rate > 0 && (!Number.isFinite(limit.burst) || limit.burst < 1)) {
    throw new RangeError(`${name}.burst must be a number >= 1`);
  }
}

export const rateLimited = (subject: string, retryAfterMs: number) => {
  const retryAfter = Math.max(1, Math.ceil(retryAfterMs / 1000));
  return new GatewayRefusal(`Too many requests ${subject}. Retry after ${retryAfter} s.`, {
    code: 'RATE_LIMITED',
    status: 429,
    retryAfter,
  });
};

/**
 * Refreshes that may call Circle, per client address. Circle's refresh quota (5/s) belongs to the
 * API key, so every caller shares it: this keeps one address from spending it all.
 */
export interface UpstreamBudget extends TokenBucketLimit {
  /**
   * Tokens taken besides the call's own when Circle refuses the caller's token, device or refresh
   * token: an address sending junk gets fewer calls, one sending good tokens is not slowed.
   * @default 2
   */
  refusalCost?: number;
}

/** The limits' defaults, for code (createRateLimiter) and settings (RATE_LIMIT_*) alike. */
export const RATE_LIMIT_DEFAULTS = {
  perAddress: { rate: 50, burst: 100 },
  perDevice: { rate: 5, burst: 10 },
  upstreamPerAddress: { rate: 1, burst: 3, refusalCost: 2 },
} as const;

/**
 * Addresses no limit applies to unless told otherwise: loopback (tests, benchmarks, one developer)
 * outside production; none in production, where a reverse proxy on the same host would otherwise
 * exempt every client. Code (createGateway) and settings (RATE_LIMIT_EXEMPT) both use this.
 */
export const defaultRateLimitExempt = (production: boolean): readonly string[] =>
  production ? [] : ['loopback'];

export interface RateLimiterOptions {
  store: RateLimitStore;
  /** @default { rate: 50, burst: 100 } */
  perAddress?: TokenBucketLimit;
  /** @default { rate: 5, burst: 10 } */
  perDevice?: TokenBucketLimit;
  /** @default { rate: 1, burst: 3, refusalCost: 2 } */
  upstreamPerAddress?: UpstreamBudget;
  /** Whether a client address is not limited at all (by address or by device). */
  isExempt: (address: string | undefined) => boolean;
  now?: () => number;
}

/** The two limits of the gateway over one store. */
export function createRateLimiter(options: RateLimiterOptions) {
  const perAddress = options.perAddress ?? RATE_LIMIT_DEFAULTS.perAddress;
  const perDevice = options.perDevice ?? RATE_LIMIT_DEFAULTS.perDevice;
  const upstream = options.upstreamPerAddress ?? RATE_LIMIT_DEFAULTS.upstreamPerAddress;
  const refusalCost = upstream.refusalCost ?? RATE_LIMIT_DEFAULTS.upstreamPerAddress.refusalCost;
  checkLimit('perAddress', perAddress);
  checkLimit('perDevice', perDevice);
  checkLimit('upstreamPerAddress', upstream);
  if (!Number.isSafeInteger(refusalCost) || refusalCost < 0) {
    throw new RangeError('upstreamPerAddress.refusalCost must be a whole number >= 0');
  }
  const now = options.now ?? Date.now;
  const { store, isExempt } = options;
  // With a shared store the front door answers from this process's memory: no round trip before
  // the body is read. The shared address bucket is then charged by what follows: with a refresh's
  // other buckets (beforeRefresh), or by an operation that is not one (byAddressShared). Only
  // where a front door runs at all: a host's Yoga (useRefreshUserToken) never had an address limit.
  const frontDoor = store.shared ? createMemoryRateLimitStore() : store;
  let frontDoorInUse = false;
  const debts = createDebts(upstream.rate, Math.max(upstream.burst, refusalCost) * 4);
  // Synchronous when the store is (the in-memory one): no promise per request for a check.
  const decide = (
    decision: RateLimitDecision | Promise<RateLimitDecision>,
    subject: string,
  ): MaybeRefusal =>
    decision instanceof Promise
      ? decision.then((settled) => refusalFor(settled, subject))
      : refusalFor(decision, subject);
  const sharedAddressTake = (address: string | undefined): Take | undefined => {
    if (!store.shared || !frontDoorInUse || perAddress.rate === 0) return undefined;
    if (address === undefined || isExempt(address)) return undefined;
    const key = rateLimitKey(address);
    return {
      key: `address:${key}`,
      tag: `address:${key}`,
      cost: 1,
      ...perAddress,
      subject: 'from this address',
    };
  };
  return {
    /** Undefined when allowed, else the refusal (RATE_LIMITED, 429, Retry-After). */
    byAddress(address: string | undefined): MaybeRefusal {
      frontDoorInUse = true;
      if (perAddress.rate === 0 || address === undefined || isExempt(address)) return undefined;
      return decide(
        frontDoor.take(
          `address:${rateLimitKey(address)}`,
          1,
          perAddress.rate,
          perAddress.burst,
          now(),
        ),
        'from this address',
      );
    },
    /**
     * The shared address bucket, for an operation past the front door that is not a refresh
     * (a refresh charges it in beforeRefresh): undefined when there is nothing to charge.
     */
    byAddressShared(address: string | undefined): MaybeRefusal {
      const take = sharedAddressTake(address);
      if (!take) return undefined;
      return decide(store.take(take.key, 1, take.rate, take.burst, now()), take.subject);
    },
    byDevice(deviceId: string, address: string | undefined): MaybeRefusal {
      if (perDevice.rate === 0 || isExempt(address)) return undefined;
      return decide(
        store.take(`device:${deviceId}`, 1, perDevice.rate, perDevice.burst, now()),
        'for this device',
      );
    },
    /** Charged right before a refresh goes to Circle: the address's share of Circle's quota. */
    byUpstreamCall(address: string | undefined): MaybeRefusal {
      if (upstream.rate === 0 || isExempt(address)) return undefined;
      const key = upstreamKey(address);
      const owed = debts.owed(key, now());
      if (owed > 0)
        return rateLimited('to Circle from this address', (owed / upstream.rate) * 1000);
      return decide(
        store.take(key, 1, upstream.rate, upstream.burst, now()),
        'to Circle from this address',
      );
    },
    /**
     * Every bucket a refresh takes before Circle, all or none, in this order: the shared address
     * bucket (when the front door charged only this process's), the address's share of Circle's
     * quota, the device. The first empty one refuses and nothing is charged: an address past its
     * Circle budget cannot spend a device's limit (the device-lockout mitigation), and an empty
     * device bucket does not spend the address's budget. `charge` sends them along with the
     * refresh's own call to a shared store (one round trip); without it the store takes them.
     */
    beforeRefresh(
      deviceId: string,
      address: string | undefined,
      charge?: ChargeBuckets,
    ): MaybeRefusal {
      const takes: Take[] = [];
      const shared = sharedAddressTake(address);
      if (shared) takes.push(shared);
      if (upstream.rate > 0 && !isExempt(address)) {
        const key = upstreamKey(address);
        const owed = debts.owed(key, now());
        if (owed > 0)
          return rateLimited('to Circle from this address', (owed / upstream.rate) * 1000);
        takes.push({
          key,
          tag: `address:${key.slice('upstream:'.length)}`,
          cost: 1,
          rate: upstream.rate,
          burst: upstream.burst,
          subject: 'to Circle from this address',
        });
      }
      if (perDevice.rate > 0 && !isExempt(address)) {
        const key = `device:${deviceId}`;
        takes.push({ key, tag: key, cost: 1, ...perDevice, subject: 'for this device' });
      }
      if (takes.length === 0) return undefined;
      // `charge` takes them in the shared store's Redis: only when that is this limiter's store.
      const verdict =
        charge && store.shared
          ? charge(takes)
          : store.takeAll
            ? store.takeAll(takes, now())
            : takeInTurn(store, takes, now());
      const refusal = (settled: BucketVerdict) =>
        settled.allowed
          ? undefined
          : rateLimited(
              takes[settled.refused ?? takes.length - 1]?.subject ?? 'for this device',
              settled.retryAfterMs,
            );
      return verdict instanceof Promise ? verdict.then(refusal) : refusal(verdict);
    },
    /** Circle refused this address's credentials: it owes `refusalCost` tokens before its next call. */
    chargeRefusal(address: string | undefined): void {
      if (upstream.rate === 0 || refusalCost === 0 || isExempt(address)) return;
      debts.add(upstreamKey(address), refusalCost, now());
    },
  };
}

/** A bucket of a refresh, with the words its refusal uses. */
type Take = BucketTake & { subject: string };

/**
 * Tokens an address owes after Circle refused it, paid back at the budget's rate. A bucket cannot
 * go below empty, and a flooder's bucket is always empty, so the penalty is kept as a debt beside
 * the store instead (per process, bounded; the budget itself is in the store, shared when the store
 * is). `cap` bounds the debt, so a refused address is slowed, never locked out for long.
 */
function createDebts(rate: number, cap: number, maxKeys = 100_000) {
  const owed = new Map<string, { tokens: number; at: number }>();
  const current = (key: string, now: number) => {
    const debt = owed.get(key);
    if (!debt) return 0;
    const left = debt.tokens - (Math.max(0, now - debt.at) / 1000) * rate;
    if (left <= 0) owed.delete(key);
    return Math.max(0, left);
  };
  return {
    owed: current,
    add(key: string, tokens: number, now: number) {
      const total = Math.min(cap, current(key, now) + tokens);
      owed.delete(key);
      owed.set(key, { tokens: total, at: now });
      // Oldest first: Map keeps insertion order, and every add re-inserts.
      if (owed.size > maxKeys) owed.delete(owed.keys().next().value as string);
    },
  };
}

// An address nobody could tell (no socket) shares one bucket: unknown is never unlimited.
const upstreamKey = (address: string | undefined) =>
  `upstream:${address === undefined ? 'unknown' : rateLimitKey(address)}`;

/** A rate-limit verdict: undefined when allowed; a promise only when the store is async. */
export type MaybeRefusal = GatewayRefusal | undefined | Promise<GatewayRefusal | undefined>;

const refusalFor = (decision: RateLimitDecision, subject: string) =>
  decision.allowed ? undefined : rateLimited(subject, decision.retryAfterMs);

export type RateLimiter = ReturnType<typeof createRateLimiter>;

/**
 * The per-address check (one of the request checks, src/http/request-checks.ts): undefined when
 * allowed, else the refusal. Warns once when requests carry X-Forwarded-For that is not believed.
 */
export function createAddressGate(options: {
  limiter: RateLimiter;
  trustsProxy: boolean;
  logger?: Logger;
}) {
  let warned = false;
  return (address: string | undefined, forwarded: boolean): MaybeRefusal => {
    if (!options.trustsProxy && !warned && forwarded) {
      warned = true;
      options.logger?.warn('rate limits key on the socket address', {
        hint: 'requests carry X-Forwarded-For: behind a proxy, set TRUST_PROXY',
      });
    }
    return options.limiter.byAddress(address);
  };
}

export type AddressGate = ReturnType<typeof createAddressGate>;
