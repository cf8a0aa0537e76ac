/**
 * `refreshUserToken` inside a host's own Yoga server: this plugin supplies the context the
 * resolver needs (`addRefreshUserToken` puts the field on the host's Pothos builder). The
 * context comes from the same factory the gateway uses, so the device rate limit, the userId
 * policy, the deadline, the user-token cache and coalescing hold here as they do there; the
 * input rules, the error codes and the masking of unexpected errors live in the resolver itself.
 */
import type { ExecutionResult } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import type { CircleClient } from '../circle/client.js';
import { createLogger, type Logger } from '../observability/logger.js';
import type { MintedTokenCache } from '../refresh/user-token-cache.js';
import { type GatewayContext, REFRESH_CONTEXT } from '../schema/context.js';
import { createGatewaySecurity, type SecurityOptions } from '../security/gateway-security.js';
import { withoutEchoedInput } from '../security/input-echo.js';
import type { AuthorizeUserId } from '../security/user-id-authorization.js';
import type { SharedState } from '../shared-state/create-shared-state.js';
import { refreshContexts } from './gateway-parts.js';
import { clientGoneCheck, requestIdFor } from './refresh-caller.js';
import { acceptCheck, useRequestChecks } from './request-checks.js';

export interface RefreshUserTokenPluginOptions {
  /** The Circle client (`createCircleClient`); it holds the API key. */
  client: CircleClient;
  /** @default a JSON logger on stdout at level info */
  logger?: Logger;
  /**
   * Whether this request may refresh by this userId (e.g. the host's session says it is that
   * user). Refused: FORBIDDEN, and no upstream call.
   * @default undefined (every userId allowed, as the contract says)
   */
  authorizeUserId?: AuthorizeUserId;
  /**
   * The controls that guard the refresh itself: the per-device rate limit (with its `store`, its
   * `exempt` addresses), the userId switch, and the proxies whose X-Forwarded-For names the
   * client (for `exempt`). The host's server keeps its own body, document and CORS controls.
   * @default { rateLimits: { perDevice: 5/s, burst 10, exempt: ['loopback'] }, userIdPath: 'enabled' }
   */
  security?: Pick<SecurityOptions, 'rateLimits' | 'userIdPath' | 'trustProxy'>;
  /** @default a new UserTokenCache with its defaults (10,000 users, 50 minutes) */
  userTokenCache?: MintedTokenCache;
  /**
   * State shared by every instance of the host through Redis (`createSharedState`): minted tokens
   * and the merging of identical refreshes. Give its `rateLimitStore` as
   * `security.rateLimits.store` to share the device limit too.
   * @default undefined (this process's memory)
   */
  sharedState?: SharedState;
  /**
   * Overall deadline of one mutation's upstream work, retries included.
   * @default 10000
   */
  mutationDeadlineMs?: number;
  /** Called when identical concurrent refreshes share one upstream call. */
  onCoalesced?: () => void;
  now?: () => number;
}

/** What the plugin adds to the host's context: the gateway's own, under a symbol. */
export interface RefreshUserTokenPluginContext {
  [REFRESH_CONTEXT]?: GatewayContext;
}

/**
 * A Yoga plugin that makes `refreshUserToken` (added with `addRefreshUserToken`) work in a host's
 * server. Options are checked here, when the plugin is made.
 */
export function useRefreshUserToken(
  options: RefreshUserTokenPluginOptions,
): Plugin<RefreshUserTokenPluginContext> {
  const logger = options.logger ?? createLogger();
  const trustProxy = options.security?.trustProxy;
  const security = createGatewaySecurity(
    {
      rateLimits: options.security?.rateLimits,
      userIdPath: options.security?.userIdPath,
      trustProxy,
    },
    {
      authorizeUserId: options.authorizeUserId,
      logger,
      now: options.now,
    },
  );
  const createContext = refreshContexts(options, security, logger);
  // The gateway's request checks that guard a refresh in any host: an answer the client cannot
  // receive must not spend its refresh token. The host's routes, body and CSRF controls are its
  // own.
  const hostChecks = useRequestChecks([acceptCheck(() => true)], {
    addressOf: security.addressOf,
  });
  // Read when the request arrives: the socket is what the server context holds then.
  const addresses = new WeakMap<Request, string | undefined>();

  return {
    onPluginInit({ addPlugin }) {
      addPlugin(hostChecks);
    },
    onRequest({ request, serverContext }) {
      addresses.set(request, security.addressOf(serverContext));
    },
    onContextBuilding({ context, extendContext }) {
      const request = context.request;
      extendContext({
        [REFRESH_CONTEXT]: createContext(requestIdFor(request.headers.get('x-request-id')), {
          address: addresses.get(request),
          request: () => request,
          gone: clientGoneCheck(context as { res?: unknown; request?: Request }),
        }),
      });
    },
    // graphql-js quotes input values in coercion and validation errors: for this mutation that
    // is a token. Only the quoted values go (the gateway's own result step); the host's codes and
    // messages stay as they are.
    onResultProcess({ result, setResult }) {
      if (Array.isArray(result)) setResult(result.map(withoutEchoedInput));
      else if (result && typeof result === 'object' && 'errors' in result) {
        setResult(withoutEchoedInput(result as ExecutionResult));
      }
    },
  };
}
