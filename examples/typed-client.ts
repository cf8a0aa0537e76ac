/**
 * A frontend calling the gateway with full types: plain `fetch`, and the typed document that
 * `npm run codegen` generates from schema/operations/refresh-user-token.graphql.
 */
import type { ResultOf, TypedDocumentNode, VariablesOf } from '@graphql-typed-document-node/core';
import { print } from 'graphql';
import { RefreshUserTokenDocument } from '../src/generated/graphql.js';

/** A GraphQL error as the gateway sends it: `extensions.code` is one of the contract's codes. */
export interface GatewayError {
  message: string;
  extensions?: { code?: string; retryable?: boolean; [key: string]: unknown };
}

/** Thrown when the answer has errors; `code` is the first error's `extensions.code`. */
export class GatewayRequestError extends Error {
  override readonly name = 'GatewayRequestError';
  readonly code: string | undefined;
  constructor(readonly errors: GatewayError[]) {
    super(errors[0]?.message ?? 'The gateway answered with errors.');
    this.code = errors[0]?.extensions?.code;
  }
}

/** POSTs one typed operation; resolves to its typed `data`, or throws a GatewayRequestError. */
export async function request<TResult, TVariables>(
  url: string,
  document: TypedDocumentNode<TResult, TVariables>,
  variables: TVariables,
): Promise<TResult> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/graphql-response+json' },
    body: JSON.stringify({ query: print(document), variables }),
  });
  const body = (await response.json()) as { data?: TResult | null; errors?: GatewayError[] };
  if (body.errors?.length) throw new GatewayRequestError(body.errors);
  if (body.data == null) throw new GatewayRequestError([{ message: `HTTP ${response.status}` }]);
  return body.data;
}

export type RefreshVariables = VariablesOf<typeof RefreshUserTokenDocument>;
export type RefreshResult = ResultOf<typeof RefreshUserTokenDocument>;

/** Exchanges the SDK session's refresh token for a new user token (and a new refresh token). */
export async function refreshUserToken(
  url: string,
  input: RefreshVariables['input'],
): Promise<RefreshResult['refreshUserToken']> {
  const data = await request(url, RefreshUserTokenDocument, { input });
  return data.refreshUserToken;
}
