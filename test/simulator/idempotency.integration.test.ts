import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { json, mint, type RefreshData, refresh, refreshSession, useSimulator } from './support.js';

const start = useSimulator();

describe('refresh idempotency', () => {
  it('replays the first answer for the same key and body, and rotates only once', async () => {
    const { url, simulator } = await start();
    const session = simulator.createSession();
    const idempotencyKey = randomUUID();

    const first = await refreshSession(url, session, { idempotencyKey });
    const second = await refreshSession(url, session, { idempotencyKey });

    expect(second.status).toBe(first.status);
    const firstText = await first.text();
    expect(await second.text()).toBe(firstText);
    const { data } = JSON.parse(firstText) as { data: RefreshData };

    // One rotation: the original token is used, and the replayed new one is the only live one.
    expect(await json(await refreshSession(url, session))).toMatchObject({ code: 2 });
    const next = await refresh(url, {
      userToken: data.userToken,
      refreshToken: data.refreshToken,
      deviceId: session.deviceId,
    });
    expect(next.status).toBe(200);
  });

  it('replays even after the user token has expired', async () => {
    const { url, simulator } = await start();
    const session = simulator.createSession();
    const idempotencyKey = randomUUID();
    const first = await (await refreshSession(url, session, { idempotencyKey })).text();
    simulator.advanceClock(2 * 60 * 60 * 1000);

    const replay = await refreshSession(url, session, { idempotencyKey });

    expect(replay.status).toBe(200);
    expect(await replay.text()).toBe(first);
  });

  it('gives each replay its own X-Request-Id', async () => {
    const { url, simulator } = await start();
    const session = simulator.createSession();
    const idempotencyKey = randomUUID();

    const first = await refreshSession(url, session, { idempotencyKey, requestId: 'first-call' });
    const second = await refreshSession(url, session, { idempotencyKey, requestId: 'retry' });

    expect(first.headers.get('x-request-id')).toBe('first-call');
    expect(second.headers.get('x-request-id')).toBe('retry');
  });

  it('answers 400 code 2 for the same key with a different body', async () => {
    const { url, simulator } = await start();
    const session = simulator.createSession();
    const other = simulator.createSession();
    const idempotencyKey = randomUUID();
    await refreshSession(url, session, { idempotencyKey });

    const response = await refreshSession(url, other, { idempotencyKey });

    expect(response.status).toBe(400);
    expect(await json(response)).toMatchObject({
      code: 2,
      message: 'Idempotency key already used with a different request.',
    });
  });

  it('replays for another token of the same user (the userId path mints one per instance)', async () => {
    const { url, simulator } = await start();
    const session = simulator.createSession({ userId: 'user-idem-token' });
    const idempotencyKey = randomUUID();
    const first = await refreshSession(url, session, { idempotencyKey });
    const minted = await json<{ data: { userToken: string } }>(await mint(url, session.userId));

    const again = await refreshSession(url, session, {
      idempotencyKey,
      userToken: minted.data.userToken,
    });

    expect(again.status).toBe(200);
    expect(await json(again)).toEqual(await json(first));
  });

  it("answers 400 code 2 for the same key and body with another user's token", async () => {
    const { url, simulator } = await start();
    const session = simulator.createSession({ userId: 'user-idem-first' });
    const other = simulator.createSession({ userId: 'user-idem-other' });
    const idempotencyKey = randomUUID();
    await refreshSession(url, session, { idempotencyKey });

    const response = await refreshSession(url, session, {
      idempotencyKey,
      userToken: other.userToken,
    });

    expect(response.status).toBe(400);
    expect(await json(response)).toMatchObject({ code: 2 });
  });

  it('does not consume the key on an error, so a retry with a fresh user token succeeds', async () => {
    const { url, simulator } = await start();
    const session = simulator.createSession({ userId: 'user-idem-retry' });
    const idempotencyKey = randomUUID();
    simulator.advanceClock(61 * 60 * 1000);
    expect(await json(await refreshSession(url, session, { idempotencyKey }))).toMatchObject({
      code: 155104,
    });
    const minted = await json<{ data: { userToken: string } }>(await mint(url, session.userId));

    const retry = await refreshSession(url, session, {
      idempotencyKey,
      userToken: minted.data.userToken,
    });

    expect(retry.status).toBe(200);
  });

  it('forgets keys after 24 hours', async () => {
    const { url, simulator } = await start({ userTokenTtlMs: 48 * 60 * 60 * 1000 });
    const session = simulator.createSession();
    const idempotencyKey = randomUUID();
    await refreshSession(url, session, { idempotencyKey });
    simulator.advanceClock(24 * 60 * 60 * 1000 + 1);

    const response = await refreshSession(url, session, { idempotencyKey });

    // Evaluated afresh rather than replayed: the first call used up the refresh token.
    expect(response.status).toBe(400);
    expect(await json(response)).toMatchObject({ code: 2 });
  });

  it('scopes keys to the API key', async () => {
    const { url, simulator } = await start();
    const session = simulator.createSession();
    const idempotencyKey = randomUUID();
    await refreshSession(url, session, { idempotencyKey });

    const response = await refreshSession(url, session, {
      idempotencyKey,
      apiKey: 'TEST_API_KEY:other:entity',
    });

    expect(await json(response)).toMatchObject({
      message: 'The refreshToken has already been used.',
    });
  });
});
