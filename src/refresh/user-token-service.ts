import DataLoader from 'dataloader';
import { v4 as uuidv4 } from 'uuid';
import type { CallOptions, CircleClient } from '../circle/client.js';
import { CIRCLE_CHANNELS, type RefreshMessage } from '../circle/diagnostics.js';
import { isCircleClientError, isCircleError } from '../circle/errors.js';
import { readJwtExpiry } from '../circle/jwt.js';
import type { PreparedRefresh, RefreshCoalescer, RefreshNotes } from './shared-refresh.js';
import type { MintedTokenCache } from './user-token-cache.js';

export type {
  BucketTake,
  BucketVerdict,
  ChargeBuckets,
  PreparedRefresh,
  RefreshCoalescer,
  RefreshNotes,
} from './shared-refresh.js';

/** Exactly one of the two, as the GraphQL `@oneOf` input guarantees. */
export type UserIdentity =
  | { userId: string; userToken?: never }
  | { userToken: string; userId?: never };

export interface RefreshInput {
  user: UserIdentity;
  deviceId: string;
  refreshToken: string;
  /** The caller's key; when absent one is made and used for every attempt of this refresh. */
  idempotencyKey?: string | undefined;
}

export interface RefreshOutcome {
  userToken: string;
  encryptionKey: string | undefined;
  refreshToken: string | undefined;
  userId: string | undefined;
  /** When `userToken` stops working (ms since the epoch). */
  expiresAt: number;
  idempotencyKey: string;
  /** Circle's `X-Request-Id` of the refresh call. */
  requestId: string | undefined;
  /** True when this caller shared another caller's in-flight refresh. */
  coalesced: boolean;
}

/** Circle codes that say the user token itself is no good: expired, malformed, unknown. */
const STALE_USER_TOKEN_CODES = new Set([155104, 155105, 155103]);
const USER_TOKEN_LIFETIME_MS = 60 * 60_000;

const isStaleTokenError = (error: unknown): boolean =>
  isCircleError(error, 'CIRCLE_HTTP_ERROR') &&
  error.circleCode !== undefined &&
  STALE_USER_TOKEN_CODES.has(error.circleCode);

/** What one upstream refresh gives, before it is known whether the caller shared it. */
export type RefreshResult = Omit<RefreshOutcome, 'coalesced'>;

export interface UserTokenServiceOptions {
  client: CircleClient;
  cache: MintedTokenCache;
  /** @default none: identical refreshes are merged within this process only */
  coalescer?: RefreshCoalescer | undefined;
  now?: () => number;
  /** Called when identical concurrent refreshes were merged into one upstream call. */
  onCoalesced?: () => void;
}

export interface RequestScope {
  /** Absolute deadline of this request's upstream work. */
  deadline: number;
  requestId: string | undefined;
  signal?: AbortSignal | undefined;
}

/**
 * The userId and userToken paths of a refresh, the mint cache around them, and the merging of
 * identical concurrent refreshes (the multi-tab race: one refresh token, one upstream refresh).
 */
export function createUserTokenService(options: UserTokenServiceOptions) {
  const { client, cache } = options;
  const now = options.now ?? Date.now;
  // Settled promises are removed at once: nothing outlives the call.
  const inFlightRefreshes = new Map<string, Promise<RefreshOutcome>>();
  const inFlightMints = new Map<string, Promise<string>>();

  /** One mint per user id at a time across requests; the result goes into the cache. */
  function mint(userId: string, call: CallOptions, notes?: RefreshNotes): Promise<string> {
    const pending = inFlightMints.get(userId);
    if (pending) return pending;
    const promise = client
      .createUserToken({ userId }, call)
      .then(async ({ data }) => {
        const exp = readJwtExpiry(data.userToken);
        // Kept by the refresh's call after Circle when it can be: one round trip fewer.
        if (!notes?.keepMint(userId, data.userToken, data.encryptionKey, exp)) {
          await cache.set(userId, data.userToken, data.encryptionKey, exp);
        }
        return data.userToken;
      })
      .finally(() => inFlightMints.delete(userId));
    inFlightMints.set(userId, promise);
    return promise;
  }

  /** Per request: a DataLoader so that one request asks for each user id's token once. */
  function createMintLoader(call: CallOptions): DataLoader<string, string> {
    return new DataLoader<string, string>(
      (userIds) =>
        Promise.all(
          userIds.map((userId) =>
            Promise.resolve(cache.get(userId))
              .then((cached) => cached?.userToken ?? mint(userId, call))
              .catch((error: unknown) => error as Error),
          ),
        ),
      { cacheKeyFn: (userId) => userId },
    );
  }

  async function refreshOnce(
    input: RefreshInput,
    idempotencyKey: string,
    loader: () => DataLoader<string, string>,
    call: CallOptions,
    notes: RefreshNotes | undefined,
  ): Promise<RefreshResult> {
    const send = (userToken: string) =>
      client.refreshUserToken(
        {
          userToken,
          refreshToken: input.refreshToken,
          deviceId: input.deviceId,
          idempotencyKey,
        },
        call,
      );
    let result: Awaited<ReturnType<typeof send>>;
    if (input.user.userToken !== undefined) {
      publishRefresh({ path: 'userToken', coalesced: false });
      result = await send(input.user.userToken);
    } else {
      const userId = input.user.userId;
      // Read by the call before Circle when the shared store could.
      const cached = (notes?.minted ? notes.minted.token : await cache.get(userId))?.userToken;
      publishRefresh({ path: 'userId', coalesced: false, cacheHit: cached !== undefined });
      // A cached token needs no de-duplication: the loader is for the mint (the loader's own
      // cache read finds nothing the call before Circle did not, so that call's miss is a mint).
      const minted =
        cached ?? (notes?.minted ? await mint(userId, call, notes) : await loader().load(userId));
      try {
        result = await send(minted);
      } catch (error) {
        if (!isStaleTokenError(error)) throw error;
        // The cached token went stale before its time: drop it, mint once more, retry once.
        await cache.delete(userId, minted);
        loader().clear(userId);
        const reminted = await mint(userId, call, notes);
        try {
          result = await send(reminted);
        } catch (retryError) {
          // Refused again: keep no token Circle has refused.
          if (isStaleTokenError(retryError)) await cache.delete(userId, reminted);
          throw retryError;
        }
      }
    }
    const { data } = result;
    return {
      userToken: data.userToken,
      encryptionKey: data.encryptionKey,
      refreshToken: data.refreshToken,
      userId: data.userId ?? input.user.userId,
      expiresAt: readJwtExpiry(data.userToken) ?? now() + USER_TOKEN_LIFETIME_MS,
      idempotencyKey,
      requestId: result.requestId,
    };
  }

  return {
    /** Builds the per-request part: call options and the mint loader. */
    forRequest(scope: RequestScope) {
      const call: CallOptions = {
        deadline: scope.deadline,
        requestId: scope.requestId,
        signal: scope.signal,
      };
      // Made on the first userId refresh that misses the cache: most requests never need one.
      let mintLoader: DataLoader<string, string> | undefined;
      const loader = () => {
        mintLoader ??= createMintLoader(call);
        return mintLoader;
      };
      return {
        async refresh(input: RefreshInput, prepared?: PreparedRefresh): Promise<RefreshOutcome> {
          const key = coalescingKey(input);
          const pending = inFlightRefreshes.get(key);
          if (pending) {
            prepared?.abandon();
            publishRefresh({
              path: input.user.userId !== undefined ? 'userId' : 'userToken',
              coalesced: true,
            });
            options.onCoalesced?.();
            return { ...(await pending), coalesced: true };
          }
          const refresh = (idempotencyKey: string, notes?: RefreshNotes) =>
            refreshOnce(input, idempotencyKey, loader, call, notes).catch((error: unknown) => {
              if (isCircleClientError(error)) error.idempotencyKey = idempotencyKey;
              throw error;
            });
          const idempotencyKey = prepared?.idempotencyKey ?? input.idempotencyKey ?? uuidv4();
          const shared = options.coalescer
            ? options.coalescer.run(input, idempotencyKey, scope.deadline, refresh, prepared)
            : refresh(idempotencyKey).then((result) => ({ result, shared: false }));
          const promise = shared
            .then(({ result, shared }) => {
              if (shared) options.onCoalesced?.();
              return { ...result, coalesced: shared };
            })
            .finally(() => inFlightRefreshes.delete(key));
          inFlightRefreshes.set(key, promise);
          return promise;
        },
      };
    },
    /**
     * Readies the refresh's one call to the shared store before Circle (undefined without one):
     * the lease unless an identical refresh is in flight here, the minted token on the userId path.
     */
    prepare(input: RefreshInput): PreparedRefresh | undefined {
      return options.coalescer?.prepare?.(input, {
        lease: !inFlightRefreshes.has(coalescingKey(input)),
        mintCache: cache,
        idempotencyKey: input.idempotencyKey ?? uuidv4(),
      });
    },
    /** For tests and metrics. */
    inFlight: () => ({ refreshes: inFlightRefreshes.size, mints: inFlightMints.size }),
  };
}

export type UserTokenService = ReturnType<typeof createUserTokenService>;

/** Published in the caller's async context, so a subscriber sees the caller's active span. */
function publishRefresh(message: RefreshMessage): void {
  if (CIRCLE_CHANNELS.refresh.hasSubscribers) CIRCLE_CHANNELS.refresh.publish(message);
}

/**
 * Everything that makes two refreshes the same, as one unambiguous string. The entry lives exactly
 * as long as the call (deleted when it settles), as do the input and the upstream request that
 * hold the same tokens, so hashing it would hide nothing; it cost ~10 µs a request. (The shared
 * coalescer turns it into a keyed hash before it leaves the process.)
 */
export function coalescingKey(input: RefreshInput): string {
  return JSON.stringify([
    input.user.userId !== undefined ? 'id' : 'token',
    input.user.userId ?? input.user.userToken,
    input.deviceId,
    input.refreshToken,
    input.idempotencyKey ?? null,
  ]);
}
