/* eslint-disable */
/** Internal type. DO NOT USE DIRECTLY. */
type Exact<T extends { [key: string]: unknown }> = { [K in keyof T]: T[K] };
/** Internal type. DO NOT USE DIRECTLY. */
export type Incremental<T> = T | { [P in keyof T]?: P extends ' $fragmentName' | '__typename' ? T[P] : never };
import type { DocumentTypeDecoration } from '@graphql-typed-document-node/core';
export type RefreshUserTokenInput = {
  /** The device id from the Circle client SDK; the session is bound to it. */
  deviceId: string;
  /** Optional. Generated when absent. Send the same key again to retry safely. */
  idempotencyKey?: string | null | undefined;
  /** The refresh token from the client SDK's performLogin, or from the previous refresh. */
  refreshToken: string;
  /** The user the token is for: exactly one of userId or userToken. */
  user: UserIdentityInput;
};

/** The user the token is for: exactly one of userId or userToken. */
export type UserIdentityInput =
  {   /** Circle's user id. The gateway mints a user token for it first (POST /v1/w3s/users/token). */
  userId: string | number; userToken?: never; }
  |  { userId?: never;   /** The user's current token, the one issued together with the refresh token. */
  userToken: string; };

export type GatewayInfoQueryVariables = Exact<{ [key: string]: never; }>;


export type GatewayInfoQuery = { circleWalletsGateway: { version: string, simulated: boolean } };

export type RefreshUserTokenMutationVariables = Exact<{
  input: RefreshUserTokenInput;
}>;


export type RefreshUserTokenMutation = { refreshUserToken: { userToken: string, encryptionKey: string | null, refreshToken: string | null, userId: string | null, expiresAt: string | null, idempotencyKey: string, requestId: string | null } };

export class TypedDocumentString<TResult, TVariables>
  extends String
  implements DocumentTypeDecoration<TResult, TVariables>
{
  __apiType?: NonNullable<DocumentTypeDecoration<TResult, TVariables>['__apiType']>;
  private value: string;
  public __meta__?: Record<string, any> | undefined;

  constructor(value: string, __meta__?: Record<string, any> | undefined) {
    super(value);
    this.value = value;
    this.__meta__ = __meta__;
  }

  override toString(): string & DocumentTypeDecoration<TResult, TVariables> {
    return this.value;
  }
}

export const GatewayInfoDocument = new TypedDocumentString(`
    query GatewayInfo {
  circleWalletsGateway {
    version
    simulated
  }
}
    `, {"hash":"sha256:4b91f7af2a3f0ab18e711665710eff21864ef7b9be6744fbd24dde365200d128"}) as unknown as TypedDocumentString<GatewayInfoQuery, GatewayInfoQueryVariables>;
export const RefreshUserTokenDocument = new TypedDocumentString(`
    mutation RefreshUserToken($input: RefreshUserTokenInput!) {
  refreshUserToken(input: $input) {
    userToken
    encryptionKey
    refreshToken
    userId
    expiresAt
    idempotencyKey
    requestId
  }
}
    `, {"hash":"sha256:b7d2ccf107263e8c226e50e12a457481009b12bd0c5b45cf50a7076aebf3270c"}) as unknown as TypedDocumentString<RefreshUserTokenMutation, RefreshUserTokenMutationVariables>;