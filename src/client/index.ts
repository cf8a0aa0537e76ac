/**
 * The browser client (`…/client`): typed calls to the gateway and a session keeper that keeps a
 * Circle session alive across the tabs of an origin. Browser-safe: no Node built-ins and no
 * graphql-js; the documents are the strings codegen writes from schema/operations/.
 */
export {
  GatewayInfoDocument,
  type GatewayInfoQuery,
  RefreshUserTokenDocument,
  type RefreshUserTokenMutation,
  type RefreshUserTokenMutationVariables,
} from '../generated/client/graphql.js';
export {
  executeOperation,
  type GatewayCallOptions,
  type RefreshUserTokenInput,
  refreshUserToken,
  type TypedDocumentString,
  type UserTokenPayload,
} from './execute.js';
export {
  type ClientErrorCode,
  GatewayError,
  type GatewayErrorCode,
  type GraphQLErrorBody,
  isGatewayError,
  SESSION_ENDING_CODES,
  type UpstreamDetails,
} from './gateway-error.js';
export { newIdempotencyKey } from './idempotency-key.js';
export {
  type CircleSession,
  expiresAtOf,
  type KeptSession,
  type SessionStorageLike,
} from './session.js';
export {
  createSessionKeeper,
  type SessionKeeper,
  type SessionKeeperOptions,
  type SessionSource,
} from './session-keeper.js';
