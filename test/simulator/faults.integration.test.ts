import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createCircleSimulator } from '../../src/simulator/index.js';
import { postJson } from '../support/requests.js';
import { json, mint, type RefreshData, refreshSession, useSimulator } from './support.js';

const start = useSimulator();

describe('injected faults', () => {
  it('latencyMs delays the answer, which is otherwise normal', async () => {
    const { url, simulator } = await start();
    const session = simulator.createSession();
    simulator.injectFault({ path: 'refresh', latencyMs: 150 });

    const startedAt = performance.now();
    const response = await refreshSession(url, session);

    expect(performance.now() - startedAt).toBeGreaterThanOrEqual(140);
    expect(response.status).toBe(200);
    expect((await json<{ data: RefreshData }>(response)).data.userID).toBe(session.userId);
  });

  it('status answers a Circle-shaped error with defaults per status', async () => {
    const { url, simulator } = await start();
    const session = simulator.createSession();
    simulator.injectFault({ status: 503 });

    const response = await refreshSession(url, session, { requestId: 'req-503' });

    expect(response.status).toBe(503);
    expect(response.headers.get('x-request-id')).toBe('req-503');
    expect(response.headers.get('content-type')).toBe('application/json');
    expect(await response.json()).toEqual({ code: -1, message: 'Service unavailable.' });
  });

  it('status takes the code and message given', async () => {
    const { url, simulator } = await start();
    const session = simulator.createSession();
    simulator.injectFault({ status: 400, code: 155137, message: 'Custom.' });

    const response = await refreshSession(url, session);

    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({ code: 155137, message: 'Custom.' });
  });

  it('status 429 carries Retry-After in seconds or as an HTTP date, or none', async () => {
    const { url, simulator } = await start();
    const session = simulator.createSession();
    const date = 'Fri, 27 Nov 2026 20:00:05 GMT';
    simulator.injectFault({ status: 429, retryAfter: 7 });
    simulator.injectFault({ status: 429, retryAfter: date });
    simulator.injectFault({ status: 429 });

    const seconds = await refreshSession(url, session);
    const httpDate = await refreshSession(url, session);
    const none = await refreshSession(url, session);

    expect(seconds.status).toBe(429);
    expect(seconds.headers.get('retry-after')).toBe('7');
    expect(await seconds.json()).toEqual({ code: 429, message: 'Too many requests.' });
    expect(httpDate.headers.get('retry-after')).toBe(date);
    expect(none.status).toBe(429);
    expect(none.headers.get('retry-after')).toBeNull();
  });

  it('hang never answers: the client deadline fires, and later calls are answered', async () => {
    const { url, simulator } = await start();
    const session = simulator.createSession();
    simulator.injectFault({ hang: true });

    const hung = refreshSession(url, session, { signal: AbortSignal.timeout(200) });

    await expect(hung).rejects.toMatchObject({ name: 'TimeoutError' });
    expect((await refreshSession(url, session)).status).toBe(200);
  });

  it('drop destroys the socket: the client sees a connection error', async () => {
    const { url, simulator } = await start();
    const session = simulator.createSession();
    simulator.injectFault({ drop: true });

    const error = await refreshSession(url, session).catch((caught: unknown) => caught);

    expect(error).toBeInstanceOf(TypeError);
    expect((error as TypeError).message).toBe('fetch failed');
    expect((await refreshSession(url, session)).status).toBe(200);
  });

  it('malformed answers 200 with a body that is not JSON', async () => {
    const { url, simulator } = await start();
    const session = simulator.createSession();
    simulator.injectFault({ malformed: true });

    const response = await refreshSession(url, session);

    expect(response.status).toBe(200);
    await expect(response.json()).rejects.toThrow(SyntaxError);
  });

  it('malformed "wrong-shape" answers 200 JSON without data.userToken', async () => {
    const { url, simulator } = await start();
    const session = simulator.createSession();
    simulator.injectFault({ malformed: 'wrong-shape' });

    const response = await refreshSession(url, session);

    expect(response.status).toBe(200);
    const body = await json<{ data?: { userToken?: unknown } }>(response);
    expect(body.data?.userToken).toBeUndefined();
  });

  it('truncated sends fewer bytes than declared: reading the body fails', async () => {
    const { url, simulator } = await start();
    const session = simulator.createSession();
    simulator.injectFault({ truncated: true });

    const response = await refreshSession(url, session);

    expect(response.status).toBe(200);
    expect(Number(response.headers.get('content-length'))).toBeGreaterThan(0);
    await expect(response.text()).rejects.toThrow();
  });

  it('slowBodyMs sends the headers at once and the rest of the body later', async () => {
    const { url, simulator } = await start();
    const session = simulator.createSession();
    simulator.injectFault({ slowBodyMs: 200 });

    const response = await refreshSession(url, session);
    const headersAt = performance.now();
    const body = await json<{ data: RefreshData }>(response);

    expect(performance.now() - headersAt).toBeGreaterThanOrEqual(150);
    expect(response.status).toBe(200);
    expect(body.data.userID).toBe(session.userId);
  });

  it('applies a fault only to the calls its path names', async () => {
    const { url, simulator } = await start();
    const session = simulator.createSession({ userId: 'user-fault-path' });
    simulator.injectFault({ path: 'refresh', status: 502 });

    expect((await mint(url, 'user-fault-path')).status).toBe(200);
    expect((await refreshSession(url, session)).status).toBe(502);
  });

  it('applies to the next `count` calls, queued faults in order', async () => {
    const { url, simulator } = await start();
    const session = simulator.createSession({ userId: 'user-fault-count' });
    simulator.injectFault({ path: 'mint', status: 503, count: 2 });
    simulator.injectFault({ path: 'mint', status: 504 });

    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) statuses.push((await mint(url, 'user-fault-count')).status);

    expect(statuses).toEqual([503, 503, 504, 200]);
    expect((await refreshSession(url, session)).status).toBe(200);
  });

  it('does not change state when the faulted call was not processed', async () => {
    const { url, simulator } = await start();
    const session = simulator.createSession();
    simulator.injectFault({ drop: true });
    await refreshSession(url, session).catch(() => undefined);

    expect((await refreshSession(url, session)).status).toBe(200);
  });

  it('afterProcessing applies the call, then misbehaves; a retry with the same key replays', async () => {
    const { url, simulator } = await start();
    const session = simulator.createSession();
    const idempotencyKey = randomUUID();
    simulator.injectFault({ hang: true, afterProcessing: true });

    await expect(
      refreshSession(url, session, { idempotencyKey, signal: AbortSignal.timeout(100) }),
    ).rejects.toMatchObject({ name: 'TimeoutError' });

    const retry = await refreshSession(url, session, { idempotencyKey });
    expect(retry.status).toBe(200);
    const fresh = await refreshSession(url, session);
    expect(await json(fresh)).toMatchObject({ message: 'The refreshToken has already been used.' });
  });

  it('records faulted calls with the fault that applied', async () => {
    const { url, simulator } = await start();
    const session = simulator.createSession();
    simulator.injectFault({ status: 500 });
    await refreshSession(url, session, { requestId: 'faulted' });

    expect(simulator.requests).toEqual([
      expect.objectContaining({ requestId: 'faulted', fault: 'status', method: 'POST' }),
    ]);
  });

  it('refuses an invalid fault, naming every problem', () => {
    const simulator = createCircleSimulator();
    expect(() =>
      simulator.injectFault({ status: 200, count: 0, path: 'everything' } as never),
    ).toThrow(
      'Invalid fault: path must be "refresh", "mint" or "any". count must be a positive integer. status must be an integer from 400 to 599.',
    );
    expect(() => simulator.injectFault({ hang: true, drop: true } as never)).toThrow(/exactly one/);
  });

  describe('over HTTP', () => {
    it('POST /simulator/faults queues a fault, DELETE clears the queue', async () => {
      const { url, simulator } = await start();
      const session = simulator.createSession();

      const queued = await postJson(`${url}/simulator/faults`, { path: 'refresh', status: 502 });
      expect(queued.status).toBe(201);
      expect(await queued.json()).toEqual({ pending: 1 });
      await postJson(`${url}/simulator/faults`, { status: 503, count: 3 });
      expect((await refreshSession(url, session)).status).toBe(502);

      const cleared = await fetch(`${url}/simulator/faults`, { method: 'DELETE' });
      expect(await cleared.json()).toEqual({ cleared: 1 });
      expect((await refreshSession(url, session)).status).toBe(200);
    });

    it('POST /simulator/faults answers 400 code 2 for an invalid fault', async () => {
      const { url } = await start();

      const response = await postJson(`${url}/simulator/faults`, { latencyMs: -5, color: 'red' });

      expect(response.status).toBe(400);
      const body = await json(response);
      expect(body.code).toBe(2);
      expect(body.message).toContain('Unknown field "color"');
      expect(body.message).toContain('latencyMs must be an integer');
    });
  });
});
