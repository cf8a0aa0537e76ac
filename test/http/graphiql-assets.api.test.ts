import { createHash } from 'node:crypto';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { pickEncoding } from '../../src/http/graphiql-page.js';
import { createApiGateway } from '../support/api-gateway.js';

/** GraphiQL's page and its assets, as a browser fetches them (in process, through yoga.fetch). */
describe('GraphiQL page and assets', () => {
  const { gateway } = createApiGateway();
  const get = (path: string, headers: Record<string, string> = {}) =>
    gateway.yoga.fetch(`http://gateway${path}`, { headers });

  const page = async () => {
    const response = await get('/graphql', { accept: 'text/html' });
    const html = await response.text();
    const assets = [...html.matchAll(/(?:src|href)="(\/graphiql\/[^"]+)"/g)].map((m) => m[1]!);
    return { response, html, assets };
  };

  it('is a small page that links three hashed assets outside /graphql', async () => {
    const { response, html, assets } = await page();
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toContain('text/html');
    expect(Buffer.byteLength(html)).toBeLessThan(8_000);
    expect(assets).toHaveLength(3);
    for (const asset of assets) expect(asset).toMatch(/^\/graphiql\/[0-9a-f]{16}\.(js|css|ico)$/);
  });

  it('serves each asset compressed by Accept-Encoding, cacheable for a year, and the same bytes every way', async () => {
    const { assets } = await page();
    for (const asset of assets) {
      const plain = await get(asset);
      expect(plain.status).toBe(200);
      expect(plain.headers.get('content-encoding')).toBeNull();
      expect(plain.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
      expect(plain.headers.get('vary')).toBe('Accept-Encoding');
      expect(plain.headers.get('x-content-type-options')).toBe('nosniff');
      const identity = Buffer.from(await plain.arrayBuffer());
      // The name is the content's hash: a new bundle gets a new URL, so "immutable" is true.
      expect(asset).toContain(createHash('sha256').update(identity).digest('hex').slice(0, 16));

      const br = await get(asset, { 'accept-encoding': 'gzip, deflate, br, zstd' });
      expect(br.headers.get('content-encoding')).toBe('br');
      const brBytes = Buffer.from(await br.arrayBuffer());
      expect(Number(br.headers.get('content-length'))).toBe(brBytes.length);
      expect(brotliDecompressSync(brBytes).equals(identity)).toBe(true);

      const gz = await get(asset, { 'accept-encoding': 'gzip, deflate' });
      expect(gz.headers.get('content-encoding')).toBe('gzip');
      expect(gunzipSync(Buffer.from(await gz.arrayBuffer())).equals(identity)).toBe(true);
      if (asset.endsWith('.js')) {
        expect(identity.length).toBeGreaterThan(5_000_000);
        expect(brBytes.length).toBeLessThan(identity.length / 4);
      }
    }
  });

  it('answers 404, uncached, for a name it does not have', async () => {
    const response = await get('/graphiql/0000000000000000.js');
    expect(response.status).toBe(404);
    expect(response.headers.get('cache-control')).toBe('no-store');
  });

  it('serves no assets when GraphiQL is off', async () => {
    const { assets } = await page();
    const off = createApiGateway({ gateway: { graphiql: false } }).gateway;
    const response = await off.yoga.fetch(`http://gateway${assets[0]}`);
    expect(response.status).toBe(404);
  });

  it('keeps a value in the options from closing the page script', async () => {
    const hostile = createApiGateway({
      gateway: { graphiql: { exampleVariables: { note: '</script><script>alert(1)</script>' } } },
    }).gateway;
    const html = await (
      await hostile.yoga.fetch('http://gateway/graphql', { headers: { accept: 'text/html' } })
    ).text();
    expect(html).not.toContain('<script>alert(1)');
    expect(html.match(/<script/g)).toHaveLength(2);
  });
});

describe('pickEncoding', () => {
  it('prefers brotli, then gzip, honours q=0, and falls back to none', () => {
    expect(pickEncoding('gzip, deflate, br')).toBe('br');
    expect(pickEncoding('br;q=0, gzip')).toBe('gzip');
    expect(pickEncoding('*')).toBe('br');
    expect(pickEncoding('identity')).toBeUndefined();
    expect(pickEncoding(null)).toBeUndefined();
    expect(pickEncoding('gzip;q=0, *;q=0')).toBeUndefined();
  });
});
