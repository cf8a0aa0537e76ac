import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';
import { bundleClient } from '../../scripts/client-bundle.js';

/** What a browser app ships when it imports …/client or one of the examples. */
describe('the browser bundle', () => {
  it('holds only the client, the generated documents and the code list: no dependency at all', async () => {
    const bundle = await bundleClient();
    expect(bundle.inputs.every((path) => path.startsWith('src/'))).toBe(true);
    expect(bundle.inputs).toContain('src/generated/client/graphql.ts');
    expect(bundle.code).toContain('mutation RefreshUserToken');
  });

  it('stays under its budget of 6 KB gzipped (`npm run size:client` prints the figures)', async () => {
    const { gzipBytes } = await bundleClient();
    expect(gzipBytes).toBeLessThan(6 * 1024);
  });

  for (const example of ['typed-client.ts', 'urql-client.ts']) {
    it(`examples/${example} bundles for browsers without graphql-js`, async () => {
      const result = await build({
        entryPoints: [fileURLToPath(new URL(`../../examples/${example}`, import.meta.url))],
        bundle: true,
        platform: 'browser',
        format: 'esm',
        write: false,
        metafile: true,
        logLevel: 'silent',
      });
      const inputs = Object.keys(result.metafile.inputs);
      expect(inputs.filter((path) => path.includes('node_modules/graphql/'))).toEqual([]);
    });
  }
});
