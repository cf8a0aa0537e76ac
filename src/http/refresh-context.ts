/**
 * The context `refreshUserToken` resolves against, built one way for every server that runs it:
 * the gateway's Yoga, its fast path, and a host's Yoga through `useRefreshUserToken`. The checks
 * before the upstream call (device rate limit, userId policy) run inside it, so no server can
 * skip them.
 */
import { validate as isUuid, v4 as uuidv4 } from 'uuid';
import type { CircleClient } from '../circle/client.js';
import { type MintedTokenCache, UserTokenCache } from '../circle/user-token-cache.js';
import {
  createUserTokenService,
  type RefreshCoalescer,
  type RefreshInput,
} from '../circle/user-token-service.js';
import type { Logger } from '../observability/logger.js';
import type { GatewayContext } from '../schema/context.js';
import type { RefreshCaller } from '../security/gateway-security.js';
import { GatewayRefusal, isRefusal } from '../security/refusal.js';

export interface RefreshContextOptions {
  client: CircleClient;
  logger: Logger;
  /**
   * The checks before any upstream call: throws or rejects (RATE_LIMITED, FORBIDDEN) to refuse.
   * `createGatewaySecurity(...).beforeRefresh`.
   */
  beforeRefresh(caller: RefreshCaller, input: RefreshInput): undefined | Promise<void>;
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

/**
 * How a request tells whether its client has closed the connection: the node:http response when
 * there is one (both of the gateway's transports, and a host's Yoga on node:http), else the Fetch
 * request's signal. The fast path's lazy Request is never read here: it always has a response.
 */
export function clientGoneCheck(initial: { res?: unknown; request?: Request }): () => boolean {
  const res = initial.res as { destroyed?: unknown; writableEnded?: boolean } | undefined;
  if (res && typeof res.destroyed === 'boolean') {
    return () => res.destroyed === true && res.writableEnded !== true;
  }
  return () => initial.request?.signal?.aborted === true;
}

const clientGone = () =>
  new GatewayRefusal(
    'The client closed the connection before the gateway called Circle: the refresh token was not used.',
    { code: 'BAD_USER_INPUT', reason: 'CLIENT_GONE', status: 400 },
  );
const isClientGone = (error: unknown): boolean => isRefusal(error, 'CLIENT_GONE');

/** One id per HTTP request: the caller's X-Request-Id when it is a UUID, else a new one. */
export const requestIdFor = (given: string | null | undefined): string =>
  given && isUuid(given) ? given : uuidv4();

/** Builds the factory of per-request contexts; options are checked here, once. */
export function createRefreshContextFactory(
  options: RefreshContextOptions,
): (requestId: string, caller: RefreshCaller) => GatewayContext {
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
        try {
          // Device rate limit and the userId policy: refused here, Circle is never called.
          const check = beforeRefresh(caller, input);
          if (check) await check;
          // A client that left while the checks ran (they may wait on Redis) cannot receive new
          // tokens: calling Circle now would spend its refresh token for nothing.
          if (caller.gone?.()) throw clientGone();
          const outcome = await scope.refresh(input);
          log.info('refreshUserToken', {
            path,
            outcome: 'ok',
            coalesced: outcome.coalesced,
            upstreamRequestId: outcome.requestId,
            durationMs: Math.round(performance.now() - started),
          });
          return outcome;
        } catch (error) {
          afterRefreshFailed(caller, error);
          log.warn('refreshUserToken', {
            path,
            outcome: isClientGone(error)
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
