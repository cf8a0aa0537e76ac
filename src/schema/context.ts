import type { RefreshInput, RefreshOutcome } from '../circle/user-token-service.js';
import type { Logger } from '../logger.js';

/** What resolvers see: one object per request, built by the gateway. */
export interface GatewayContext {
  /** The id of this request, sent upstream as `X-Request-Id` and logged with every line. */
  requestId: string;
  refreshUserToken(input: RefreshInput): Promise<RefreshOutcome>;
  gatewayInfo: { version: string; simulated: boolean };
  log: Logger;
}
