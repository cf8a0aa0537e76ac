import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  expiresAtOf,
  GatewayError,
  newIdempotencyKey,
  refreshUserToken,
} from '../../src/client/index.js';
import { startTestGateway } from '../support/gateway-server.js';
import { jwtLike } from '../support/jwt.js';
import { refreshInput } from '../support/session.js';

/** The client's typed call, over real HTTP to the gateway on its simulator. */
describe('refreshUserToken from …/client', () => {
  let gateway: Awaited<ReturnType<typeof startTestGateway>>;
  let notGraphQL: Server;
  let notGraphQLUrl: string;
  const simulator = () => gateway.simulator!.simulator;

  beforeAll(async () => {
    // One attempt upstream: the faults below reach the client as Circle sent them.
    gateway = await startTestGateway({ UPSTREAM_MAX_ATTEMPTS: '1' });
    notGraphQL = createServer((_req, res) => {
      res.writeHead(502, { 'content-type': 'text/html' }).end('<h1>Bad Gateway</h1>');
    });
    await new Promise<void>((resolve) => notGraphQL.listen(0, '127.0.0.1', resolve));
    notGraphQLUrl = `http://127.0.0.1:${(notGraphQL.address() as AddressInfo).port}/graphql`;
  });
  afterAll(async () => {
    await new Promise((resolve) => notGraphQL?.close(resolve));
    await gateway?.close();
  });
  beforeEach(() => simulator().reset());

  it('returns the typed payload: a rotated session with its expiry and the key sent', async () => {
    const session = simulator().createSession();
    const idempotencyKey = newIdempotencyKey();
    const payload = await refreshUserToken(
      { ...refreshInput(session), idempotencyKey },
      { url: gateway.graphqlUrl },
    );
    expect(payload.userId).toBe(session.userId);
    expect(payload.refreshToken).not.toBe(session.refreshToken);
    expect(payload.idempotencyKey).toBe(idempotencyKey);
    expect(payload.expiresAt).toBe(expiresAtOf(payload.userToken).replace('.000Z', 'Z'));
  });

  it('replays under the same key: a retry after a lost answer gets the same session', async () => {
    const session = simulator().createSession();
    const input = { ...refreshInput(session), idempotencyKey: newIdempotencyKey() };
    const first = await refreshUserToken(input, { url: gateway.graphqlUrl });
    const again = await refreshUserToken(input, { url: gateway.graphqlUrl });
    expect(again.refreshToken).toBe(first.refreshToken);
    expect(again.userToken).toBe(first.userToken);
  });

  it('throws a GatewayError that says the session is over for a used refresh token', async () => {
    const session = simulator().createSession();
    await refreshUserToken(refreshInput(session), { url: gateway.graphqlUrl });
    const error = await refreshUserToken(refreshInput(session), { url: gateway.graphqlUrl }).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(GatewayError);
    const e = error as GatewayError;
    expect(e.code).toBe('REFRESH_REJECTED');
    expect(e.retryable).toBe(false);
    expect(e.sessionEnded).toBe(true);
    expect(e.upstream?.status).toBeGreaterThanOrEqual(400);
    expect(e.idempotencyKey).toBeUndefined();
    expect(JSON.stringify(e.errors)).not.toContain(session.refreshToken);
  });

  it('reports RATE_LIMITED as retryable with the retryAfter Circle asked for', async () => {
    const session = simulator().createSession();
    simulator().injectFault({ path: 'refresh', status: 429, retryAfter: 7 });
    const key = newIdempotencyKey();
    const error = (await refreshUserToken(
      { ...refreshInput(session), idempotencyKey: key },
      { url: gateway.graphqlUrl },
    ).catch((e: unknown) => e)) as GatewayError;
    expect(error).toBeInstanceOf(GatewayError);
    expect(error.code).toBe('RATE_LIMITED');
    expect(error.retryable).toBe(true);
    expect(error.retryAfter).toBe(7);
    expect(error.sessionEnded).toBe(false);
    expect(error.idempotencyKey).toBe(key);
  });

  it('reports UPSTREAM_UNAVAILABLE with Circle status and request id', async () => {
    const session = simulator().createSession();
    simulator().injectFault({ path: 'refresh', status: 503 });
    const error = (await refreshUserToken(refreshInput(session), { url: gateway.graphqlUrl }).catch(
      (e: unknown) => e,
    )) as GatewayError;
    expect(error.code).toBe('UPSTREAM_UNAVAILABLE');
    expect(error.retryable).toBe(true);
    expect(error.upstream?.status).toBe(503);
    expect(error.upstream?.requestId).toEqual(expect.any(String));
  });

  it('reports BAD_USER_INPUT for an empty device id, and Circle is not called', async () => {
    const session = simulator().createSession();
    const error = (await refreshUserToken(
      { ...refreshInput(session), deviceId: '' },
      { url: gateway.graphqlUrl },
    ).catch((e: unknown) => e)) as GatewayError;
    expect(error.code).toBe('BAD_USER_INPUT');
    expect(simulator().requests).toHaveLength(0);
  });

  it('reports NETWORK_ERROR (retryable, with the key) when nothing answers', async () => {
    const key = newIdempotencyKey();
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const { port } = closed.address() as AddressInfo;
    await new Promise((resolve) => closed.close(resolve));
    const error = (await refreshUserToken(
      { user: { userToken: 'a.b.c' }, deviceId: 'd', refreshToken: 'r', idempotencyKey: key },
      { url: `http://127.0.0.1:${port}/graphql` },
    ).catch((e: unknown) => e)) as GatewayError;
    expect(error).toBeInstanceOf(GatewayError);
    expect(error.code).toBe('NETWORK_ERROR');
    expect(error.retryable).toBe(true);
    expect(error.idempotencyKey).toBe(key);
  });

  it('reports NETWORK_ERROR when something that is not the gateway answers', async () => {
    const error = (await refreshUserToken(
      { user: { userToken: 'a.b.c' }, deviceId: 'd', refreshToken: 'r' },
      { url: notGraphQLUrl },
    ).catch((e: unknown) => e)) as GatewayError;
    expect(error.code).toBe('NETWORK_ERROR');
    expect(error.message).toContain('HTTP 502');
  });

  it('times out after timeoutMs with NETWORK_ERROR', async () => {
    const session = simulator().createSession();
    simulator().injectFault({ path: 'refresh', latencyMs: 2_000 });
    const started = Date.now();
    const error = (await refreshUserToken(refreshInput(session), {
      url: gateway.graphqlUrl,
      timeoutMs: 300,
    }).catch((e: unknown) => e)) as GatewayError;
    expect(error.code).toBe('NETWORK_ERROR');
    expect(Date.now() - started).toBeLessThan(1_500);
  });
});

describe('expiresAtOf', () => {
  it('reads the exp claim of the user token', () => {
    expect(expiresAtOf(jwtLike({ exp: 1_800_000_000 }))).toBe('2027-01-15T08:00:00.000Z');
  });

  it('falls back to one hour from now for a token without a readable exp', () => {
    const now = Date.parse('2026-12-01T10:00:00Z');
    expect(expiresAtOf('opaque', now)).toBe('2026-12-01T11:00:00.000Z');
    expect(expiresAtOf(jwtLike({ sub: 'u' }), now)).toBe('2026-12-01T11:00:00.000Z');
  });
});
