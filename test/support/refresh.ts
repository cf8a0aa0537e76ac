import { print } from 'graphql';
import { RefreshUserTokenDocument } from '../../src/generated/graphql.js';

/**
 * The operation a frontend sends (schema/operations/refresh-user-token.graphql), printed from
 * codegen's typed document so no test carries a copy that could drift from it.
 */
export const REFRESH_MUTATION = print(RefreshUserTokenDocument);

export interface RefreshPayload {
  refreshUserToken: {
    userToken: string;
    encryptionKey: string | null;
    refreshToken: string | null;
    userId: string | null;
    expiresAt: string | null;
    idempotencyKey: string;
    requestId: string | null;
  };
}
