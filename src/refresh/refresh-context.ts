/**
 * The context `refreshUserToken` resolves against, built one way for every server that runs it:
 * the gateway's Yoga, its fast path, and a host's Yoga through `useRefreshUserToken`. The checks
 * before the upstream call (device rate limit, userId policy) run inside it, so no server can
 * skip them.
 */
import type { CircleClient } from '../circle/client.js';
import { withoutStackTrace } from '../errors/stack-traces.js';
import type { Logger } from '../observability/logger.js';
import { ClientGoneError, isClientGoneError } from './client-gone.js';
import { type MintedTokenCache, UserTokenCache } from './user-token-cache.js';
import {
  type ChargeBuckets,
  createUserTokenService,
  type RefreshCoalescer,
  type RefreshInput,
  type RefreshOutcome,
} from './user-token-service.js';

/**
 * Who asks for a refresh, as the checks before it (src/security/, given as `beforeRefresh`) read
 * it: declared here so this folder needs nothing from theirs.
 */
export interface RefreshCaller {
  /** The client's address (undefined in process; `unknown` when the peer cannot be read). */
  address: string | undefined;
  /** The request itself, for an `authorizeUserId` hook. */
  request(): Request;
  /**
   * Whether the client has closed its connection: nothing it could receive any more.
   * @default never (a caller that cannot tell)
   */
  gone?(): boolean;
}

/**
 * The per-request context this factory builds; the schema's `GatewayContext`
 * (src/schema/context.ts) is what its resolver needs, and this satisfies it.
 */
export interface RefreshContext {
  requestId: string;
  refreshUserToken(input: RefreshInput): Promise<RefreshOutcome>;
  gatewayInfo: { version: string; simulated: boolean };
  log: Logger;
}

export interface RefreshContextOptions {
  client: CircleClient;
  logger: Logger;
  /**
   * The checks before any upstream call: throws or rejects (RATE_LIMITED, FORBIDDEN) to refuse.
   * `createGatewaySecurity(...).beforeRefresh`. With a shared store, `charge` sends their rate-limit
   * buckets in the refresh's one call to it before Circle (the lease, the minted token).
   */
  beforeRefresh(
    caller: RefreshCaller,
    input: RefreshInput,
    charge?: ChargeBuckets,
  ): undefined | Promise<void>;
  /**
   * Told of every refresh that failed, so a caller whose credentials Circle refuses pays more of
   * its address's upstream budget: `createGatewaySecurity(...).afterRefreshFailed`.
   */
  afterRefreshFailed(caller: RefreshCaller, error: unknown): void;
  /**
   * Minted user tokens kept across requests (the userId path); a shared one (Redis) serves every
   * instance.
   * @default a new UserTokenCache with its defaults (10,000 users, 50 minutes)
   */
  userTokenCache?: MintedTokenCache;
  /**
   * Merges identical refreshes across instances (Redis); identical ones in this process are
   * merged either way.
   * @default undefined (this process only)
   */
  coalescer?: RefreshCoalescer;
  /**
   * Overall deadline of one mutation's upstream work, retries included.
   * @default 10000
   */
  mutationDeadlineMs?: number;
  /** What `Query.gateway` answers. */
  gatewayInfo: { version: string; simulated: boolean };
  /** Called when identical concurrent refreshes share one upstream call. */
  onCoalesced?: () => void;
  now?: () => number;
}

/** The default deadline of one mutation's upstream work (MUTATION_DEADLINE_MS's too). */
export const DEFAULT_MUTATION_DEADLINE_MS = 10_000;

/** Builds the factory of per-request contexts; options are checked here, once. */
export function createRefreshContextFactory(
  options: RefreshContextOptions,
): (requestId: string, caller: RefreshCaller) => RefreshContext {
  const now = options.now ?? Date.now;
  const { logger, gatewayInfo, beforeRefresh, afterRefreshFailed } = options;
  const mutationDeadlineMs = options.mutationDeadlineMs ?? DEFAULT_MUTATION_DEADLINE_MS;
  if (!Number.isFinite(mutationDeadlineMs) || mutationDeadlineMs <= 0) {
    throw new RangeError('mutationDeadlineMs must be a positive number');
  }
  const userTokens = createUserTokenService({
    client: options.client,
    cache: options.userTokenCache ?? new UserTokenCache({ now }),
    coalescer: options.coalescer,
    now,
    onCoalesced: options.onCoalesced,
  });

  return (requestId, caller) => {
    const log = logger.child({ requestId });
    let scope: ReturnType<typeof userTokens.forRequest> | undefined;
    return {
      requestId,
      gatewayInfo,
      log,
      async refreshUserToken(input: RefreshInput) {
        scope ??= userTokens.forRequest({
          deadline: now() + mutationDeadlineMs,
          // No abort when the caller goes away: a refresh that reached Circle has rotated the
          // refresh token, and a coalesced caller (another tab) still needs its answer. The
          // mutation's deadline bounds the call instead.
          requestId,
        });
        const started = performance.now();
        const path = input.user.userId !== undefined ? 'userId' : 'userToken';
        // With a shared store: its one call before Circle, sent by the checks or by the refresh.
        const prepared = userTokens.prepare(input);
        try {
          // Device rate limit and the userId policy: refused here, Circle is never called.
          const check = beforeRefresh(caller, input, prepared?.charge);
          if (check) await check;
          // A client that left while the checks ran (they may wait on Redis) cannot receive new
          // tokens: calling Circle now would spend its refresh token for nothing.
          // An answer to nobody, not a bug: made without a stack trace.
          if (caller.gone?.()) throw withoutStackTrace(() => new ClientGoneError());
          const outcome = await scope.refresh(input, prepared);
          log.info('refreshUserToken', {
            path,
            outcome: 'ok',
            coalesced: outcome.coalesced,
            upstreamRequestId: outcome.requestId,
            durationMs: Math.round(performance.now() - started),
          });
          return outcome;
        } catch (error) {
          // Refused before the refresh ran: the lease that call took goes (a no-op after it ran).
          prepared?.abandon();
          afterRefreshFailed(caller, error);
          log.warn('refreshUserToken', {
            path,
            outcome: isClientGoneError(error)
              ? 'CLIENT_GONE'
              : ((error as { code?: string }).code ?? 'UNEXPECTED'),
            durationMs: Math.round(performance.now() - started),
          });
          throw error;
        }
      },
    };
  };
}
