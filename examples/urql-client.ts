/**
 * The same typed call through urql (`@urql/core`), a well-known GraphQL client, with the
 * generated document strings. urql parses query strings with its own small parser, so the app
 * still ships no graphql-js.
 *
 * `RefreshUserTokenDocument.toString()` is typed `string & DocumentTypeDecoration<Result,
 * Variables>`: urql reads the result and variables types from it. Pass the string, not the
 * document object (a `String` object is not a string to urql).
 */
import { Client, fetchExchange } from '@urql/core';
import {
  RefreshUserTokenDocument,
  type RefreshUserTokenMutationVariables,
} from '../src/generated/client/graphql.js';

/** One client per gateway; no cache exchange: a token refresh must never come from a cache. */
export function createGatewayClient(url: string): Client {
  return new Client({
    url,
    exchanges: [fetchExchange],
    fetchOptions: { headers: { accept: 'application/graphql-response+json' } },
  });
}

export async function refreshWithUrql(
  client: Client,
  input: RefreshUserTokenMutationVariables['input'],
) {
  const result = await client.mutation(RefreshUserTokenDocument.toString(), { input }).toPromise();
  if (result.error) {
    // urql keeps the GraphQL errors (with the gateway's extensions.code) on the CombinedError.
    const code = result.error.graphQLErrors[0]?.extensions?.code;
    throw Object.assign(new Error(result.error.message), { code });
  }
  // Typed: { userToken: string; refreshToken: string | null; expiresAt: string | null; … }
  return result.data!.refreshUserToken;
}
