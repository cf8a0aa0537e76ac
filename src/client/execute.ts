import type {
  RefreshUserTokenMutation,
  RefreshUserTokenMutationVariables,
} from '../generated/client/graphql.js';
import { RefreshUserTokenDocument } from '../generated/client/graphql.js';
import { GatewayError, type GraphQLErrorBody, gatewayErrorFrom } from './gateway-error.js';

/** A typed document string as codegen writes it: the text, with its result and variables types. */
export interface TypedDocumentString<TResult, TVariables> {
  toString(): string;
  /** Only for type inference: never set at run time. */
  __apiType?: (variables: TVariables) => TResult;
}

export interface GatewayCallOptions {
  /** The gateway's GraphQL endpoint, e.g. `https://gateway.example.com/graphql`. */
  url: string;
  /**
   * The fetch to use (a wrapper that adds headers, a test double).
   * @default globalThis.fetch
   */
  fetch?: typeof fetch;
  /**
   * Give up after this many milliseconds; the error is `NETWORK_ERROR` (retry with the same key).
   * @default 15_000
   */
  timeoutMs?: number;
  /** Aborts the call; the error is then `NETWORK_ERROR` too. */
  signal?: AbortSignal;
  /** Extra request headers. */
  headers?: Record<string, string>;
}

/**
 * POSTs one operation and resolves to its typed `data`, or throws a GatewayError. The request
 * is plain GraphQL over HTTP: no graphql-js, the document is already a string.
 */
export async function executeOperation<TResult, TVariables>(
  document: TypedDocumentString<TResult, TVariables>,
  variables: TVariables,
  options: GatewayCallOptions,
  idempotencyKey?: string,
): Promise<TResult> {
  const { url, timeoutMs = 15_000, signal, headers } = options;
  // Kept in a local: calling window.fetch as a method of the options object throws
  // "Illegal invocation" in browsers.
  const doFetch = options.fetch ?? fetch;
  const timeout = AbortSignal.timeout(timeoutMs);
  let response: Response;
  let body: { data?: TResult | null; errors?: GraphQLErrorBody[] } | undefined;
  try {
    response = await doFetch(url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        accept: 'application/graphql-response+json, application/json',
        ...headers,
      },
      body: JSON.stringify({ query: document.toString(), variables }),
      signal: signal ? AbortSignal.any([signal, timeout]) : timeout,
      credentials: 'omit',
    });
    body = await response.json().catch(() => undefined);
  } catch (cause) {
    throw networkError('The gateway could not be reached.', idempotencyKey, cause);
  }
  if (body?.errors?.length) {
    throw gatewayErrorFrom(body.errors, response.headers.get('retry-after'), idempotencyKey);
  }
  if (body?.data == null) {
    throw networkError(
      `The gateway did not answer in GraphQL (HTTP ${response.status}).`,
      idempotencyKey,
    );
  }
  return body.data;
}

function networkError(message: string, idempotencyKey: string | undefined, cause?: unknown) {
  return new GatewayError(message, {
    code: 'NETWORK_ERROR',
    retryable: true,
    idempotencyKey,
    cause,
  });
}

export type RefreshUserTokenInput = RefreshUserTokenMutationVariables['input'];
export type UserTokenPayload = RefreshUserTokenMutation['refreshUserToken'];

/**
 * Exchanges a refresh token for a new user token (and a new refresh token). Send
 * `idempotencyKey` to be able to retry safely: after a `NETWORK_ERROR` or a retryable error, call
 * again with the same key and Circle replays its answer instead of rejecting a used token.
 */
export async function refreshUserToken(
  input: RefreshUserTokenInput,
  options: GatewayCallOptions,
): Promise<UserTokenPayload> {
  const data = await executeOperation(
    RefreshUserTokenDocument,
    { input },
    options,
    input.idempotencyKey ?? undefined,
  );
  return data.refreshUserToken;
}
