import type { Logger } from '../observability/logger.js';
import type { RefreshInput, RefreshOutcome } from '../refresh/user-token-service.js';

/** What resolvers see: one object per request, built by the gateway. */
export interface GatewayContext {
  /** The id of this request, sent upstream as `X-Request-Id` and logged with every line. */
  requestId: string;
  refreshUserToken(input: RefreshInput): Promise<RefreshOutcome>;
  gatewayInfo: { version: string; simulated: boolean };
  log: Logger;
}

/**
 * Where `useRefreshUserToken` puts the gateway's context inside a host's context: under a symbol,
 * so no field of the host's own context (its `log`, its `requestId`) is overwritten.
 */
export const REFRESH_CONTEXT: unique symbol = Symbol.for('circle-wallets-gateway.context');

/**
 * The gateway's context of this request: the context itself when the gateway built it, or what
 * `useRefreshUserToken` put into a host's context.
 */
export function refreshContextOf(context: unknown): GatewayContext {
  const embedded = (context as { [REFRESH_CONTEXT]?: GatewayContext } | null)?.[REFRESH_CONTEXT];
  if (embedded) return embedded;
  if (typeof (context as Partial<GatewayContext> | null)?.refreshUserToken === 'function') {
    return context as GatewayContext;
  }
  // Masked for the caller; a host in development sees this in the error's originalError.
  throw new Error(
    'refreshUserToken has no gateway context: add useRefreshUserToken(…) to the Yoga plugins.',
  );
}
