import { describe, expect, it } from 'vitest';
import {
  API_KEY,
  decodeJwtPart,
  json,
  mint,
  type RefreshData,
  refresh,
  refreshSession,
  useSimulator,
} from './support.js';

const start = useSimulator();

describe('POST /v1/w3s/users/token/refresh', () => {
  it('answers 200 with a new user token, encryption key, userID and refresh token', async () => {
    const { url, simulator } = await start();
    const session = simulator.createSession({ userId: 'user-refresh-1' });

    const response = await refreshSession(url, session);

    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('application/json');
    const body = await json<{ data: RefreshData }>(response);
    expect(Object.keys(body.data)).toEqual([
      'userToken',
      'encryptionKey',
      'userID',
      'refreshToken',
    ]);
    expect(body.data.userID).toBe('user-refresh-1');
    expect(body.data.userToken).not.toBe(session.userToken);
    expect(body.data.refreshToken).not.toBe(session.refreshToken);
    expect(body.data.encryptionKey).not.toBe(session.encryptionKey);
    expect(Buffer.from(body.data.encryptionKey, 'base64')).toHaveLength(32);
    expect(decodeJwtPart(body.data.userToken, 0)).toEqual({ alg: 'HS256', typ: 'JWT' });
    expect(decodeJwtPart(body.data.userToken, 1)).toMatchObject({ sub: 'user-refresh-1' });
  });

  it('rotates the refresh token: the old one is rejected, the new one works', async () => {
    const { url, simulator } = await start();
    const session = simulator.createSession();
    const first = await json<{ data: RefreshData }>(await refreshSession(url, session));

    const reused = await refreshSession(url, session);
    expect(reused.status).toBe(400);
    expect(await reused.json()).toEqual({
      code: 2,
      message: 'The refreshToken has already been used.',
    });

    const next = await refresh(url, {
      userToken: first.data.userToken,
      refreshToken: first.data.refreshToken,
      deviceId: session.deviceId,
    });
    expect(next.status).toBe(200);
  });

  it('accepts a freshly minted user token for the same user (the mint-then-refresh path)', async () => {
    const { url, simulator } = await start();
    const session = simulator.createSession({ userId: 'user-minted-1' });
    const minted = await json<{ data: { userToken: string } }>(await mint(url, 'user-minted-1'));

    const response = await refreshSession(url, session, { userToken: minted.data.userToken });

    expect(response.status).toBe(200);
    expect((await json<{ data: RefreshData }>(response)).data.userID).toBe('user-minted-1');
  });

  it('keeps the user token of the session working after a refresh until it expires', async () => {
    const { url, simulator } = await start();
    const session = simulator.createSession();
    const first = await json<{ data: RefreshData }>(await refreshSession(url, session));

    const again = await refreshSession(url, session, { refreshToken: first.data.refreshToken });

    expect(again.status).toBe(200);
  });

  describe('rejects, in Circle shape', () => {
    it('a malformed API key with 401 code 401', async () => {
      const { url, simulator } = await start();
      const session = simulator.createSession();
      for (const apiKey of [
        'nope',
        'TEST_API_KEY:abc',
        'PROD_API_KEY:abc:def',
        'TEST_API_KEY::x',
      ]) {
        const response = await refreshSession(url, session, { apiKey });
        expect(response.status).toBe(401);
        expect(await response.json()).toEqual({ code: 401, message: 'Malformed authorization.' });
      }
    });

    it('a missing Authorization header with 401 code 401', async () => {
      const { url } = await start();
      const response = await fetch(`${url}/v1/w3s/users/token/refresh`, {
        method: 'POST',
        body: '{}',
      });
      expect(response.status).toBe(401);
      expect(await response.json()).toEqual({ code: 401, message: 'Malformed authorization.' });
    });

    it('a well-formed key outside acceptedApiKeys with 403 code 3', async () => {
      const { url, simulator } = await start({ acceptedApiKeys: ['LIVE_API_KEY:good:key'] });
      const session = simulator.createSession();

      const refused = await refreshSession(url, session);
      expect(refused.status).toBe(403);
      expect(await refused.json()).toEqual({ code: 3, message: 'Forbidden.' });

      const accepted = await refreshSession(url, session, { apiKey: 'LIVE_API_KEY:good:key' });
      expect(accepted.status).toBe(200);
    });

    it('a missing X-User-Token with 400 code 2', async () => {
      const { url, simulator } = await start();
      const session = simulator.createSession();

      const response = await refreshSession(url, session, { userToken: undefined });

      expect(response.status).toBe(400);
      const body = await json(response);
      expect(body).toMatchObject({ code: 2 });
      expect(body.message).toContain('X-User-Token');
    });

    it.each([
      ['idempotencyKey', { idempotencyKey: undefined }],
      ['idempotencyKey', { idempotencyKey: 'not-a-uuid' }],
      ['idempotencyKey', { idempotencyKey: 42 }],
      ['refreshToken', { refreshToken: undefined }],
      ['refreshToken', { refreshToken: 123 }],
      ['deviceId', { deviceId: undefined }],
      ['deviceId', { deviceId: { id: 'x' } }],
    ])('a bad %s with 400 code 2 naming the field (%j)', async (field, override) => {
      const { url, simulator } = await start();
      const session = simulator.createSession();

      const response = await refreshSession(url, session, override);

      expect(response.status).toBe(400);
      const body = await json<{ code: number; message: string; errors: { location: string }[] }>(
        response,
      );
      expect(body.code).toBe(2);
      expect(body.message).toContain(field);
      expect(body.errors.map((error) => error.location)).toEqual([field]);
    });

    it('a body that is not JSON with 400 code 2', async () => {
      const { url, simulator } = await start();
      const session = simulator.createSession();
      const response = await fetch(`${url}/v1/w3s/users/token/refresh`, {
        method: 'POST',
        headers: { authorization: `Bearer ${API_KEY}`, 'x-user-token': session.userToken },
        body: '{"idempotencyKey":',
      });
      expect(response.status).toBe(400);
      expect(await json(response)).toMatchObject({ code: 2 });
    });

    it.each([
      ['garbage', () => 'not-a-jwt'],
      ['two segments', (token: string) => token.split('.').slice(0, 2).join('.')],
      ['a tampered payload', (token: string) => tamperPayload(token)],
      ['a bad signature', (token: string) => `${token.slice(0, -4)}AAAA`],
    ])('a user token that is %s with 403 code 155105', async (_, corrupt) => {
      const { url, simulator } = await start();
      const session = simulator.createSession();

      const response = await refreshSession(url, session, {
        userToken: corrupt(session.userToken),
      });

      expect(response.status).toBe(403);
      expect(await response.json()).toEqual({ code: 155105, message: 'The userToken is invalid.' });
    });

    it('a user token signed by another simulator with 403 code 155105', async () => {
      const { url, simulator } = await start();
      const other = await start();
      const session = simulator.createSession();
      const foreign = other.simulator.createSession();

      const response = await refreshSession(url, session, { userToken: foreign.userToken });

      expect(response.status).toBe(403);
      expect(await json(response)).toMatchObject({ code: 155105 });
    });

    it('a user token it signed but no longer knows (after reset) with 401 code 155103', async () => {
      const { url, simulator } = await start();
      const session = simulator.createSession({ userId: 'user-forgotten' });
      simulator.reset();
      const fresh = simulator.createSession({ userId: 'user-forgotten' });

      const response = await refreshSession(url, fresh, { userToken: session.userToken });

      expect(response.status).toBe(401);
      expect(await response.json()).toEqual({
        code: 155103,
        message: 'Cannot find the user token in the system.',
      });
    });

    it('an expired user token (clock advanced past 60 minutes) with 403 code 155104', async () => {
      const { url, simulator } = await start();
      const session = simulator.createSession();
      simulator.advanceClock(60 * 60 * 1000);

      const response = await refreshSession(url, session);

      expect(response.status).toBe(403);
      expect(await response.json()).toEqual({
        code: 155104,
        message: 'The userToken had expired.',
      });
    });

    it('honours userTokenTtlMs', async () => {
      const { url, simulator } = await start({ userTokenTtlMs: 5 * 60 * 1000 });
      const session = simulator.createSession();
      const claims = decodeJwtPart(session.userToken, 1) as { iat: number; exp: number };
      expect(claims.exp - claims.iat).toBe(300);

      simulator.advanceClock(4 * 60 * 1000);
      expect((await refreshSession(url, session)).status).toBe(200);
      simulator.advanceClock(60 * 1000);
      expect(await json(await refreshSession(url, session))).toMatchObject({ code: 155104 });
    });

    it('a disabled user with 409 code 155109', async () => {
      const { url, simulator } = await start();
      const session = simulator.createSession();
      simulator.disableUser(session.userId);

      const response = await refreshSession(url, session);

      expect(response.status).toBe(409);
      expect(await response.json()).toEqual({
        code: 155109,
        message: 'The specified user has been disabled.',
      });
    });

    it('an unknown device id with 400 code 155113', async () => {
      const { url, simulator } = await start();
      const session = simulator.createSession();

      const response = await refreshSession(url, session, { deviceId: 'device-nobody-knows' });

      expect(response.status).toBe(400);
      expect(await response.json()).toEqual({
        code: 155113,
        message: 'Provided device ID is not found in the system.',
      });
    });

    it('a known device that the session is not bound to with 400 code 155137', async () => {
      const { url, simulator } = await start();
      const session = simulator.createSession({ userId: 'user-two-devices' });
      const otherDevice = simulator.createSession({ userId: 'user-two-devices' });

      const response = await refreshSession(url, session, { deviceId: otherDevice.deviceId });

      expect(response.status).toBe(400);
      expect(await response.json()).toEqual({
        code: 155137,
        message: "User's device ID is invalid.",
      });
    });

    it('an unknown refresh token with 400 code 2', async () => {
      const { url, simulator } = await start();
      const session = simulator.createSession();

      const response = await refreshSession(url, session, { refreshToken: 'made-up' });

      expect(response.status).toBe(400);
      expect(await response.json()).toEqual({
        code: 2,
        message: 'The refreshToken is not found in the system.',
      });
    });

    it("another user's refresh token with 400 code 2", async () => {
      const { url, simulator } = await start();
      const alice = simulator.createSession({ userId: 'user-alice', deviceId: 'shared-device' });
      const bob = simulator.createSession({ userId: 'user-bob', deviceId: 'shared-device' });

      const response = await refreshSession(url, alice, { refreshToken: bob.refreshToken });

      expect(response.status).toBe(400);
      expect(await response.json()).toEqual({
        code: 2,
        message: 'The refreshToken does not belong to the user of the X-User-Token.',
      });
    });

    it('checks the user token before the device and the device before the refresh token', async () => {
      const { url, simulator } = await start();
      const session = simulator.createSession();
      simulator.advanceClock(2 * 60 * 60 * 1000);

      const response = await refreshSession(url, session, {
        deviceId: 'unknown-device',
        refreshToken: 'unknown-token',
      });

      expect(await json(response)).toMatchObject({ code: 155104 });
    });
  });
});

function tamperPayload(token: string): string {
  const [header, payload, signature] = token.split('.') as [string, string, string];
  const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as {
    exp: number;
  };
  claims.exp += 3600;
  return `${header}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.${signature}`;
}
