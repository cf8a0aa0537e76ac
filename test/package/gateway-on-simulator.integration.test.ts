import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GatewayInfoDocument, RefreshUserTokenDocument } from '../../src/generated/graphql.js';
import { startTestGateway } from '../support/gateway-server.js';
import {
  newSession as createSession,
  refreshInput,
  refreshInputByUserId,
} from '../support/session.js';

/**
 * The product as `npm start` runs it without a key: the gateway listening on loopback, talking to
 * its embedded simulator over real HTTP.
 */
describe('the gateway on its embedded simulator', () => {
  let gateway: Awaited<ReturnType<typeof startTestGateway>>;
  const secrets: string[] = [];

  beforeAll(async () => {
    gateway = await startTestGateway({ LOG_LEVEL: 'debug' });
  });
  afterAll(async () => {
    await gateway?.close();
  });

  const newSession = async () => {
    const session = await createSession(gateway.simulator!.url);
    secrets.push(session.userToken, session.refreshToken, session.encryptionKey);
    return session;
  };

  it('says it runs on the simulator', async () => {
    const { body } = await gateway.execute(GatewayInfoDocument, {});
    expect(body.data?.circleWalletsGateway.simulated).toBe(true);
  });

  it('refreshes by userToken, and the rotated refresh token is refused afterwards', async () => {
    const session = await newSession();
    const input = refreshInput(session);
    const first = await gateway.execute(RefreshUserTokenDocument, { input });
    expect(first.body.errors).toBeUndefined();
    expect(first.response.headers.get('cache-control')).toBe('no-store');
    const payload = first.body.data!.refreshUserToken;
    secrets.push(payload.userToken, payload.refreshToken!, payload.encryptionKey!);
    expect(payload.userId).toBe(session.userId);
    expect(payload.userToken).not.toBe(session.userToken);
    expect(payload.refreshToken).not.toBe(session.refreshToken);
    expect(Date.parse(payload.expiresAt!) - Date.now()).toBeGreaterThan(55 * 60_000);

    const upstream = gateway.simulator!.simulator.requests.at(-1)!;
    expect(upstream.path).toBe('/v1/w3s/users/token/refresh');
    expect(upstream.body).toEqual({
      idempotencyKey: payload.idempotencyKey,
      refreshToken: session.refreshToken,
      deviceId: session.deviceId,
    });
    expect(upstream.headers['x-user-token']).toBe(session.userToken);
    expect(upstream.headers['x-request-id']).toBe(payload.requestId);

    const again = await gateway.execute(RefreshUserTokenDocument, { input });
    expect(again.body.data).toBeNull();
    expect(again.body.errors?.[0]?.extensions).toMatchObject({
      code: 'REFRESH_REJECTED',
      retryable: false,
      upstream: { status: 400 },
    });
  });

  it('refreshes by userId: mints a user token first, then refreshes with it', async () => {
    const session = await newSession();
    const before = gateway.simulator!.simulator.requests.length;
    const { body } = await gateway.execute(RefreshUserTokenDocument, {
      input: refreshInputByUserId(session),
    });
    expect(body.errors).toBeUndefined();
    secrets.push(body.data!.refreshUserToken.userToken, body.data!.refreshUserToken.refreshToken!);
    const calls = gateway.simulator!.simulator.requests.slice(before);
    expect(calls.map((call) => call.path)).toEqual([
      '/v1/w3s/users/token',
      '/v1/w3s/users/token/refresh',
    ]);
    expect(calls[0]!.body).toEqual({ userId: session.userId });
    expect(calls[0]!.headers['x-user-token']).toBeUndefined();
  });

  it('sends the caller idempotency key and X-Request-Id upstream and returns them', async () => {
    const session = await newSession();
    const idempotencyKey = '8f14e45f-ceea-467f-a0e6-1b2c3d4e5f60';
    const requestId = '0b8e1c52-7d7c-4f3e-9a41-6f2d1e0c9b8a';
    const { body, response } = await gateway.execute(
      RefreshUserTokenDocument,
      {
        input: refreshInput(session, idempotencyKey),
      },
      { 'x-request-id': requestId },
    );
    expect(body.data?.refreshUserToken.idempotencyKey).toBe(idempotencyKey);
    expect(body.data?.refreshUserToken.requestId).toBe(requestId);
    expect(response.headers.get('x-request-id')).toBe(requestId);
    const upstream = gateway.simulator!.simulator.requests.at(-1)!;
    expect(upstream.headers['x-request-id']).toBe(requestId);
    expect((upstream.body as { idempotencyKey: string }).idempotencyKey).toBe(idempotencyKey);
    expect(gateway.logs.some((line) => line.includes(requestId))).toBe(true);
  });

  it('rejects bad input without calling Circle', async () => {
    const session = await newSession();
    const before = gateway.simulator!.simulator.requests.length;
    const { body } = await gateway.execute(RefreshUserTokenDocument, {
      input: { user: { userId: 'abc' }, deviceId: session.deviceId, refreshToken: 'x' },
    });
    expect(body.errors?.[0]?.extensions).toMatchObject({
      code: 'BAD_USER_INPUT',
      field: 'input.user.userId',
    });
    expect(gateway.simulator!.simulator.requests.length).toBe(before);
  });

  it('serves GraphiQL with the demo session filled in, without a CDN', async () => {
    const response = await fetch(gateway.graphqlUrl, { headers: { accept: 'text/html' } });
    const html = await response.text();
    expect(response.status).toBe(200);
    expect(html).toContain('refreshUserToken');
    expect(html).toContain(gateway.demoSession!.refreshToken);
    expect(html).not.toMatch(/unpkg\.com|jsdelivr|cdn\./);
  });

  it('answers /health and /ready', async () => {
    expect((await fetch(`${gateway.url}/health`)).status).toBe(200);
    const ready = await fetch(`${gateway.url}/ready`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({ status: 'ready', upstream: { circuit: 'closed' } });
  });

  it('writes structured log lines with the request id and no secret', () => {
    expect(gateway.logs.length).toBeGreaterThan(0);
    for (const line of gateway.logs) {
      const parsed = JSON.parse(line) as Record<string, unknown>;
      expect(parsed.level).toBeTypeOf('string');
      for (const secret of [...secrets, 'not-a-real-secret']) {
        expect(line).not.toContain(secret);
      }
    }
    expect(
      gateway.logs.some(
        (line) => JSON.parse(line).msg === 'refreshUserToken' && line.includes('requestId'),
      ),
    ).toBe(true);
  });
});
