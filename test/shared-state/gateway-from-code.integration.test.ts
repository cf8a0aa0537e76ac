import { afterAll, beforeAll, expect, it } from 'vitest';
import { createSharedState, type SharedState } from '../../src/public-api.js';
import { UserTokenCache } from '../../src/refresh/user-token-cache.js';
import { API_KEY, createApiGateway } from '../support/api-gateway.js';
import { jwtLike } from '../support/jwt.js';
import { startTestRedis, type TestRedis } from '../support/redis-server.js';
import { REFRESH_MUTATION, type RefreshPayload } from '../support/refresh.js';
import { requires } from '../support/requires.js';

/** `createGateway({ sharedState })` as a host builds it from code: two gateways, one Redis. */
let redis: TestRedis;
const states: SharedState[] = [];

const gatewayOnRedis = async () => {
  const sharedState = await createSharedState({
    url: redis.url,
    secret: API_KEY,
    localTokenCache: new UserTokenCache(),
  });
  states.push(sharedState);
  return createApiGateway({
    gateway: {
      sharedState,
      security: {
        rateLimits: {
          store: sharedState.rateLimitStore,
          perDevice: { rate: 1, burst: 2 },
          exempt: [],
        },
      },
    },
  });
};

beforeAll(async () => {
  redis = await startTestRedis();
});
afterAll(async () => {
  for (const state of states) await state.close();
  await redis.close();
});

const exp = () => Math.floor(Date.now() / 1000) + 3600;
const input = (refreshToken: string, user: Record<string, string>) => ({
  input: { user, deviceId: 'device-from-code', refreshToken },
});

requires('redis-server').describe('createGateway({ sharedState }) built from code', () => {
  it('shares the minted token and the device limit between two gateways, and shows Redis on /ready', async () => {
    const [a, b] = [await gatewayOnRedis(), await gatewayOnRedis()];
    const minted = jwtLike({ sub: 'user-from-code', exp: exp() });
    a.onMint({ status: 200, body: { data: { userToken: minted, encryptionKey: 'ek' } } });
    const refreshed = { data: { userToken: jwtLike({ sub: 'user-from-code', exp: exp() }) } };
    a.onRefresh({ status: 200, body: refreshed });
    b.onRefresh({ status: 200, body: refreshed });

    const onA = await a.graphql<RefreshPayload>(
      REFRESH_MUTATION,
      input('rt-1', { userId: 'user-from-code' }),
    );
    expect(onA.body.errors).toBeUndefined();
    // B has no mint to answer: it uses A's token.
    const onB = await b.graphql<RefreshPayload>(
      REFRESH_MUTATION,
      input('rt-2', { userId: 'user-from-code' }),
    );
    expect(onB.body.errors).toBeUndefined();
    expect(b.requests.map((r) => r.path)).toEqual(['/v1/w3s/users/token/refresh']);
    expect(b.requests[0]?.headers['x-user-token']).toBe(minted);

    // The device's burst of 2 is spent, across both.
    const third = await b.graphql(REFRESH_MUTATION, input('rt-3', { userToken: minted }));
    expect(third.body.errors?.[0]?.extensions?.code).toBe('RATE_LIMITED');
    expect(b.requests).toHaveLength(1);

    const ready = await a.gateway.yoga.fetch('http://localhost/ready');
    expect(await ready.json()).toMatchObject({ status: 'ready', redis: { state: 'up' } });
  });
});
