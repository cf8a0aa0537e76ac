import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, type TestGateway } from '../support/loopback-gateway.js';
import { post, postJson, read } from '../support/requests.js';

const query = '{ circleWalletsGateway { version } }';

describe('browser-facing defaults', () => {
  let gateway: TestGateway;
  let withOrigins: TestGateway;
  let behindTls: TestGateway;
  beforeAll(async () => {
    [gateway, withOrigins, behindTls] = await Promise.all([
      startTestGateway({ LOG_LEVEL: 'silent' }),
      startTestGateway({
        LOG_LEVEL: 'silent',
        CORS_ORIGINS: 'https://wallet.example.com, http://localhost:5173',
      }),
      startTestGateway({ LOG_LEVEL: 'silent', HSTS_MAX_AGE: '31536000' }),
    ]);
  });
  afterAll(async () => {
    await Promise.all([gateway?.close(), withOrigins?.close(), behindTls?.close()]);
  });

  describe('CSRF prevention', () => {
    it('refuses a form post a page on another site could make, before executing it', async () => {
      const response = await fetch(gateway.graphqlUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ query }).toString(),
      });
      const answer = await read(response);
      expect(answer.status).toBe(403);
      expect(answer.json.errors?.[0]?.extensions).toMatchObject({
        code: 'BAD_USER_INPUT',
        reason: 'CSRF_HEADER_REQUIRED',
      });
      expect(answer.text).not.toContain('"version"');
    });

    it('refuses text/plain and multipart posts, and a GET query without the header', async () => {
      const plain = await fetch(gateway.graphqlUrl, {
        method: 'POST',
        headers: { 'content-type': 'text/plain' },
        body: JSON.stringify({ query }),
      });
      expect(plain.status).toBe(403);
      const form = new FormData();
      form.set('operations', JSON.stringify({ query }));
      form.set('map', '{}');
      expect((await fetch(gateway.graphqlUrl, { method: 'POST', body: form })).status).toBe(403);
      const get = await fetch(`${gateway.graphqlUrl}?query=${encodeURIComponent(query)}`);
      expect(get.status).toBe(403);
    });

    it('lets fetch with content-type application/json, and a GET with the header, through', async () => {
      const answer = await post(gateway.graphqlUrl, { query });
      expect(answer.status).toBe(200);
      expect(answer.json.data).toMatchObject({
        circleWalletsGateway: { version: expect.any(String) },
      });
      const get = await fetch(`${gateway.graphqlUrl}?query=${encodeURIComponent(query)}`, {
        headers: { 'x-graphql-yoga-csrf': '1' },
      });
      expect(get.status).toBe(200);
    });
  });

  describe('CORS', () => {
    const preflight = (url: string, origin: string) =>
      fetch(url, {
        method: 'OPTIONS',
        headers: {
          origin,
          'access-control-request-method': 'POST',
          'access-control-request-headers': 'content-type',
        },
      });

    it('gives no other origin access by default (same origin only)', async () => {
      const answer = await preflight(gateway.graphqlUrl, 'https://evil.example');
      expect(answer.headers.get('access-control-allow-origin')).toBeNull();
      const response = await post(
        gateway.graphqlUrl,
        { query },
        { origin: 'https://evil.example' },
      );
      expect(response.headers.get('access-control-allow-origin')).toBeNull();
      expect(response.headers.get('access-control-allow-credentials')).toBeNull();
    });

    it('allows exactly the listed origins, without credentials', async () => {
      const allowed = await preflight(withOrigins.graphqlUrl, 'http://localhost:5173');
      expect(allowed.headers.get('access-control-allow-origin')).toBe('http://localhost:5173');
      expect(allowed.headers.get('access-control-allow-methods')).toContain('POST');
      expect(allowed.headers.get('access-control-allow-headers')).toContain('content-type');
      expect(allowed.headers.get('access-control-allow-credentials')).toBeNull();
      const response = await post(
        withOrigins.graphqlUrl,
        { query },
        { origin: 'https://wallet.example.com' },
      );
      expect(response.headers.get('access-control-allow-origin')).toBe(
        'https://wallet.example.com',
      );
      expect(response.headers.get('access-control-expose-headers')).toContain('retry-after');
      const other = await preflight(
        withOrigins.graphqlUrl,
        'https://wallet.example.com.evil.example',
      );
      expect(other.headers.get('access-control-allow-origin')).toBeNull();
    });
  });

  describe('security headers', () => {
    it('are on every response: GraphQL, errors, health, and no HSTS unless configured', async () => {
      const responses = [
        await postJson(gateway.graphqlUrl, { query }),
        await postJson(gateway.graphqlUrl, '{"query":'),
        await fetch(`${gateway.url}/health`),
        await fetch(`${gateway.url}/ready`),
      ];
      for (const response of responses) {
        expect(response.headers.get('x-content-type-options')).toBe('nosniff');
        expect(response.headers.get('referrer-policy')).toBe('no-referrer');
        expect(response.headers.get('x-frame-options')).toBe('DENY');
        expect(response.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
        expect(response.headers.get('strict-transport-security')).toBeNull();
      }
      expect(responses[0]!.headers.get('content-security-policy')).toContain("default-src 'none'");
      expect(responses[0]!.headers.get('cache-control')).toBe('no-store');
    });

    it('send HSTS when HSTS_MAX_AGE says clients come over HTTPS', async () => {
      const response = await fetch(`${behindTls.url}/health`);
      expect(response.headers.get('strict-transport-security')).toBe('max-age=31536000');
    });

    it("give GraphiQL a CSP that allows its own scripts (its origin's assets, its inline one by hash) and nothing else's", async () => {
      const response = await fetch(gateway.graphqlUrl, { headers: { accept: 'text/html' } });
      const html = await response.text();
      const csp = response.headers.get('content-security-policy') ?? '';
      const scripts = [...html.matchAll(/<script>([\s\S]*?)<\/script>/g)].map((m) => m[1] ?? '');
      expect(scripts).toHaveLength(1);
      const hash = createHash('sha256').update(scripts[0]!).digest('base64');
      expect(csp).toContain(`script-src 'self' 'sha256-${hash}'`);
      expect(csp).not.toMatch(/script-src[^;]*'unsafe-(inline|eval)'/);
      expect(csp).toContain("connect-src 'self'");
      expect(csp).toContain('worker-src blob:');
      expect(csp).toContain("frame-ancestors 'none'");
      expect(response.headers.get('x-frame-options')).toBe('DENY');
    });
  });
});
