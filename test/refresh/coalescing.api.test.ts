import { describe, expect, it } from 'vitest';
import { createApiGateway, REFRESH_PATH } from '../support/api-gateway.js';
import { jwtLike } from '../support/jwt.js';
import { REFRESH_MUTATION, type RefreshPayload } from '../support/refresh.js';
import { postJson } from '../support/requests.js';

const input = (refreshToken = 'refresh-token-0001', extra: Record<string, unknown> = {}) => ({
  input: {
    user: { userToken: jwtLike({ sub: 'user-0001' }) },
    deviceId: 'device-0001',
    refreshToken,
    ...extra,
  },
});

const refreshed = (request: { body: Record<string, unknown> }) => ({
  body: {
    data: {
      userToken: `new-for-${String(request.body.refreshToken)}`,
      refreshToken: 'rotated',
    },
  },
  headers: { 'x-request-id': 'circle-request-shared' },
});

describe('identical concurrent refreshes', () => {
  it('make one upstream refresh, and both callers get the same payload', async () => {
    let coalesced = 0;
    const api = createApiGateway({ gateway: { onCoalesced: () => (coalesced += 1) } });
    api.onRefresh(refreshed, { delayMs: 50 });

    const [a, b] = await Promise.all([
      api.graphql<RefreshPayload>(REFRESH_MUTATION, input()),
      api.graphql<RefreshPayload>(REFRESH_MUTATION, input()),
    ]);

    expect(api.requests.filter((r) => r.path === REFRESH_PATH)).toHaveLength(1);
    expect(a.body.errors).toBeUndefined();
    expect(b.body).toEqual(a.body);
    expect(a.body.data?.refreshUserToken.idempotencyKey).toBe(api.requests[0]?.body.idempotencyKey);
    expect(coalesced).toBe(1);
  });

  it('are not merged when their refresh tokens differ', async () => {
    const api = createApiGateway();
    api.onRefresh(refreshed, { delayMs: 50, times: 2 });

    const [a, b] = await Promise.all([
      api.graphql<RefreshPayload>(REFRESH_MUTATION, input('refresh-token-A')),
      api.graphql<RefreshPayload>(REFRESH_MUTATION, input('refresh-token-B')),
    ]);

    expect(api.requests).toHaveLength(2);
    expect(a.body.data?.refreshUserToken.userToken).toBe('new-for-refresh-token-A');
    expect(b.body.data?.refreshUserToken.userToken).toBe('new-for-refresh-token-B');
    expect(a.body.data?.refreshUserToken.idempotencyKey).not.toBe(
      b.body.data?.refreshUserToken.idempotencyKey,
    );
  });

  it('are not merged when their idempotency keys differ', async () => {
    const api = createApiGateway();
    api.onRefresh(refreshed, { delayMs: 50, times: 2 });

    await Promise.all([
      api.graphql(
        REFRESH_MUTATION,
        input('rt', { idempotencyKey: '11111111-1111-4111-8111-111111111111' }),
      ),
      api.graphql(
        REFRESH_MUTATION,
        input('rt', { idempotencyKey: '22222222-2222-4222-8222-222222222222' }),
      ),
    ]);

    expect(api.requests.map((r) => r.body.idempotencyKey)).toEqual([
      '11111111-1111-4111-8111-111111111111',
      '22222222-2222-4222-8222-222222222222',
    ]);
  });

  it('share the error too: both get USER_TOKEN_EXPIRED from one upstream call', async () => {
    const api = createApiGateway();
    api.onRefresh({ status: 403, body: { code: 155104, message: 'expired' } }, { delayMs: 50 });

    const [a, b] = await Promise.all([
      api.graphql(REFRESH_MUTATION, input()),
      api.graphql(REFRESH_MUTATION, input()),
    ]);

    expect(api.requests).toHaveLength(1);
    expect(a.body.errors?.[0]?.extensions?.code).toBe('USER_TOKEN_EXPIRED');
    expect(b.body.errors?.[0]?.extensions?.code).toBe('USER_TOKEN_EXPIRED');
  });

  it('refresh again once the first has settled (sequential calls are not merged)', async () => {
    const api = createApiGateway();
    api.onRefresh(refreshed, { times: 2 });

    await api.graphql(REFRESH_MUTATION, input());
    await api.graphql(REFRESH_MUTATION, input());

    expect(api.requests).toHaveLength(2);
  });

  it('still answer the caller that stays when the other one goes away', async () => {
    const api = createApiGateway();
    api.onRefresh(refreshed, { delayMs: 100 });
    const controller = new AbortController();
    const body = JSON.stringify({ query: REFRESH_MUTATION, variables: input() });

    const leaving = Promise.resolve(
      postJson(
        'http://localhost/graphql',
        body,
        {},
        {
          fetch: api.gateway.yoga.fetch,
          signal: controller.signal,
        },
      ),
    ).catch(() => undefined);
    await new Promise((resolve) => setTimeout(resolve, 10));
    const staying = api.graphql<RefreshPayload>(REFRESH_MUTATION, input());
    await new Promise((resolve) => setTimeout(resolve, 10));
    controller.abort();
    const [, stayed] = await Promise.all([leaving, staying]);

    expect(api.requests).toHaveLength(1);
    expect(stayed.body.errors).toBeUndefined();
    expect(stayed.body.data?.refreshUserToken.userToken).toBe('new-for-refresh-token-0001');
  });
});
