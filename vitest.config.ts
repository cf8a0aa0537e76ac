import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const source = (path: string) => fileURLToPath(new URL(path, import.meta.url));

export default defineConfig({
  resolve: {
    alias: [
      // One copy of graphql for every importer, or graphql throws "another module or realm".
      { find: /^graphql$/, replacement: 'graphql/index.js' },
      // The package's own name means its sources here, as tsconfig.json's "paths" say (the
      // exports point at dist/; test/package/ checks the built package).
      { find: /^circle-wallets-graphql-gateway$/, replacement: source('./src/public-api.ts') },
      {
        find: /^circle-wallets-graphql-gateway\/(simulator|subgraph|client)$/,
        replacement: source('./src/$1'),
      },
    ],
  },
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 20_000,
    hookTimeout: 20_000,
    pool: 'forks',
  },
});
