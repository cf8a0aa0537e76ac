import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  createSessionKeeper,
  type GatewayError,
  type KeptSession,
  newIdempotencyKey,
  refreshUserToken,
  type SessionKeeper,
  type SessionKeeperOptions,
  type SessionStorageLike,
} from '../../src/client/index.js';
import { startTestGateway } from '../support/gateway-server.js';
import { refreshInput } from '../support/session.js';

/**
 * The keeper's retry rules in Node, against the gateway on its simulator. Node has no
 * localStorage and no Web Locks: the "tabs" here share a Map-backed storage (so the storage lease
 * is the lock) and talk over Node's BroadcastChannel. The browser suite covers real tabs.
 */
describe('the session keeper (Node, shared storage)', () => {
  let gateway: Awaited<ReturnType<typeof startTestGateway>>;
  let storage: SessionStorageLike & { map: Map<string, string> };
  const keepers: SessionKeeper[] = [];
  const simulator = () => gateway.simulator!.simulator;
  const refreshCalls = () =>
    simulator().requests.filter((r) => r.path === '/v1/w3s/users/token/refresh');

  beforeAll(async () => {
    gateway = await startTestGateway({ UPSTREAM_MAX_ATTEMPTS: '1' });
  });
  afterAll(async () => {
    await gateway?.close();
  });
  beforeEach(() => {
    simulator().reset();
    const map = new Map<string, string>();
    storage = {
      map,
      getItem: (key) => map.get(key) ?? null,
      setItem: (key, value) => void map.set(key, value),
      removeItem: (key) => void map.delete(key),
    };
  });
  afterEach(() => {
    for (const keeper of keepers.splice(0)) keeper.stop();
  });

  /** A tab: a keeper on the shared storage that records what it reports. */
  function tab(options: Partial<SessionKeeperOptions> = {}) {
    const sessions: Array<{ session: KeptSession; source: string }> = [];
    const errors: GatewayError[] = [];
    const expired: GatewayError[] = [];
    const keeper = createSessionKeeper({
      url: gateway.graphqlUrl,
      storage,
      locks: null,
      jitterMs: 0,
      retryDelayMs: 50,
      onSession: (session, source) => sessions.push({ session, source }),
      onError: (error) => errors.push(error),
      onSessionExpired: (error) => expired.push(error),
      ...options,
    });
    keepers.push(keeper);
    return { keeper, sessions, errors, expired };
  }

  /** A login whose expiry the tabs see as now: due at once, while Circle still accepts it. */
  function dueLogin() {
    const s = simulator().createSession();
    return {
      userToken: s.userToken,
      refreshToken: s.refreshToken,
      deviceId: s.deviceId,
      expiresAt: new Date().toISOString(),
    };
  }

  it('waits the retryAfter of a RATE_LIMITED answer, then retries under the same key', async () => {
    simulator().injectFault({ path: 'refresh', status: 429, retryAfter: 1 });
    const a = tab();
    a.keeper.start(dueLogin());
    await expect
      .poll(() => a.sessions.filter((s) => s.source === 'refresh').length, { timeout: 5_000 })
      .toBe(1);

    const calls = refreshCalls();
    expect(calls).toHaveLength(2);
    const keys = calls.map((c) => (c.body as { idempotencyKey: string }).idempotencyKey);
    expect(keys[1]).toBe(keys[0]);
    expect(calls[1]!.time - calls[0]!.time).toBeGreaterThanOrEqual(1_000);
    expect(a.errors.map((e) => [e.code, e.retryAfter])).toEqual([['RATE_LIMITED', 1]]);
    expect(a.expired).toEqual([]);
  });

  it('retries under the same key when Circle rotated but its answer is lost (UPSTREAM_UNAVAILABLE), and gets the replay', async () => {
    simulator().injectFault({ path: 'refresh', drop: true, afterProcessing: true });
    const a = tab();
    const login = dueLogin();
    a.keeper.start(login);
    await expect
      .poll(() => a.sessions.filter((s) => s.source === 'refresh').length, { timeout: 5_000 })
      .toBe(1);

    const calls = refreshCalls();
    expect(calls.map((c) => c.fault)).toEqual(['drop', undefined]);
    expect(calls[1]!.body).toEqual(calls[0]!.body);
    expect(a.errors.map((e) => [e.code, e.retryable])).toEqual([['UPSTREAM_UNAVAILABLE', true]]);
    expect(a.expired).toEqual([]);
    expect(a.keeper.session?.refreshToken).not.toBe(login.refreshToken);
  });

  it('finishes the refresh a closed tab left pending, with its key: Circle replays, nobody is logged out', async () => {
    const login = dueLogin();
    const idempotencyKey = newIdempotencyKey();
    // The closed tab's call reached Circle (the token rotated); its answer was lost with the tab.
    const lost = await refreshUserToken(refreshInput(login, idempotencyKey), {
      url: gateway.graphqlUrl,
    });
    storage.setItem(
      'circle-session',
      JSON.stringify({
        session: login,
        pending: { refreshToken: login.refreshToken, idempotencyKey },
      }),
    );

    const b = tab();
    expect(b.keeper.start()?.refreshToken).toBe(login.refreshToken);
    await expect.poll(() => b.keeper.session?.refreshToken).toBe(lost.refreshToken);
    expect(b.keeper.session?.userToken).toBe(lost.userToken);
    expect(b.expired).toEqual([]);
    const keys = refreshCalls().map((c) => (c.body as { idempotencyKey: string }).idempotencyKey);
    expect(keys).toEqual([idempotencyKey, idempotencyKey]);
  });

  it('clear() logs every tab out: each reports LOGGED_OUT once, and nothing is refreshed', async () => {
    const a = tab();
    const b = tab();
    const login = { ...dueLogin(), expiresAt: new Date(Date.now() + 3_600_000).toISOString() };
    a.keeper.start(login);
    expect(b.keeper.start()?.refreshToken).toBe(login.refreshToken);
    a.keeper.clear();
    await expect.poll(() => b.expired.map((e) => e.code)).toEqual(['LOGGED_OUT']);
    expect(a.keeper.session).toBeUndefined();
    expect(b.keeper.session).toBeUndefined();
    // A tab opened later finds no session to keep: the app shows its login.
    const c = tab();
    expect(c.keeper.start()).toBeUndefined();
    expect(c.sessions).toEqual([]);
    expect(refreshCalls()).toEqual([]);
  });

  it('refreshNow() refreshes a session that is not due yet, through the same lock', async () => {
    const a = tab();
    const login = { ...dueLogin(), expiresAt: new Date(Date.now() + 3_600_000).toISOString() };
    a.keeper.start(login);
    const next = await a.keeper.refreshNow();
    expect(next?.refreshToken).not.toBe(login.refreshToken);
    expect(JSON.parse(storage.getItem('circle-session')!).session).toEqual(next);
    expect(refreshCalls()).toHaveLength(1);
  });

  it('refuses bad options when it is built', () => {
    expect(() => createSessionKeeper({ url: '' })).toThrow(/url is required/);
    expect(() =>
      createSessionKeeper({ url: 'http://127.0.0.1/graphql', storage: null, jitterMs: -1 }),
    ).toThrow(/jitterMs must be a non-negative number/);
  });
});
