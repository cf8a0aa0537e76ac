import { createSessions, type Refreshes, tokenOf } from './fixtures.js';
import {
  graphqlData,
  graphqlError,
  graphqlRequest,
  proxyRequest,
  type Refresh,
  refreshesFor,
  type Target,
  type TargetId,
  upstreamRequest,
} from './targets.js';

/** Every set of refreshes a run may need, `bodies` each, on sessions of their own. */
export async function createRefreshes(
  upstreamUrl: string,
  bodies: number,
  withGatewayB: boolean,
): Promise<Refreshes> {
  // One set shared by the upstream, proxy and userToken scenarios: all three get the same
  // replayed answer from the same upstream entry, so the upstream's work is identical.
  const shared = refreshesFor(await createSessions(upstreamUrl, bodies));
  const byUserId = refreshesFor(await createSessions(upstreamUrl, bodies));
  const byUserIdB = withGatewayB ? refreshesFor(await createSessions(upstreamUrl, bodies)) : [];
  const tampered = refreshesFor(await createSessions(upstreamUrl, bodies), true);
  const blank = refreshesFor(await createSessions(upstreamUrl, bodies));
  return { shared, byUserId, byUserIdB, tampered, blank };
}

/** The six scenarios: two references, then the gateway's four paths. */
export function scenarios(
  origins: { upstream: string; proxy: string; gateway: string },
  refreshes: Refreshes,
): Record<TargetId, () => Target> {
  const { shared, byUserId, tampered, blank } = refreshes;
  return {
    upstream: () => ({
      id: 'upstream',
      label: 'r1 upstream direct',
      measures: 'the simulator answering the refresh body itself (replay lookup): the ceiling',
      reference: true,
      server: 'upstream',
      origin: origins.upstream,
      requests: shared.map(upstreamRequest),
      expectedStatus: 200,
      expectedUpstream: { refresh: 1, mint: 0 },
      problem: (status, body) =>
        status === 200 && typeof tokenOf(body, 'upstream') === 'string'
          ? undefined
          : `HTTP ${status}`,
    }),
    proxy: () => ({
      id: 'proxy',
      label: 'r2 minimal proxy',
      measures: 'node:http + undici Pool, same upstream call, same JSON out: the Node floor',
      reference: true,
      server: 'proxy',
      origin: origins.proxy,
      requests: shared.map(proxyRequest),
      expectedStatus: 200,
      expectedUpstream: { refresh: 1, mint: 0 },
      problem: (status, body) =>
        status === 200 && typeof (body as { userToken?: unknown })?.userToken === 'string'
          ? undefined
          : `HTTP ${status}`,
    }),
    userToken: () => ({
      id: 'userToken',
      label: 'a userToken',
      measures: 'refreshUserToken(input: { user: { userToken } }): one upstream refresh',
      reference: false,
      server: 'gateway',
      origin: origins.gateway,
      requests: shared.map((r) => graphqlRequest(r, 'userToken')),
      expectedStatus: 200,
      expectedUpstream: { refresh: 1, mint: 0 },
      problem: graphqlData,
    }),
    userId: () => ({
      id: 'userId',
      label: 'b userId (warm)',
      measures: 'refreshUserToken by userId, minted token cached: cache hit + one upstream refresh',
      reference: false,
      server: 'gateway',
      origin: origins.gateway,
      requests: byUserId.map((r) => graphqlRequest(r, 'userId')),
      expectedStatus: 200,
      expectedUpstream: { refresh: 1, mint: 0 },
      problem: graphqlData,
    }),
    upstreamError: () => ({
      id: 'upstreamError',
      label: 'c upstream error',
      measures: 'a user token with a broken signature: Circle 155105 -> USER_TOKEN_INVALID',
      reference: false,
      server: 'gateway',
      origin: origins.gateway,
      requests: tampered.map((r: Refresh) => graphqlRequest(r, 'userToken')),
      expectedStatus: 200,
      expectedUpstream: { refresh: 1, mint: 0 },
      problem: graphqlError('USER_TOKEN_INVALID'),
    }),
    badInput: () => ({
      id: 'badInput',
      label: 'd bad input',
      measures: 'a blank refreshToken: BAD_USER_INPUT from the resolver, never upstream',
      reference: false,
      server: 'gateway',
      origin: origins.gateway,
      requests: blank.map((r) => graphqlRequest(r, 'userToken', { refreshToken: ' ' })),
      expectedStatus: 200,
      expectedUpstream: { refresh: 0, mint: 0 },
      problem: graphqlError('BAD_USER_INPUT'),
    }),
  };
}

/** The same scenario on gateway B (its userId refreshes are its own). */
export function onGatewayB(t: Target, gatewayBUrl: string, refreshes: Refreshes): Target {
  return {
    ...t,
    label: `${t.label} [B]`,
    server: 'gatewayB',
    origin: gatewayBUrl,
    requests:
      t.id === 'userId' ? refreshes.byUserIdB.map((r) => graphqlRequest(r, 'userId')) : t.requests,
  };
}
