import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, beforeEach, expect, it } from 'vitest';
import { bundleClient } from '../../scripts/client-bundle.js';
import { refreshUserToken } from '../../src/client/index.js';
import { launchChromium } from '../support/chromium.js';
import { startTestGateway } from '../support/gateway-server.js';
import { requires } from '../support/requires.js';

/**
 * The session keeper as an app's tabs run it: the bundled client in Debian's Chromium, several
 * pages of one browser context (one origin, one localStorage), against the real gateway and its
 * embedded Circle simulator. The page's origin also proxies /graphql to the gateway, so a test
 * can cut a response after Circle has processed the call.
 */

const HOUR = 60 * 60 * 1000;
const REFRESH_PATH = '/v1/w3s/users/token/refresh';

/** The test page: loads the bundle and records what the keeper reports. */
const PAGE = `<!doctype html>
<meta charset="utf-8"><title>session keeper</title>
<script type="module">
  import * as client from '/client.js';
  window.events = [];
  // Set while this tab has a refresh call on the wire (the test closes such a tab).
  window.sending = false;
  const sendingFetch = async (...args) => {
    window.sending = true;
    try {
      return await fetch(...args);
    } finally {
      window.sending = false;
    }
  };
  window.startKeeper = ({ stopAfter, useWebLocks, ...options }, session) => {
    // The older browsers' case: no Web Locks and no BroadcastChannel, only localStorage.
    if (!useWebLocks) delete window.BroadcastChannel;
    let rotations = 0;
    const keeper = client.createSessionKeeper({
      url: '/graphql',
      fetch: sendingFetch,
      ...options,
      ...(useWebLocks ? {} : { locks: null }),
      onSession(session, source) {
        window.events.push({ type: 'session', source, session });
        if (source !== 'start' && ++rotations >= stopAfter) keeper.stop();
      },
      onSessionExpired(error) {
        window.events.push({ type: 'expired', code: error.code });
      },
      onError(error) {
        window.events.push({ type: 'error', code: error.code, idempotencyKey: error.idempotencyKey });
      },
    });
    window.keeper = keeper;
    return keeper.start(session) ?? null;
  };
  window.ready = true;
</script>`;

interface Session {
  userToken: string;
  refreshToken: string;
  deviceId: string;
  expiresAt?: string;
}
type KeeperEvent =
  | { type: 'session'; source: 'start' | 'refresh' | 'other-tab'; session: Session }
  | { type: 'expired'; code: string }
  | { type: 'error'; code: string; idempotencyKey?: string };
interface KeeperOptions {
  url?: string;
  refreshMarginMs: number;
  jitterMs: number;
  retryDelayMs?: number;
  stopAfter: number;
  useWebLocks: boolean;
}

requires('chromium').describe('the session keeper in Chromium tabs', () => {
  let gateway: Awaited<ReturnType<typeof startTestGateway>>;
  let site: Server;
  let siteUrl: string;
  let browser: Browser;
  let context: BrowserContext;
  /** How many of the next /graphql responses the proxy cuts after the gateway has answered. */
  let responsesToCut = 0;

  const simulator = () => gateway.simulator!.simulator;
  const refreshCalls = () =>
    simulator()
      .requests.filter((r) => r.path === REFRESH_PATH)
      .map((r) => r.body as { refreshToken: string; idempotencyKey: string; deviceId: string });

  beforeAll(async () => {
    const { code } = await bundleClient();
    site = createServer((req, res) => {
      if (req.method === 'GET' && req.url === '/') {
        res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(PAGE);
      } else if (req.method === 'GET' && req.url === '/client.js') {
        res.writeHead(200, { 'content-type': 'text/javascript' }).end(code);
      } else if (req.method === 'POST' && req.url === '/graphql') {
        void proxy(req).then(({ status, type, body }) => {
          if (responsesToCut > 0) {
            responsesToCut -= 1;
            // Headers and half the body, then the connection dies: the browser got something,
            // so it cannot resend by itself, and Circle has already rotated the token.
            res.writeHead(status, { 'content-type': type, 'content-length': body.length });
            res.write(body.subarray(0, body.length >> 1));
            setTimeout(() => res.socket?.destroy(), 20);
            return;
          }
          res.writeHead(status, { 'content-type': type }).end(body);
        });
      } else {
        res.writeHead(404).end();
      }
    });
    await new Promise<void>((resolve) => site.listen(0, '127.0.0.1', resolve));
    siteUrl = `http://127.0.0.1:${(site.address() as AddressInfo).port}/`;
    // The page may also call the gateway directly, cross-origin, as a deployed app does.
    gateway = await startTestGateway({ CORS_ORIGINS: new URL(siteUrl).origin });
    browser = await launchChromium();
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    site?.closeAllConnections();
    await new Promise((resolve) => site?.close(resolve));
    await gateway?.close();
  });

  beforeEach(async () => {
    simulator().reset();
    responsesToCut = 0;
    await context?.close();
    context = await browser.newContext();
  });

  async function proxy(req: IncomingMessage) {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const response = await fetch(gateway.graphqlUrl, {
      method: 'POST',
      headers: {
        'content-type': req.headers['content-type'] ?? 'application/json',
        accept: req.headers.accept ?? 'application/json',
      },
      body: Buffer.concat(chunks),
    });
    return {
      status: response.status,
      type: response.headers.get('content-type') ?? 'application/json',
      body: Buffer.from(await response.arrayBuffer()),
    };
  }

  async function openTabs(count: number): Promise<Page[]> {
    const tabs: Page[] = [];
    for (let i = 0; i < count; i++) {
      const page = await context.newPage();
      page.on('pageerror', (error) => console.error(`tab ${i}: ${error.message}`));
      await page.goto(siteUrl);
      await page.waitForFunction(() => (window as unknown as { ready?: boolean }).ready === true);
      tabs.push(page);
    }
    return tabs;
  }

  /**
   * Tab 0 starts with the login result; the others pick the session up from storage. Each test's
   * first refresh is due seconds after this (its margin): starting five tabs one by one takes
   * most of a second on a loaded machine, and a refresh due before the last tab starts would hand
   * that tab the rotated session instead of the login one.
   */
  async function startKeepers(tabs: Page[], session: Session, options: KeeperOptions) {
    const start = (page: Page, given: Session | undefined) =>
      page.evaluate(
        ([opts, s]) =>
          (
            window as unknown as { startKeeper: (o: unknown, s: unknown) => Session | null }
          ).startKeeper(opts, s ?? undefined),
        [options, given ?? null] as const,
      );
    const first = await start(tabs[0]!, session);
    expect(first?.refreshToken).toBe(session.refreshToken);
    for (const tab of tabs.slice(1)) {
      expect((await start(tab, undefined))?.refreshToken).toBe(session.refreshToken);
    }
  }

  const eventsOf = (page: Page) =>
    page.evaluate(() => (window as unknown as { events: KeeperEvent[] }).events);
  const rotationsOf = (events: KeeperEvent[]) =>
    events.flatMap((e) => (e.type === 'session' && e.source !== 'start' ? [e] : []));

  /** A fresh login at the simulator, as the Web SDK's performLogin would hand it over. */
  function login(): Session {
    const { userToken, refreshToken, deviceId } = simulator().createSession();
    return { userToken, refreshToken, deviceId };
  }

  const cases = [
    { tabs: 2, useWebLocks: true },
    { tabs: 5, useWebLocks: true },
    { tabs: 5, useWebLocks: false },
  ];
  for (const { tabs: count, useWebLocks } of cases) {
    it(`refreshes once per rotation across ${count} tabs (${useWebLocks ? 'Web Locks' : 'no Web Locks, no BroadcastChannel: storage lease and storage events'}), every tab on the new session`, async () => {
      const tabs = await openTabs(count);
      const session = login();
      const rounds = 3;
      // Due 3 s after each login or rotation (the token lives 60 min), with no jitter: every
      // tab's timer fires in the same instant, three times over, and all race for the lock.
      await startKeepers(tabs, session, {
        refreshMarginMs: HOUR - 3_000,
        jitterMs: 0,
        stopAfter: rounds,
        useWebLocks,
      });

      await expect
        .poll(
          async () =>
            Math.min(...(await Promise.all(tabs.map(eventsOf))).map((e) => rotationsOf(e).length)),
          {
            timeout: 20_000,
          },
        )
        .toBe(rounds);

      const calls = refreshCalls();
      expect(calls).toHaveLength(rounds);
      // Each rotation waited for its due time: no tab refreshed a session it had just received.
      const times = simulator()
        .requests.filter((r) => r.path === REFRESH_PATH)
        .map((r) => r.time);
      for (let i = 1; i < times.length; i++) {
        expect(times[i]! - times[i - 1]!).toBeGreaterThan(2_000);
      }
      const all = await Promise.all(tabs.map(eventsOf));
      const seen = rotationsOf(all[0]!).map((e) => e.session);
      // Each call spent the refresh token of the session before it: no token was sent twice.
      expect(calls.map((c) => c.refreshToken)).toEqual([
        session.refreshToken,
        ...seen.slice(0, -1).map((s) => s.refreshToken),
      ]);
      expect(new Set(calls.map((c) => c.idempotencyKey)).size).toBe(rounds);
      for (const events of all) {
        expect(rotationsOf(events).map((e) => e.session)).toEqual(seen);
        expect(events.filter((e) => e.type !== 'session')).toEqual([]);
      }
      // Exactly one tab refreshed each time; the others took its session.
      for (let round = 0; round < rounds; round++) {
        const sources = all.map((events) => rotationsOf(events)[round]!.source);
        expect(sources.filter((s) => s === 'refresh')).toHaveLength(1);
      }
      expect(new Set(seen.map((s) => s.userToken)).size).toBe(rounds);
      expect(seen.every((s) => s.deviceId === session.deviceId)).toBe(true);
    }, 60_000);
  }

  it('refreshes once for both tabs cross-origin, straight to the gateway (CORS_ORIGINS allows the page)', async () => {
    const tabs = await openTabs(2);
    const session = login();
    await startKeepers(tabs, session, {
      url: gateway.graphqlUrl,
      refreshMarginMs: HOUR - 5_000,
      jitterMs: 0,
      stopAfter: 1,
      useWebLocks: true,
    });
    await expect
      .poll(
        async () =>
          (await Promise.all(tabs.map(eventsOf))).map((events) => rotationsOf(events).length),
        { timeout: 20_000 },
      )
      .toEqual([1, 1]);
    expect(refreshCalls()).toHaveLength(1);
    const [a, b] = await Promise.all(tabs.map(eventsOf));
    expect(rotationsOf(a!)[0]!.session).toEqual(rotationsOf(b!)[0]!.session);
    expect(a!.concat(b!).filter((e) => e.type !== 'session')).toEqual([]);
  }, 60_000);

  it('retries a response lost after Circle rotated with the same key: Circle replays it, no tab is logged out', async () => {
    const tabs = await openTabs(3);
    const session = login();
    responsesToCut = 1;
    await startKeepers(tabs, session, {
      refreshMarginMs: HOUR - 5_000,
      jitterMs: 0,
      retryDelayMs: 200,
      stopAfter: 1,
      useWebLocks: true,
    });
    await expect
      .poll(
        async () =>
          (await Promise.all(tabs.map(eventsOf))).every((e) => rotationsOf(e).length === 1),
        {
          timeout: 20_000,
        },
      )
      .toBe(true);

    const calls = refreshCalls();
    expect(calls).toHaveLength(2);
    expect(calls[1]).toEqual(calls[0]);
    expect(calls[0]!.refreshToken).toBe(session.refreshToken);

    const all = await Promise.all(tabs.map(eventsOf));
    const errors = all.flat().filter((e) => e.type === 'error');
    expect(errors).toEqual([
      { type: 'error', code: 'NETWORK_ERROR', idempotencyKey: calls[0]!.idempotencyKey },
    ]);
    expect(all.flat().filter((e) => e.type === 'expired')).toEqual([]);
    const sessions = all.map((events) => rotationsOf(events)[0]!.session);
    for (const s of sessions) expect(s).toEqual(sessions[0]);
    expect(sessions[0]!.refreshToken).not.toBe(session.refreshToken);

    // The session the tabs hold is the live one: it refreshes (a replayed stale one would not).
    const next = await refreshUserToken(
      {
        user: { userToken: sessions[0]!.userToken },
        deviceId: sessions[0]!.deviceId,
        refreshToken: sessions[0]!.refreshToken,
      },
      { url: gateway.graphqlUrl },
    );
    expect(next.refreshToken).not.toBe(sessions[0]!.refreshToken);
  }, 60_000);

  it('finishes under the same key, from another tab, the refresh of a tab that closes before the answer', async () => {
    const tabs = await openTabs(3);
    const session = login();
    // Circle processes the call at once (the token rotates) and answers 1.5 s later.
    simulator().injectFault({ path: 'refresh', latencyMs: 1_500 });
    const logsBefore = gateway.logs.length;
    await startKeepers(tabs, session, {
      refreshMarginMs: HOUR - 5_000,
      jitterMs: 0,
      stopAfter: 1,
      useWebLocks: true,
    });
    const isSending = (page: Page) =>
      page.evaluate(() => (window as unknown as { sending: boolean }).sending);
    let refreshing: Page | undefined;
    await expect
      .poll(
        async () => {
          for (const tab of tabs) if (await isSending(tab)) refreshing = tab;
          return refreshing !== undefined;
        },
        { timeout: 20_000, interval: 50 },
      )
      .toBe(true);
    await refreshing!.close();
    const open = tabs.filter((tab) => tab !== refreshing);

    await expect
      .poll(
        async () =>
          (await Promise.all(open.map(eventsOf))).map((events) => rotationsOf(events).length),
        { timeout: 20_000 },
      )
      .toEqual([1, 1]);
    // The gateway answered both tabs; Circle saw only the closed tab's call, or that call and its
    // replay: while the first is still in flight the gateway coalesces the identical second one.
    const answers = gateway.logs
      .slice(logsBefore)
      .map((line) => JSON.parse(line) as { msg: string; outcome?: string; coalesced?: boolean })
      .filter((line) => line.msg === 'refreshUserToken');
    expect(answers.map((line) => line.outcome)).toEqual(['ok', 'ok']);
    const calls = refreshCalls();
    expect(calls.length).toBe(answers.some((line) => line.coalesced) ? 1 : 2);
    for (const call of calls) expect(call).toEqual(calls[0]);
    const [a, b] = await Promise.all(open.map(eventsOf));
    expect(rotationsOf(a!)[0]!.session).toEqual(rotationsOf(b!)[0]!.session);
    expect(a!.concat(b!).filter((e) => e.type !== 'session')).toEqual([]);
    expect(rotationsOf(a!)[0]!.session.refreshToken).not.toBe(session.refreshToken);
  }, 60_000);

  it('reports an expired session once per tab (sessionExpired), with one refresh call and no loop', async () => {
    const tabs = await openTabs(5);
    const session = login();
    // Circle's clock passes the user token's expiry; the tabs find out when they refresh.
    simulator().advanceClock(HOUR + 60_000);
    await startKeepers(tabs, session, {
      refreshMarginMs: HOUR - 5_000,
      jitterMs: 200,
      retryDelayMs: 100,
      stopAfter: 1,
      useWebLocks: true,
    });
    const expiredCounts = async () =>
      (await Promise.all(tabs.map(eventsOf))).map(
        (e) => e.filter((x) => x.type === 'expired').length,
      );
    await expect.poll(expiredCounts, { timeout: 20_000 }).toEqual(tabs.map(() => 1));

    // Time for a loop to show itself: still one call, one report per tab.
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    expect(refreshCalls()).toHaveLength(1);
    expect(await expiredCounts()).toEqual(tabs.map(() => 1));
    const all = await Promise.all(tabs.map(eventsOf));
    for (const events of all) {
      expect(events.filter((e) => e.type === 'expired')).toEqual([
        { type: 'expired', code: 'USER_TOKEN_EXPIRED' },
      ]);
      expect(rotationsOf(events)).toEqual([]);
    }
  }, 60_000);
});
