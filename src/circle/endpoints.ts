/** Circle's two endpoints the gateway calls, as attempt requests: path, headers, body, parser. */
import type { AttemptRequest } from './http-attempt.js';
import {
  type CreateUserTokenRequest,
  type MintedUserToken,
  parseMintedUserToken,
  parseRefreshedUserToken,
  type RefreshedUserToken,
  type RefreshUserTokenRequest,
} from './wire.js';

/** POST /v1/w3s/users/token/refresh. The idempotency key is the caller's: one per mutation. */
export const refreshRequest = ({
  userToken,
  refreshToken,
  deviceId,
  idempotencyKey,
}: RefreshUserTokenRequest & { idempotencyKey: string }): AttemptRequest<RefreshedUserToken> => ({
  call: 'refresh',
  path: '/v1/w3s/users/token/refresh',
  headers: { 'x-user-token': userToken },
  // The official SDK's field order; Circle does not care, but recordings compare equal.
  body: JSON.stringify({ idempotencyKey, refreshToken, deviceId }),
  parse: parseRefreshedUserToken,
});

/** POST /v1/w3s/users/token: mint a user token for a user id. */
export const mintRequest = ({
  userId,
}: CreateUserTokenRequest): AttemptRequest<MintedUserToken> => ({
  call: 'mint',
  path: '/v1/w3s/users/token',
  headers: {},
  body: JSON.stringify({ userId }),
  parse: parseMintedUserToken,
});
