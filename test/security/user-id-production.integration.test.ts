import { describe, expect, it } from 'vitest';
import { securityOptionsFromConfig } from '../../src/security/from-config.js';
import { readConfig } from '../../src/settings.js';
import { createApiGateway } from '../support/api-gateway.js';
import { productionGateways, type TestGateway } from '../support/loopback-gateway.js';
import { REFRESH_MUTATION } from '../support/refresh.js';
import { post } from '../support/requests.js';
import { refreshInputByUserId } from '../support/session.js';

const KEY = 'TEST_API_KEY:userid-prod:userid-prod-secret';

describe('the userId path in production (NODE_ENV=production)', () => {
  const rig = productionGateways(KEY);
  const { start } = rig;

  const refreshByUserId = async (gateway: TestGateway) => {
    const session = await rig.upstream.simulator.createSession();
    return post(gateway.graphqlUrl, {
      query: REFRESH_MUTATION,
      variables: {
        input: refreshInputByUserId(session),
      },
    });
  };

  it.each([
    ['Yoga (FAST_PATH=false)', 'false'],
    ['the default (fast path on)', 'true'],
  ])('is off by default, FORBIDDEN before any call to Circle: %s', async (_name, fastPath) => {
    const gateway = await start({ FAST_PATH: fastPath });
    // Three times: the later ones are served by the fast path when it is on.
    for (let i = 0; i < 3; i += 1) {
      const before = rig.upstream.simulator.requests.length;
      const refused = await refreshByUserId(gateway);
      expect(refused.status).toBe(403);
      expect(refused.json.errors?.[0]?.extensions).toMatchObject({
        code: 'FORBIDDEN',
        reason: 'USER_ID_PATH_DISABLED',
      });
      // No mint, no refresh: nothing tells whether the user exists.
      expect(rig.upstream.simulator.requests.length).toBe(before);
    }
    if (fastPath === 'true') expect(gateway.gateway.fastPathStats().served).toBeGreaterThan(0);
  });

  it('is on with USER_ID_PATH=enabled', async () => {
    const gateway = await start({ USER_ID_PATH: 'enabled' });
    const answer = await refreshByUserId(gateway);
    expect(answer.json.errors).toBeUndefined();
  });

  it('stays on in development by default', () => {
    expect(securityOptionsFromConfig(readConfig({})).userIdPath).toBe('enabled');
    const production = readConfig({ NODE_ENV: 'production', CIRCLE_API_KEY: KEY });
    expect(securityOptionsFromConfig(production).userIdPath).toBe('authorized');
  });
});

describe("userIdPath 'authorized' (production's default)", () => {
  const byUserId = { input: { user: { userId: 'user-0001' }, deviceId: 'd', refreshToken: 'r' } };

  it('refuses every userId refresh when no authorizeUserId hook is configured', async () => {
    const api = createApiGateway({ gateway: { security: { userIdPath: 'authorized' } } });
    const answer = await api.graphql(REFRESH_MUTATION, byUserId);
    expect(answer.status).toBe(403);
    expect(answer.body.errors?.[0]?.extensions?.reason).toBe('USER_ID_PATH_DISABLED');
    expect(api.requests).toEqual([]);
  });

  it('lets the hook decide when one is configured', async () => {
    const api = createApiGateway({
      gateway: {
        security: { userIdPath: 'authorized' },
        authorizeUserId: ({ request, userId }) =>
          request.headers.get('authorization') === `Bearer user:${userId}`,
      },
    });
    api.onMint({ body: { data: { userToken: 'minted', encryptionKey: 'k' } } });
    api.onRefresh({ body: { data: { userToken: 'new-user-token', refreshToken: 'rt-2' } } });
    const refused = await api.graphql(REFRESH_MUTATION, byUserId);
    expect(refused.body.errors?.[0]?.extensions?.reason).toBe('USER_ID_NOT_AUTHORIZED');
    const allowed = await api.graphql(REFRESH_MUTATION, byUserId, {
      authorization: 'Bearer user:user-0001',
    });
    expect(allowed.body.errors).toBeUndefined();
    expect(api.requests).toHaveLength(2);
  });
});
