/**
 * A frontend calling the gateway with full types and nothing but `fetch`: the typed document
 * string that `npm run codegen` writes from schema/operations/refresh-user-token.graphql
 * (src/generated/client/). No graphql-js: the document already is the query text.
 *
 * The browser client (`…/client`, src/client/) does this and more (GatewayError, the session
 * keeper); this file shows the wire, for apps that want no library at all.
 */
import {
  RefreshUserTokenDocument,
  type RefreshUserTokenMutation,
  type RefreshUserTokenMutationVariables,
  type TypedDocumentString,
} from '../src/generated/client/graphql.js';

/** A GraphQL error as the gateway sends it: `extensions.code` is one of the contract's codes. */
export interface GatewayErrorBody {
  message: string;
  extensions?: { code?: string; retryable?: boolean; [key: string]: unknown };
}

/** Thrown when the answer has errors; `code` is the first error's `extensions.code`. */
export class GatewayRequestError extends Error {
  override readonly name = 'GatewayRequestError';
  readonly code: string | undefined;
  constructor(readonly errors: GatewayErrorBody[]) {
    super(errors[0]?.message ?? 'The gateway answered with errors.');
    this.code = errors[0]?.extensions?.code;
  }
}

/** POSTs one typed operation; resolves to its typed `data`, or throws a GatewayRequestError. */
export async function request<TResult, TVariables>(
  url: string,
  document: TypedDocumentString<TResult, TVariables>,
  variables: TVariables,
): Promise<TResult> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/graphql-response+json' },
    body: JSON.stringify({ query: document.toString(), variables }),
  });
  const body = (await response.json()) as { data?: TResult | null; errors?: GatewayErrorBody[] };
  if (body.errors?.length) throw new GatewayRequestError(body.errors);
  if (body.data == null) throw new GatewayRequestError([{ message: `HTTP ${response.status}` }]);
  return body.data;
}

export type RefreshVariables = RefreshUserTokenMutationVariables;
export type RefreshResult = RefreshUserTokenMutation;

/** Exchanges the SDK session's refresh token for a new user token (and a new refresh token). */
export async function refreshUserToken(
  url: string,
  input: RefreshVariables['input'],
): Promise<RefreshResult['refreshUserToken']> {
  const data = await request(url, RefreshUserTokenDocument, { input });
  return data.refreshUserToken;
}
