import { describe, expect, it } from 'vitest';
import { UserTokenCache } from '../../src/refresh/user-token-cache.js';
import { createApiGateway, MINT_PATH, REFRESH_PATH } from '../support/api-gateway.js';
import { jwtLike } from '../support/jwt.js';
import { REFRESH_MUTATION, type RefreshPayload } from '../support/refresh.js';

const MINUTE = 60_000;

const byUserId = (userId = 'user-0001', refreshToken = 'refresh-token-0001') => ({
  input: { user: { userId }, deviceId: 'device-0001', refreshToken },
});

const minted = (userToken: string) => ({ body: { data: { userToken, encryptionKey: 'k' } } });
const refreshed = { body: { data: { userToken: 'new-user-token', refreshToken: 'rt-2' } } };
const expired = {
  status: 403,
  body: { code: 155104, message: 'The userToken is expired.' },
  headers: { 'x-request-id': 'circle-expired' },
};

const sentTokens = (requests: { path: string; headers: Record<string, string> }[]) =>
  requests.map((r) => (r.path === MINT_PATH ? 'mint' : `refresh:${r.headers['x-user-token']}`));

describe('the userId path', () => {
  it('mints once for two requests for the same user, using the cached token the second time', async () => {
    const api = createApiGateway();
    api.onMint(minted('minted-1'));
    api.onRefresh(refreshed, { times: 2 });

    const first = await api.graphql<RefreshPayload>(REFRESH_MUTATION, byUserId());
    const second = await api.graphql<RefreshPayload>(
      REFRESH_MUTATION,
      byUserId('user-0001', 'rt-2'),
    );

    expect(first.body.data?.refreshUserToken.userToken).toBe('new-user-token');
    expect(second.body.data?.refreshUserToken.userToken).toBe('new-user-token');
    expect(sentTokens(api.requests)).toEqual(['mint', 'refresh:minted-1', 'refresh:minted-1']);
  });

  it('mints separately for different users', async () => {
    const api = createApiGateway();
    api.onMint((request) => minted(`minted-for-${String(request.body.userId)}`), { times: 2 });
    api.onRefresh(refreshed, { times: 2 });

    await api.graphql(REFRESH_MUTATION, byUserId('user-0001'));
    await api.graphql(REFRESH_MUTATION, byUserId('user-0002'));

    expect(sentTokens(api.requests)).toEqual([
      'mint',
      'refresh:minted-for-user-0001',
      'mint',
      'refresh:minted-for-user-0002',
    ]);
  });

  it('re-mints once and refreshes once more when Circle says the cached token expired (155104)', async () => {
    const api = createApiGateway();
    api.onMint(minted('minted-1'));
    api.onRefresh(refreshed);
    await api.graphql(REFRESH_MUTATION, byUserId());

    api.onRefresh(expired);
    api.onMint(minted('minted-2'));
    api.onRefresh(refreshed, { times: 2 });
    const { body } = await api.graphql<RefreshPayload>(
      REFRESH_MUTATION,
      byUserId('user-0001', 'rt-2'),
    );
    await api.graphql(REFRESH_MUTATION, byUserId('user-0001', 'rt-3'));

    expect(body.errors).toBeUndefined();
    expect(body.data?.refreshUserToken.userToken).toBe('new-user-token');
    expect(sentTokens(api.requests)).toEqual([
      'mint',
      'refresh:minted-1',
      'refresh:minted-1',
      'mint',
      'refresh:minted-2',
      'refresh:minted-2',
    ]);
    // The retried refresh is the same operation: same idempotency key and body.
    expect(api.requests[4]?.body).toEqual(api.requests[2]?.body);
  });

  it.each([
    [155103, 401],
    [155105, 403],
  ])('re-mints once too when Circle says %i', async (code, status) => {
    const api = createApiGateway();
    api.onMint(minted('minted-1'));
    api.onRefresh({ status, body: { code, message: 'no' } });
    api.onMint(minted('minted-2'));
    api.onRefresh(refreshed);

    const { body } = await api.graphql<RefreshPayload>(REFRESH_MUTATION, byUserId());

    expect(body.data?.refreshUserToken.userToken).toBe('new-user-token');
    expect(sentTokens(api.requests)).toEqual([
      'mint',
      'refresh:minted-1',
      'mint',
      'refresh:minted-2',
    ]);
  });

  it('answers USER_TOKEN_EXPIRED when the re-minted token is refused as expired too', async () => {
    const api = createApiGateway();
    api.onMint(minted('minted-1'));
    api.onRefresh(expired);
    api.onMint(minted('minted-2'));
    api.onRefresh(expired);

    const { body } = await api.graphql<RefreshPayload>(REFRESH_MUTATION, byUserId());

    expect(body.data).toBeNull();
    expect(body.errors?.[0]?.extensions).toMatchObject({
      code: 'USER_TOKEN_EXPIRED',
      retryable: false,
      upstream: {
        status: 403,
        code: 155104,
        requestId: 'circle-expired',
        message: 'The userToken is expired.',
      },
    });
    expect(sentTokens(api.requests)).toEqual([
      'mint',
      'refresh:minted-1',
      'mint',
      'refresh:minted-2',
    ]);
  });

  it('does not re-mint on other refusals', async () => {
    const api = createApiGateway();
    api.onMint(minted('minted-1'));
    api.onRefresh({ status: 400, body: { code: 155113, message: 'bad device' } });

    const { body } = await api.graphql(REFRESH_MUTATION, byUserId());

    expect(body.errors?.[0]?.extensions?.code).toBe('DEVICE_INVALID');
    expect(sentTokens(api.requests)).toEqual(['mint', 'refresh:minted-1']);
  });

  it('never serves a cached token past the cache TTL', async () => {
    const clock = { now: Date.parse('2026-11-27T20:00:00Z') };
    const userTokenCache = new UserTokenCache({ now: () => clock.now, ttlMs: 50 * MINUTE });
    const api = createApiGateway({ gateway: { userTokenCache } });
    api.onMint(minted('minted-1'));
    api.onMint(minted('minted-2'));
    api.onRefresh(refreshed, { times: 3 });

    await api.graphql(REFRESH_MUTATION, byUserId());
    clock.now += 50 * MINUTE - 1;
    await api.graphql(REFRESH_MUTATION, byUserId('user-0001', 'rt-2'));
    clock.now += 1;
    await api.graphql(REFRESH_MUTATION, byUserId('user-0001', 'rt-3'));

    expect(sentTokens(api.requests)).toEqual([
      'mint',
      'refresh:minted-1',
      'refresh:minted-1',
      'mint',
      'refresh:minted-2',
    ]);
  });

  it('never serves a cached token within a minute of its own JWT exp', async () => {
    const clock = { now: Date.parse('2026-11-27T20:00:00Z') };
    const userTokenCache = new UserTokenCache({ now: () => clock.now });
    const api = createApiGateway({ gateway: { userTokenCache } });
    const shortLived = jwtLike({ exp: (clock.now + 10 * MINUTE) / 1000 });
    api.onMint(minted(shortLived));
    api.onMint(minted('minted-2'));
    api.onRefresh(refreshed, { times: 3 });

    await api.graphql(REFRESH_MUTATION, byUserId());
    clock.now += 9 * MINUTE - 1;
    await api.graphql(REFRESH_MUTATION, byUserId('user-0001', 'rt-2'));
    clock.now += 1;
    await api.graphql(REFRESH_MUTATION, byUserId('user-0001', 'rt-3'));

    expect(sentTokens(api.requests)).toEqual([
      'mint',
      `refresh:${shortLived}`,
      `refresh:${shortLived}`,
      'mint',
      'refresh:minted-2',
    ]);
  });

  it('answers USER_NOT_FOUND without a refresh when the mint says 155102', async () => {
    const api = createApiGateway();
    api.onMint({
      status: 404,
      body: { code: 155102, message: 'Cannot find the user.' },
      headers: { 'x-request-id': 'circle-mint-404' },
    });

    const { body } = await api.graphql(REFRESH_MUTATION, byUserId());

    expect(body.errors?.[0]?.extensions).toMatchObject({
      code: 'USER_NOT_FOUND',
      retryable: false,
      upstream: {
        status: 404,
        code: 155102,
        requestId: 'circle-mint-404',
        message: 'Cannot find the user.',
      },
    });
    expect(api.requests.map((r) => r.path)).toEqual([MINT_PATH]);
  });

  it('mints once for concurrent requests for the same user', async () => {
    const api = createApiGateway();
    api.onMint(minted('minted-1'), { delayMs: 30 });
    api.onRefresh(refreshed, { times: 2 });

    await Promise.all([
      api.graphql(REFRESH_MUTATION, byUserId('user-0001', 'rt-a')),
      api.graphql(REFRESH_MUTATION, byUserId('user-0001', 'rt-b')),
    ]);

    expect(api.requests.filter((r) => r.path === MINT_PATH)).toHaveLength(1);
    expect(api.requests.filter((r) => r.path === REFRESH_PATH)).toHaveLength(2);
  });
});
