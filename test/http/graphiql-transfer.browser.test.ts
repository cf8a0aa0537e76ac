import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { launchChromium } from '../support/chromium.js';
import { startTestGateway } from '../support/gateway-server.js';
import { requires } from '../support/requires.js';

/**
 * What GraphiQL costs a browser on the wire: bytes received for a first and a second page view,
 * counted by Chromium itself (DevTools protocol, `encodedDataLength`: headers and body as sent).
 */

requires('chromium').describe('GraphiQL transfer, first and second view (Chromium)', () => {
  let gateway: Awaited<ReturnType<typeof startTestGateway>>;
  let browser: Browser;

  beforeAll(async () => {
    gateway = await startTestGateway();
    browser = await launchChromium();
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await gateway?.close();
  });

  it('transfers the compressed assets once; a second view transfers only the page', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    const cdp = await context.newCDPSession(page);
    await cdp.send('Network.enable');
    // Bytes per request as Chromium counts them; a response served from its cache counts 0.
    let received = new Map<string, number>();
    const requests = new Map<string, { method: string; path: string }>();
    const encodings = new Map<string, string>();
    cdp.on('Network.requestWillBeSent', (event) => {
      if (event.request.url.startsWith('http')) {
        const { pathname } = new URL(event.request.url);
        requests.set(event.requestId, { method: event.request.method, path: pathname });
      }
    });
    cdp.on('Network.loadingFinished', (event) => {
      const request = requests.get(event.requestId);
      if (!request) return;
      const key = `${request.method} ${request.path}`;
      received.set(key, (received.get(key) ?? 0) + event.encodedDataLength);
    });
    cdp.on('Network.responseReceived', (event) => {
      if (!event.response.url.startsWith('http')) return;
      const encoding = Object.entries(event.response.headers).find(
        ([name]) => name.toLowerCase() === 'content-encoding',
      )?.[1];
      encodings.set(new URL(event.response.url).pathname, encoding ?? 'none');
    });

    const view = async () => {
      received = new Map();
      await page.goto(gateway.graphqlUrl, { waitUntil: 'load', timeout: 60_000 });
      await page.locator('.graphiql-execute-button').waitFor({ timeout: 60_000 });
      // Let the last loadingFinished events arrive (GraphiQL's schema query among them).
      await new Promise((resolve) => setTimeout(resolve, 500));
      return received;
    };
    const sum = (bytes: Map<string, number>, only?: (key: string) => boolean) =>
      [...bytes].filter(([key]) => !only || only(key)).reduce((total, [, n]) => total + n, 0);
    const first = await view();
    const second = await view();

    const { renderGraphiQL } = await import('@graphql-yoga/render-graphiql');
    const inlinePage = Buffer.byteLength(renderGraphiQL({}));
    const isAsset = (key: string) => key.startsWith('GET /graphiql/');
    console.log(
      `GraphiQL transfer: first view ${sum(first)} B (assets ${sum(first, isAsset)} B), ` +
        `second view ${sum(second)} B (assets ${sum(second, isAsset)} B); ` +
        `one view of Yoga's inlined page: ${inlinePage} B uncompressed, every time. ` +
        `Per request, second view: ${JSON.stringify(Object.fromEntries(second))}; ` +
        `encodings: ${JSON.stringify(Object.fromEntries(encodings))}`,
    );
    const script = [...encodings].find(([path]) => path.endsWith('.js'));
    expect(script?.[1]).toMatch(/^(br|gzip)$/);
    expect(sum(first, isAsset)).toBeGreaterThan(0);
    expect(sum(first)).toBeLessThan(inlinePage / 3);
    // The second view takes every asset from the browser's cache: only the page and GraphiQL's
    // own schema query go over the wire.
    expect(sum(second, isAsset)).toBe(0);
    expect(sum(second, (key) => key === 'GET /graphql')).toBeLessThan(5_000);
    await context.close();
  }, 120_000);
});
