import { describe, expect, it } from 'vitest';
import { decodeJwtPart, json, mint, useSimulator } from './support.js';

const start = useSimulator();

describe('POST /v1/w3s/users/token', () => {
  it('answers 200 with a JWT-shaped user token and a 32-byte encryption key', async () => {
    const t0 = Date.parse('2026-11-27T20:00:00Z');
    const { url, simulator } = await start({ now: () => t0 });
    simulator.createSession({ userId: 'user-mint-1' });

    const response = await mint(url, 'user-mint-1');

    expect(response.status).toBe(200);
    const body = await json<{ data: { userToken: string; encryptionKey: string } }>(response);
    expect(Object.keys(body.data)).toEqual(['userToken', 'encryptionKey']);
    expect(body.data.userToken.split('.')).toHaveLength(3);
    expect(decodeJwtPart(body.data.userToken, 0)).toEqual({ alg: 'HS256', typ: 'JWT' });
    expect(decodeJwtPart(body.data.userToken, 1)).toEqual({
      sub: 'user-mint-1',
      iat: t0 / 1000,
      exp: t0 / 1000 + 3600,
      jti: expect.any(String),
    });
    expect(Buffer.from(body.data.encryptionKey, 'base64')).toHaveLength(32);
  });

  it('creates a new token on every call', async () => {
    const { url, simulator } = await start();
    simulator.createSession({ userId: 'user-mint-2' });

    const first = await json<{ data: { userToken: string } }>(await mint(url, 'user-mint-2'));
    const second = await json<{ data: { userToken: string } }>(await mint(url, 'user-mint-2'));

    expect(first.data.userToken).not.toBe(second.data.userToken);
  });

  it('answers 404 code 155102 for an unknown user', async () => {
    const { url } = await start();

    const response = await mint(url, 'user-nobody');

    expect(response.status).toBe(404);
    expect(await response.json()).toEqual({
      code: 155102,
      message: 'Cannot find the user id in the system.',
    });
  });

  it('answers 409 code 155109 for a disabled user', async () => {
    const { url, simulator } = await start();
    simulator.createSession({ userId: 'user-mint-off' });
    simulator.disableUser('user-mint-off');

    const response = await mint(url, 'user-mint-off');

    expect(response.status).toBe(409);
    expect(await json(response)).toMatchObject({ code: 155109 });
  });

  it.each([
    ['too short', 'abcd'],
    ['too long', 'x'.repeat(51)],
    ['not a string', 12345],
    ['missing', undefined],
  ])('answers 400 code 2 for a userId that is %s', async (_, userId) => {
    const { url } = await start();

    const response = await mint(url, userId);

    expect(response.status).toBe(400);
    const body = await json(response);
    expect(body).toMatchObject({ code: 2 });
    expect(body.message).toContain('userId');
  });

  it('accepts userIds of 5 and 50 characters', async () => {
    const { url, simulator } = await start();
    for (const userId of ['abcde', 'y'.repeat(50)]) {
      simulator.createSession({ userId });
      expect((await mint(url, userId)).status).toBe(200);
    }
  });

  it('answers 401 code 401 for a malformed API key', async () => {
    const { url, simulator } = await start();
    simulator.createSession({ userId: 'user-mint-3' });

    const response = await mint(url, 'user-mint-3', 'TEST_API_KEY');

    expect(response.status).toBe(401);
    expect(await response.json()).toEqual({ code: 401, message: 'Malformed authorization.' });
  });
});
