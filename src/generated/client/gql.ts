/* eslint-disable */
import * as types from './graphql.js';



/**
 * Map of all GraphQL operations in the project.
 *
 * This map has several performance disadvantages:
 * 1. It is not tree-shakeable, so it will include all operations in the project.
 * 2. It is not minifiable, so the string of a GraphQL query will be multiple times inside the bundle.
 * 3. It does not support dead code elimination, so it will add unused operations.
 *
 * Therefore it is highly recommended to use the babel or swc plugin for production.
 * Learn more about it here: https://the-guild.dev/graphql/codegen/plugins/presets/preset-client#reducing-bundle-size
 */
type Documents = {
    "query GatewayInfo {\n  circleWalletsGateway {\n    version\n    simulated\n  }\n}": typeof types.GatewayInfoDocument,
    "mutation RefreshUserToken($input: RefreshUserTokenInput!) {\n  refreshUserToken(input: $input) {\n    userToken\n    encryptionKey\n    refreshToken\n    userId\n    expiresAt\n    idempotencyKey\n    requestId\n  }\n}": typeof types.RefreshUserTokenDocument,
};
const documents: Documents = {
    "query GatewayInfo {\n  circleWalletsGateway {\n    version\n    simulated\n  }\n}": types.GatewayInfoDocument,
    "mutation RefreshUserToken($input: RefreshUserTokenInput!) {\n  refreshUserToken(input: $input) {\n    userToken\n    encryptionKey\n    refreshToken\n    userId\n    expiresAt\n    idempotencyKey\n    requestId\n  }\n}": types.RefreshUserTokenDocument,
};

/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "query GatewayInfo {\n  circleWalletsGateway {\n    version\n    simulated\n  }\n}"): typeof import('./graphql.js').GatewayInfoDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "mutation RefreshUserToken($input: RefreshUserTokenInput!) {\n  refreshUserToken(input: $input) {\n    userToken\n    encryptionKey\n    refreshToken\n    userId\n    expiresAt\n    idempotencyKey\n    requestId\n  }\n}"): typeof import('./graphql.js').RefreshUserTokenDocument;


export function graphql(source: string) {
  return (documents as any)[source] ?? {};
}
