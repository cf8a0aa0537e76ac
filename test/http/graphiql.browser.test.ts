import { mkdirSync } from 'node:fs';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { launchChromium } from '../support/chromium.js';
import { startTestGateway } from '../support/gateway-server.js';
import { requires } from '../support/requires.js';

/**
 * GraphiQL as a person sees it: Debian's Chromium, headless, opening the gateway that runs on its
 * embedded simulator, with no network but loopback.
 */
const SCREENSHOTS = new URL('../../test-results/', import.meta.url);

const isLoopback = (url: string) => {
  const { protocol, hostname } = new URL(url);
  if (protocol === 'blob:' || protocol === 'data:') return true;
  return ['127.0.0.1', 'localhost', '[::1]'].includes(hostname);
};

requires('chromium').describe('GraphiQL in a real browser (Chromium, offline)', () => {
  let gateway: Awaited<ReturnType<typeof startTestGateway>>;
  let browser: Browser;
  let page: Page;
  const requested: string[] = [];

  // Monaco renders spaces as no-break spaces. innerText, not textContent: it keeps the line breaks.
  const textOf = async (selector: string) =>
    // biome-ignore lint/performance/useDomNodeTextContent: a Playwright locator, not a DOM node
    (await page.locator(selector).innerText()).replace(/\u00a0/g, ' ');
  const responseText = () => textOf('.graphiql-response');

  beforeAll(async () => {
    gateway = await startTestGateway();
    browser = await launchChromium();
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    // Anything but loopback is refused: the page must work with no internet at all.
    await context.route('**/*', (route) =>
      isLoopback(route.request().url()) ? route.continue() : route.abort('internetdisconnected'),
    );
    page = await context.newPage();
    page.on('request', (request) => requested.push(request.url()));
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await gateway?.close();
  });

  it('loads fully offline, with the example mutation and the demo session prefilled', async () => {
    await page.goto(gateway.graphqlUrl, { waitUntil: 'load', timeout: 60_000 });
    await page.locator('.graphiql-execute-button').waitFor({ timeout: 60_000 });

    await expect
      .poll(() => textOf('.graphiql-query-editor'), { timeout: 20_000 })
      .toContain('mutation RefreshUserToken($input: RefreshUserTokenInput!)');
    const demo = gateway.demoSession!;
    await expect
      .poll(() => textOf('.graphiql-editor-tool'), { timeout: 20_000 })
      .toContain(`"refreshToken": "${demo.refreshToken}"`);
    expect(await textOf('.graphiql-editor-tool')).toContain(`"deviceId": "${demo.deviceId}"`);

    expect(requested.length).toBeGreaterThan(0);
    expect(requested.filter((url) => !isLoopback(url))).toEqual([]);
  }, 90_000);

  it('runs the mutation: the result pane shows a new userToken', async () => {
    const before = gateway.simulator!.simulator.requests.length;
    await page.locator('.graphiql-execute-button').click();
    await expect.poll(responseText, { timeout: 20_000 }).toContain('"userToken"');
    const text = await responseText();
    expect(text).toContain('"refreshToken"');
    expect(text).not.toContain('"errors"');
    expect(gateway.simulator!.simulator.requests.length).toBe(before + 1);

    mkdirSync(SCREENSHOTS, { recursive: true });
    await page.screenshot({ path: new URL('graphiql.png', SCREENSHOTS).pathname });
  }, 60_000);

  it('runs it again: the refresh token has rotated, so the answer is REFRESH_REJECTED', async () => {
    await page.locator('.graphiql-execute-button').click();
    await expect.poll(responseText, { timeout: 20_000 }).toContain('REFRESH_REJECTED');
    expect(await responseText()).toContain('"retryable": false');
    await page.screenshot({ path: new URL('graphiql-rejected.png', SCREENSHOTS).pathname });
    expect(requested.filter((url) => !isLoopback(url))).toEqual([]);
  }, 60_000);
});
