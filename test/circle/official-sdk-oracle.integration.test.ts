import { initiateUserControlledWalletsClient } from '@circle-fin/user-controlled-wallets';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RefreshUserTokenDocument } from '../../src/generated/graphql.js';
import { startTestGateway } from '../support/gateway-server.js';
import { jwtLike } from '../support/jwt.js';
import {
  answer,
  type RecordedCall,
  startRecordingUpstream,
} from '../support/recording-upstream.js';

/**
 * The official Node SDK is the oracle for what Circle expects: for the same input, the gateway
 * must put the same request on the wire. Both talk to one recording loopback server.
 */
const API_KEY = 'TEST_API_KEY:0a1b2c3d:5e6f7a8b9c0d';
const USER_TOKEN = jwtLike({ sub: 'user-0001', exp: Math.floor(Date.now() / 1000) + 3600 });
const MINTED_TOKEN = jwtLike({ sub: 'user-0001', exp: Math.floor(Date.now() / 1000) + 3600, m: 1 });
const IDEMPOTENCY_KEY = '6a1f7c2e-3b4d-4e5f-8a9b-0c1d2e3f4a5b';
const REQUEST_ID = '1c2d3e4f-5a6b-4c7d-8e9f-0a1b2c3d4e5f';

/** The parts of a request that Circle reads. User-Agent and Accept differ by design. */
function wire(call: RecordedCall) {
  return {
    method: call.method,
    path: call.path,
    authorization: call.headers.authorization,
    contentType: call.headers['content-type']?.split(';')[0],
    userToken: call.headers['x-user-token'],
    requestId: call.headers['x-request-id'],
    body: call.body,
  };
}

describe('the gateway and the official SDK put the same request on the wire', () => {
  let upstream: Awaited<ReturnType<typeof startRecordingUpstream>>;
  let gateway: Awaited<ReturnType<typeof startTestGateway>>;

  beforeAll(async () => {
    upstream = await startRecordingUpstream((call, res) => {
      if (call.path === '/v1/w3s/users/token') {
        answer(res, call, 200, { data: { userToken: MINTED_TOKEN, encryptionKey: 'ek-minted' } });
      } else {
        answer(res, call, 200, {
          data: {
            userToken: jwtLike({ sub: 'user-0001', exp: 4102444800 }),
            encryptionKey: 'ek-new',
            userID: 'user-0001',
            refreshToken: 'rt-new',
          },
        });
      }
    });
    gateway = await startTestGateway({ CIRCLE_API_KEY: API_KEY, CIRCLE_BASE_URL: upstream.url });
  });
  afterAll(async () => {
    await gateway?.close();
    await upstream?.close();
  });

  const sdk = () => initiateUserControlledWalletsClient({ apiKey: API_KEY, baseUrl: upstream.url });

  it('on the userToken path', async () => {
    upstream.calls.length = 0;
    await sdk().refreshUserToken({
      userToken: USER_TOKEN,
      deviceId: 'device-0001',
      refreshToken: 'rt-old',
      idempotencyKey: IDEMPOTENCY_KEY,
      xRequestId: REQUEST_ID,
    });
    const { body } = await gateway.execute(
      RefreshUserTokenDocument,
      {
        input: {
          user: { userToken: USER_TOKEN },
          deviceId: 'device-0001',
          refreshToken: 'rt-old',
          idempotencyKey: IDEMPOTENCY_KEY,
        },
      },
      { 'x-request-id': REQUEST_ID },
    );
    expect(body.errors).toBeUndefined();
    expect(body.data?.refreshUserToken).toMatchObject({
      userId: 'user-0001',
      refreshToken: 'rt-new',
      encryptionKey: 'ek-new',
      expiresAt: '2100-01-01T00:00:00Z',
    });
    expect(upstream.calls).toHaveLength(2);
    const [fromSdk, fromGateway] = upstream.calls.map(wire);
    expect(fromGateway).toEqual(fromSdk);
    expect(fromSdk).toMatchObject({
      method: 'POST',
      path: '/v1/w3s/users/token/refresh',
      authorization: `Bearer ${API_KEY}`,
      userToken: USER_TOKEN,
      body: JSON.stringify({
        idempotencyKey: IDEMPOTENCY_KEY,
        refreshToken: 'rt-old',
        deviceId: 'device-0001',
      }),
    });
  });

  it('on the userId path: the same mint, then the same refresh', async () => {
    upstream.calls.length = 0;
    await sdk().refreshUserToken({
      userId: 'user-0001',
      deviceId: 'device-0001',
      refreshToken: 'rt-old',
      idempotencyKey: IDEMPOTENCY_KEY,
      xRequestId: REQUEST_ID,
    });
    const fromSdk = upstream.calls.splice(0).map(wire);
    const { body } = await gateway.execute(
      RefreshUserTokenDocument,
      {
        input: {
          user: { userId: 'user-0001' },
          deviceId: 'device-0001',
          refreshToken: 'rt-old',
          idempotencyKey: IDEMPOTENCY_KEY,
        },
      },
      { 'x-request-id': REQUEST_ID },
    );
    expect(body.errors).toBeUndefined();
    const fromGateway = upstream.calls.map(wire);
    expect(fromSdk.map((call) => call.path)).toEqual([
      '/v1/w3s/users/token',
      '/v1/w3s/users/token/refresh',
    ]);
    // The SDK does not forward its X-Request-Id on the mint; the gateway does, so support can
    // follow one mutation across both calls. Everything else is the same.
    expect(fromSdk[0]?.requestId).toBeUndefined();
    expect(fromGateway[0]?.requestId).toBe(REQUEST_ID);
    expect({ ...fromGateway[0], requestId: undefined }).toEqual(fromSdk[0]);
    expect(fromGateway[1]).toEqual(fromSdk[1]);
    expect(fromGateway[1]?.userToken).toBe(MINTED_TOKEN);
  });
});
