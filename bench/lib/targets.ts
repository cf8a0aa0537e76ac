import { randomUUID } from 'node:crypto';
import type { LoadRequest } from './load.js';

/** What the simulator's POST /simulator/sessions answers. */
export interface Session {
  userId: string;
  userToken: string;
  refreshToken: string;
  deviceId: string;
  encryptionKey: string;
}

/** The benchmark's API key: well-formed, accepted by the simulator, good for nothing else. */
export const BENCH_API_KEY = 'TEST_API_KEY:bench:secret';

/** What a real client sends: one document, the values as variables (Yoga caches the parse). */
export const REFRESH_MUTATION =
  'mutation RefreshUserToken($input: RefreshUserTokenInput!) { refreshUserToken(input: $input) ' +
  '{ userToken refreshToken encryptionKey userId expiresAt idempotencyKey requestId } }';

export type TargetId = 'upstream' | 'proxy' | 'userToken' | 'userId' | 'upstreamError' | 'badInput';

export const TARGET_IDS: TargetId[] = [
  'upstream',
  'proxy',
  'userToken',
  'userId',
  'upstreamError',
  'badInput',
];

export interface Target {
  id: TargetId;
  label: string;
  /** One line for the README and the report. */
  measures: string;
  reference: boolean;
  /** Which process serves the load: its CPU and memory are the target's. */
  server: 'upstream' | 'proxy' | 'gateway' | 'gatewayB';
  origin: string;
  requests: LoadRequest[];
  /** HTTP status every response must have. */
  expectedStatus: number;
  /** Upstream calls per request when nothing is coalesced, retried or cached wrongly. */
  expectedUpstream: { refresh: number; mint: number };
  /** Why a response is not the expected one, or undefined when it is. */
  problem(status: number, body: unknown): string | undefined;
}

/** One fixed refresh: a fixed idempotency key makes the upstream replay its first 200 answer. */
export interface Refresh {
  session: Session;
  userToken: string;
  refreshToken: string;
  idempotencyKey: string;
}

export function refreshesFor(sessions: Session[], tamper = false): Refresh[] {
  return sessions.map((session) => ({
    session,
    // A broken signature: the simulator verifies the JWT and answers 155105 (malformed).
    userToken: tamper ? breakSignature(session.userToken) : session.userToken,
    refreshToken: session.refreshToken,
    idempotencyKey: randomUUID(),
  }));
}

function breakSignature(token: string): string {
  const end = token.endsWith('AAAA') ? 'BBBB' : 'AAAA';
  return token.slice(0, -4) + end;
}

const JSON_HEADERS = { 'content-type': 'application/json', accept: 'application/json' };

export function upstreamRequest(r: Refresh): LoadRequest {
  return {
    method: 'POST',
    path: '/v1/w3s/users/token/refresh',
    headers: {
      ...JSON_HEADERS,
      authorization: `Bearer ${BENCH_API_KEY}`,
      'x-user-token': r.userToken,
    },
    body: JSON.stringify({
      idempotencyKey: r.idempotencyKey,
      refreshToken: r.refreshToken,
      deviceId: r.session.deviceId,
    }),
  };
}

export function proxyRequest(r: Refresh): LoadRequest {
  return {
    method: 'POST',
    path: '/refresh',
    headers: JSON_HEADERS,
    body: JSON.stringify({
      userToken: r.userToken,
      deviceId: r.session.deviceId,
      refreshToken: r.refreshToken,
      idempotencyKey: r.idempotencyKey,
    }),
  };
}

export function graphqlRequest(
  r: Refresh,
  identity: 'userToken' | 'userId',
  overrides: { refreshToken?: string } = {},
): LoadRequest {
  const user = identity === 'userId' ? { userId: r.session.userId } : { userToken: r.userToken };
  return {
    method: 'POST',
    path: '/graphql',
    headers: JSON_HEADERS,
    body: JSON.stringify({
      query: REFRESH_MUTATION,
      operationName: 'RefreshUserToken',
      variables: {
        input: {
          user,
          deviceId: r.session.deviceId,
          refreshToken: overrides.refreshToken ?? r.refreshToken,
          idempotencyKey: r.idempotencyKey,
        },
      },
    }),
  };
}

type Json = Record<string, unknown> | null | undefined;

/** A GraphQL success: data.refreshUserToken with a user token, and no errors. */
export function graphqlData(status: number, body: unknown): string | undefined {
  const json = body as Json;
  const payload = (json?.data as Json)?.refreshUserToken as Json;
  if (status !== 200) return `HTTP ${status}`;
  if (json?.errors) return `errors: ${JSON.stringify(json.errors).slice(0, 200)}`;
  if (typeof payload?.userToken !== 'string') return 'no data.refreshUserToken.userToken';
  return undefined;
}

/** A GraphQL error with the given code (and no data). */
export function graphqlError(code: string) {
  return (status: number, body: unknown): string | undefined => {
    const errors = (body as Json)?.errors as Array<{ extensions?: { code?: unknown } }> | undefined;
    const got = errors?.[0]?.extensions?.code;
    if (got !== code) return `HTTP ${status}, code ${String(got)} instead of ${code}`;
    return undefined;
  };
}
