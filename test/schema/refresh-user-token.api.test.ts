import { validate as isUuid, version as uuidVersion } from 'uuid';
import { describe, expect, it } from 'vitest';
import { API_KEY, createApiGateway, MINT_PATH, REFRESH_PATH } from '../support/api-gateway.js';
import { jwtLike } from '../support/jwt.js';
import { REFRESH_MUTATION, type RefreshPayload } from '../support/refresh.js';

const EXP = 1_893_456_000; // 2030-01-01T00:00:00Z
const NEW_USER_TOKEN = jwtLike({ sub: 'user-0001', exp: EXP });
const SENT_USER_TOKEN = jwtLike({ sub: 'user-0001', exp: EXP - 3_600 });
const CALLER_KEY = '3b241101-e2bb-4255-8caf-4136c566a962';

const refreshedAnswer = (userToken = NEW_USER_TOKEN) => ({
  body: {
    data: {
      userToken,
      encryptionKey: 'encryption-key-0002',
      userID: 'user-0001',
      refreshToken: 'refresh-token-0002',
    },
  },
  headers: { 'x-request-id': 'circle-refresh-request-1' },
});

const tokenInput = (extra: Record<string, unknown> = {}) => ({
  input: {
    user: { userToken: SENT_USER_TOKEN },
    deviceId: 'device-0001',
    refreshToken: 'refresh-token-0001',
    ...extra,
  },
});

describe('refreshUserToken with a userToken', () => {
  it('answers the new session from Circle, its expiry from the JWT and the no-store header', async () => {
    const api = createApiGateway();
    api.onRefresh(refreshedAnswer());

    const { status, headers, body } = await api.graphql<RefreshPayload>(
      REFRESH_MUTATION,
      tokenInput({ idempotencyKey: CALLER_KEY }),
    );

    expect(status).toBe(200);
    expect(headers.get('cache-control')).toBe('no-store');
    expect(body).toEqual({
      data: {
        refreshUserToken: {
          userToken: NEW_USER_TOKEN,
          encryptionKey: 'encryption-key-0002',
          refreshToken: 'refresh-token-0002',
          userId: 'user-0001',
          expiresAt: '2030-01-01T00:00:00Z',
          idempotencyKey: CALLER_KEY,
          requestId: 'circle-refresh-request-1',
        },
      },
    });
  });

  it("sends Circle one refresh with the caller's token, device, refresh token and idempotency key", async () => {
    const api = createApiGateway();
    api.onRefresh(refreshedAnswer());

    await api.graphql(REFRESH_MUTATION, tokenInput({ idempotencyKey: CALLER_KEY }));

    expect(api.requests).toHaveLength(1);
    const [request] = api.requests;
    expect(request?.method).toBe('POST');
    expect(request?.path).toBe(REFRESH_PATH);
    expect(request?.headers).toMatchObject({
      authorization: `Bearer ${API_KEY}`,
      'x-user-token': SENT_USER_TOKEN,
      'content-type': 'application/json',
    });
    expect(request?.body).toEqual({
      idempotencyKey: CALLER_KEY,
      refreshToken: 'refresh-token-0001',
      deviceId: 'device-0001',
    });
  });

  it('generates a UUID v4 idempotency key when none is given and answers the one it sent', async () => {
    const api = createApiGateway();
    api.onRefresh(refreshedAnswer());

    const { body } = await api.graphql<RefreshPayload>(REFRESH_MUTATION, tokenInput());

    const key = body.data?.refreshUserToken.idempotencyKey ?? '';
    expect(isUuid(key)).toBe(true);
    expect(uuidVersion(key)).toBe(4);
    expect(api.requests[0]?.body.idempotencyKey).toBe(key);
  });

  it('generates a different key for each mutation', async () => {
    const api = createApiGateway();
    api.onRefresh(refreshedAnswer(), { times: 2 });

    const first = await api.graphql<RefreshPayload>(REFRESH_MUTATION, tokenInput());
    const second = await api.graphql<RefreshPayload>(REFRESH_MUTATION, tokenInput());

    expect(first.body.data?.refreshUserToken.idempotencyKey).not.toBe(
      second.body.data?.refreshUserToken.idempotencyKey,
    );
  });

  it('answers expiresAt one hour from now when the new token is not a JWT', async () => {
    const api = createApiGateway();
    api.onRefresh(refreshedAnswer('opaque-user-token'));
    const before = Date.now();

    const { body } = await api.graphql<RefreshPayload>(REFRESH_MUTATION, tokenInput());

    const expiresAt = Date.parse(body.data?.refreshUserToken.expiresAt ?? '');
    // DateTime has second precision.
    expect(expiresAt).toBeGreaterThanOrEqual(Math.floor((before + 3_600_000) / 1000) * 1000);
    expect(expiresAt).toBeLessThanOrEqual(Date.now() + 3_600_000);
    expect(body.data?.refreshUserToken.expiresAt).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
  });

  it('answers null for what Circle did not send', async () => {
    const api = createApiGateway();
    api.onRefresh({ body: { data: { userToken: 'opaque-user-token' } } });

    const { body } = await api.graphql<RefreshPayload>(REFRESH_MUTATION, tokenInput());

    expect(body.data?.refreshUserToken).toMatchObject({
      userToken: 'opaque-user-token',
      encryptionKey: null,
      refreshToken: null,
      userId: null,
    });
  });

  it("forwards the caller's X-Request-Id upstream when it is a UUID and echoes it", async () => {
    const api = createApiGateway();
    api.onRefresh(refreshedAnswer());
    const requestId = 'f47ac10b-58cc-4372-a567-0e02b2c3d479';

    const { headers } = await api.graphql(REFRESH_MUTATION, tokenInput(), {
      'x-request-id': requestId,
    });

    expect(api.requests[0]?.headers['x-request-id']).toBe(requestId);
    expect(headers.get('x-request-id')).toBe(requestId);
  });

  it('sends its own UUID upstream when the caller sends an X-Request-Id that is not one', async () => {
    const api = createApiGateway();
    api.onRefresh(refreshedAnswer());

    const { headers } = await api.graphql(REFRESH_MUTATION, tokenInput(), {
      'x-request-id': 'my-trace-id',
    });

    const sent = api.requests[0]?.headers['x-request-id'] ?? '';
    expect(isUuid(sent)).toBe(true);
    expect(headers.get('x-request-id')).toBe(sent);
  });
});

describe('refreshUserToken with a userId', () => {
  it('mints a user token, refreshes with it and answers the new session', async () => {
    const api = createApiGateway();
    const minted = jwtLike({ sub: 'user-0001', exp: EXP - 1000 });
    api.onMint({ body: { data: { userToken: minted, encryptionKey: 'minted-key' } } });
    api.onRefresh({
      body: { data: { userToken: NEW_USER_TOKEN, refreshToken: 'refresh-token-0002' } },
      headers: { 'x-request-id': 'circle-refresh-request-2' },
    });

    const { headers, body } = await api.graphql<RefreshPayload>(REFRESH_MUTATION, {
      input: {
        user: { userId: 'user-0001' },
        deviceId: 'device-0001',
        refreshToken: 'refresh-token-0001',
        idempotencyKey: CALLER_KEY,
      },
    });

    expect(headers.get('cache-control')).toBe('no-store');
    expect(body).toEqual({
      data: {
        refreshUserToken: {
          userToken: NEW_USER_TOKEN,
          encryptionKey: null,
          refreshToken: 'refresh-token-0002',
          userId: 'user-0001',
          expiresAt: '2030-01-01T00:00:00Z',
          idempotencyKey: CALLER_KEY,
          requestId: 'circle-refresh-request-2',
        },
      },
    });
    expect(api.requests.map((r) => r.path)).toEqual([MINT_PATH, REFRESH_PATH]);
    expect(api.requests[0]?.body).toEqual({ userId: 'user-0001' });
    expect(api.requests[0]?.headers).not.toHaveProperty('x-user-token');
    expect(api.requests[1]?.headers['x-user-token']).toBe(minted);
    expect(api.requests[1]?.body).toEqual({
      idempotencyKey: CALLER_KEY,
      refreshToken: 'refresh-token-0001',
      deviceId: 'device-0001',
    });
  });
});
