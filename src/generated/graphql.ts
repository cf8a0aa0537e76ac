/* eslint-disable */
/** Internal type. DO NOT USE DIRECTLY. */
type Exact<T extends { [key: string]: unknown }> = { [K in keyof T]: T[K] };
/** Internal type. DO NOT USE DIRECTLY. */
export type Incremental<T> = T | { [P in keyof T]?: P extends ' $fragmentName' | '__typename' ? T[P] : never };
import type { TypedDocumentNode as DocumentNode } from '@graphql-typed-document-node/core';
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


export const GatewayInfoDocument = {"__meta__":{"hash":"sha256:4b91f7af2a3f0ab18e711665710eff21864ef7b9be6744fbd24dde365200d128"},"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"GatewayInfo"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"circleWalletsGateway"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"version"}},{"kind":"Field","name":{"kind":"Name","value":"simulated"}}]}}]}}]} as unknown as DocumentNode<GatewayInfoQuery, GatewayInfoQueryVariables>;
export const RefreshUserTokenDocument = {"__meta__":{"hash":"sha256:b7d2ccf107263e8c226e50e12a457481009b12bd0c5b45cf50a7076aebf3270c"},"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"mutation","name":{"kind":"Name","value":"RefreshUserToken"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"input"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"RefreshUserTokenInput"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"refreshUserToken"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"input"},"value":{"kind":"Variable","name":{"kind":"Name","value":"input"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"userToken"}},{"kind":"Field","name":{"kind":"Name","value":"encryptionKey"}},{"kind":"Field","name":{"kind":"Name","value":"refreshToken"}},{"kind":"Field","name":{"kind":"Name","value":"userId"}},{"kind":"Field","name":{"kind":"Name","value":"expiresAt"}},{"kind":"Field","name":{"kind":"Name","value":"idempotencyKey"}},{"kind":"Field","name":{"kind":"Name","value":"requestId"}}]}}]}}]} as unknown as DocumentNode<RefreshUserTokenMutation, RefreshUserTokenMutationVariables>;