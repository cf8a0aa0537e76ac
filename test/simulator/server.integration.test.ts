import { describe, expect, it } from 'vitest';
import { startCircleSimulator } from '../../src/simulator/index.js';
import { postJson } from '../support/requests.js';
import {
  API_KEY,
  json,
  mint,
  type RefreshData,
  refresh,
  refreshSession,
  useSimulator,
} from './support.js';

const start = useSimulator();
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

describe('startCircleSimulator', () => {
  it('listens on an ephemeral loopback port by default', async () => {
    const running = await start();

    expect(running.host).toBe('127.0.0.1');
    expect(running.port).toBeGreaterThan(0);
    expect(running.url).toBe(`http://127.0.0.1:${running.port}`);
    expect(await (await fetch(`${running.url}/simulator/health`)).json()).toEqual({ status: 'ok' });
  });

  it('close() resolves promptly while a request hangs, and the client sees the connection end', async () => {
    const running = await startCircleSimulator();
    const session = running.simulator.createSession();
    running.simulator.injectFault({ hang: true });
    const hung = refreshSession(running.url, session).catch((error: unknown) => error);
    await until(() => running.simulator.requests.length === 1);

    const startedAt = performance.now();
    await running.close();

    expect(performance.now() - startedAt).toBeLessThan(500);
    expect(await hung).toBeInstanceOf(TypeError);
  });

  it('close() resolves promptly with idle keep-alive connections and a slow body pending', async () => {
    const running = await startCircleSimulator();
    const session = running.simulator.createSession();
    await fetch(`${running.url}/simulator/health`).then((response) => response.text());
    running.simulator.injectFault({ slowBodyMs: 60_000 });
    const slow = await refreshSession(running.url, session);
    const body = slow.text().catch((error: unknown) => error);

    const startedAt = performance.now();
    await running.close();

    expect(performance.now() - startedAt).toBeLessThan(500);
    expect(await body).toBeInstanceOf(TypeError);
  });

  it('close() can be called twice', async () => {
    const running = await startCircleSimulator();
    await Promise.all([running.close(), running.close()]);
  });
});

describe('X-Request-Id', () => {
  it('echoes the caller’s value on success and on errors', async () => {
    const { url, simulator } = await start();
    const session = simulator.createSession();

    const ok = await refreshSession(url, session, { requestId: 'caller-id-1' });
    const refused = await refreshSession(url, session, { requestId: 'caller-id-2' });
    const unknown = await fetch(`${url}/v1/nothing`, {
      headers: { 'x-request-id': 'caller-id-3' },
    });

    expect(ok.headers.get('x-request-id')).toBe('caller-id-1');
    expect(refused.status).toBe(400);
    expect(refused.headers.get('x-request-id')).toBe('caller-id-2');
    expect(unknown.headers.get('x-request-id')).toBe('caller-id-3');
  });

  it('is a new UUID for each call that sends none', async () => {
    const { url } = await start();

    const first = await mint(url, 'user-nobody');
    const second = await mint(url, 'user-nobody');

    expect(first.headers.get('x-request-id')).toMatch(UUID);
    expect(second.headers.get('x-request-id')).toMatch(UUID);
    expect(first.headers.get('x-request-id')).not.toBe(second.headers.get('x-request-id'));
  });
});

describe('routing', () => {
  it('answers 404 code 404 for an unknown path under /v1', async () => {
    const { url } = await start();

    const response = await fetch(`${url}/v1/w3s/wallets`, {
      headers: { authorization: `Bearer ${API_KEY}` },
    });

    expect(response.status).toBe(404);
    expect(await response.json()).toEqual({ code: 404, message: 'Not found.' });
  });

  it('answers 405 with Allow: POST for a wrong method', async () => {
    const { url } = await start();

    const response = await fetch(`${url}/v1/w3s/users/token/refresh`);

    expect(response.status).toBe(405);
    expect(response.headers.get('allow')).toBe('POST');
    expect(await response.json()).toEqual({ code: 405, message: 'Method not allowed.' });
  });

  it('answers 413 for a body over 1 MiB', async () => {
    const { url } = await start();

    const response = await fetch(`${url}/v1/w3s/users/token`, {
      method: 'POST',
      headers: { authorization: `Bearer ${API_KEY}` },
      body: 'x'.repeat(1024 * 1024 + 1),
    });

    expect(response.status).toBe(413);
    expect(await json(response)).toMatchObject({ code: 413 });
  });
});

describe('rate limits', () => {
  it('answers the 6th refresh within a second with 429, Retry-After: 1, per API key', async () => {
    const { url, simulator } = await start({ rateLimits: true, now: () => 1_800_000_000_000 });
    const session = simulator.createSession();

    const statuses: number[] = [];
    for (let i = 0; i < 5; i++) statuses.push((await refreshSession(url, session)).status);
    const limited = await refreshSession(url, session, { requestId: 'limited' });
    const otherKey = await refreshSession(url, session, { apiKey: 'TEST_API_KEY:other:key' });

    expect(statuses).toEqual([200, 400, 400, 400, 400]);
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toBe('1');
    expect(limited.headers.get('x-request-id')).toBe('limited');
    expect(await limited.json()).toEqual({ code: 429, message: 'Too many requests.' });
    expect(otherKey.status).toBe(400);

    simulator.advanceClock(1000);
    expect((await refreshSession(url, session)).status).toBe(400);
  });

  it('answers the 11th mint within a second with 429', async () => {
    const { url, simulator } = await start({ rateLimits: true, now: () => 1_800_000_000_000 });
    simulator.createSession({ userId: 'user-limits' });

    const statuses: number[] = [];
    for (let i = 0; i < 11; i++) statuses.push((await mint(url, 'user-limits')).status);

    expect(statuses.slice(0, 10)).toEqual(Array(10).fill(200));
    expect(statuses[10]).toBe(429);
  });

  it('is off in fast mode', async () => {
    const { url, simulator } = await start({
      fast: true,
      rateLimits: true,
      now: () => 1_800_000_000_000,
    });
    simulator.createSession({ userId: 'user-fast' });

    const statuses = await Promise.all(
      Array.from({ length: 30 }, () => mint(url, 'user-fast').then((r) => r.status)),
    );

    expect(new Set(statuses)).toEqual(new Set([200]));
  });
});

describe('requests', () => {
  it('records method, path, lower-cased headers, parsed body and the clock time', async () => {
    const t0 = Date.parse('2026-11-27T20:00:00Z');
    const { url, simulator } = await start({ now: () => t0 });
    const session = simulator.createSession();
    simulator.advanceClock(1234);

    await refreshSession(url, session, { idempotencyKey: '6f1f2f3c-1111-4222-8333-444455556666' });

    expect(simulator.requests).toEqual([
      {
        method: 'POST',
        path: '/v1/w3s/users/token/refresh',
        headers: expect.objectContaining({
          authorization: `Bearer ${API_KEY}`,
          'content-type': 'application/json',
          'x-user-token': session.userToken,
        }),
        body: {
          idempotencyKey: '6f1f2f3c-1111-4222-8333-444455556666',
          refreshToken: session.refreshToken,
          deviceId: session.deviceId,
        },
        time: t0 + 1234,
        requestId: expect.stringMatching(UUID),
      },
    ]);
  });

  it('keeps a body that is not JSON as raw text', async () => {
    const { url, simulator } = await start();
    await fetch(`${url}/v1/w3s/users/token`, { method: 'POST', body: 'userId=abc' });

    expect(simulator.requests[0]?.body).toBe('userId=abc');
  });

  it('keeps only the last maxRecordedRequests Circle calls, and none of the helper calls', async () => {
    const { url, simulator } = await start({ maxRecordedRequests: 3 });

    for (let i = 0; i < 5; i++) {
      await fetch(`${url}/v1/w3s/users/token`, {
        method: 'POST',
        headers: { 'x-request-id': `call-${i}` },
      });
    }
    await fetch(`${url}/simulator/health`);

    expect(simulator.requests.map((request) => request.requestId)).toEqual([
      'call-2',
      'call-3',
      'call-4',
    ]);
  });

  it('GET /simulator/requests lists them and DELETE clears them', async () => {
    const { url } = await start();
    await mint(url, 'user-nobody');

    const listed = await json<{ requests: { path: string }[] }>(
      await fetch(`${url}/simulator/requests`),
    );
    const cleared = await fetch(`${url}/simulator/requests`, { method: 'DELETE' });
    const after = await json<{ requests: unknown[] }>(await fetch(`${url}/simulator/requests`));

    expect(listed.requests.map((request) => request.path)).toEqual(['/v1/w3s/users/token']);
    expect(await cleared.json()).toEqual({ cleared: 1 });
    expect(after.requests).toEqual([]);
  });
});

describe('helper endpoints', () => {
  it('GET /simulator/health answers 200 {status: "ok"}', async () => {
    const { url } = await start();
    const response = await fetch(`${url}/simulator/health`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ status: 'ok' });
  });

  it('POST /simulator/sessions answers 201 with a session that refreshes', async () => {
    const { url } = await start();

    const response = await postJson(`${url}/simulator/sessions`);

    expect(response.status).toBe(201);
    const session = await json<Record<string, string>>(response);
    expect(Object.keys(session).sort()).toEqual(
      ['deviceId', 'encryptionKey', 'refreshToken', 'userId', 'userToken'].sort(),
    );
    expect(session.userId).toMatch(UUID);
    const refreshed = await refresh(url, {
      userToken: session.userToken,
      refreshToken: session.refreshToken,
      deviceId: session.deviceId,
    });
    expect(refreshed.status).toBe(200);
  });

  it('POST /simulator/sessions uses the userId and deviceId given, reusing the user', async () => {
    const { url } = await start();

    const first = await json(
      await postJson(`${url}/simulator/sessions`, { userId: 'user-http', deviceId: 'device-a' }),
    );
    const second = await json(
      await postJson(`${url}/simulator/sessions`, { userId: 'user-http', deviceId: 'device-b' }),
    );

    expect(first).toMatchObject({ userId: 'user-http', deviceId: 'device-a' });
    expect(second).toMatchObject({ userId: 'user-http', deviceId: 'device-b' });
    expect((await mint(url, 'user-http')).status).toBe(200);
  });

  it('POST /simulator/sessions answers 400 code 2 for an invalid userId', async () => {
    const { url } = await start();

    const response = await postJson(`${url}/simulator/sessions`, { userId: 'abc' });

    expect(response.status).toBe(400);
    expect(await json(response)).toMatchObject({ code: 2 });
  });

  it('POST /simulator/clock advances the clock, expiring user tokens', async () => {
    const { url, simulator } = await start();
    const session = simulator.createSession();

    const response = await postJson(`${url}/simulator/clock`, { advanceMs: 60 * 60 * 1000 });

    expect(response.status).toBe(200);
    expect(await json(await refreshSession(url, session))).toMatchObject({ code: 155104 });
  });

  it('POST /simulator/clock answers 400 for a missing or negative advanceMs', async () => {
    const { url } = await start();
    expect((await postJson(`${url}/simulator/clock`, {})).status).toBe(400);
    expect((await postJson(`${url}/simulator/clock`, { advanceMs: -1 })).status).toBe(400);
  });

  it('POST /simulator/users/:userId/disable disables the user', async () => {
    const { url, simulator } = await start();
    const session = simulator.createSession({ userId: 'user-to-disable' });

    const response = await postJson(`${url}/simulator/users/user-to-disable/disable`);
    const unknown = await postJson(`${url}/simulator/users/user-unknown/disable`);

    expect(response.status).toBe(200);
    expect(await json(await refreshSession(url, session))).toMatchObject({ code: 155109 });
    expect(unknown.status).toBe(404);
  });

  it('POST /simulator/reset forgets sessions', async () => {
    const { url, simulator } = await start();
    simulator.createSession({ userId: 'user-reset' });

    await postJson(`${url}/simulator/reset`);

    expect(await json(await mint(url, 'user-reset'))).toMatchObject({ code: 155102 });
  });

  it('answers 404 for an unknown helper and 405 for a wrong method', async () => {
    const { url } = await start();
    expect((await fetch(`${url}/simulator/nothing`)).status).toBe(404);
    const wrong = await fetch(`${url}/simulator/sessions`);
    expect(wrong.status).toBe(405);
    expect(wrong.headers.get('allow')).toBe('POST');
  });
});

describe('the whole round trip', () => {
  it('refreshes three times in a row, each time with the previous answer', async () => {
    const { url, simulator } = await start();
    const { deviceId, ...session } = simulator.createSession({ userId: 'user-chain' });
    let { userToken, refreshToken } = session;

    for (let i = 0; i < 3; i++) {
      const response = await refresh(url, { userToken, refreshToken, deviceId });
      expect(response.status).toBe(200);
      ({ userToken, refreshToken } = (await json<{ data: RefreshData }>(response)).data);
    }
  });
});

async function until(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !condition(); i++) {
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  if (!condition()) throw new Error('condition not met in time');
}
