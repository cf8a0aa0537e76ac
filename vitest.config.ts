import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const source = (path: string) => fileURLToPath(new URL(path, import.meta.url));

/**
 * test/ mirrors src/ by feature; a file's name says the harness it needs, and each harness is a
 * project (`vitest run --project unit`):
 * - unit: in process, no sockets (MockAgent, fakes, pure functions);
 * - api: the gateway in process, driven through `yoga.fetch`, Circle on MockAgent;
 * - integration: real listeners, child processes, Redis, loopback upstreams;
 * - browser: Debian's Chromium through playwright-core.
 */
const HARNESSES = ['unit', 'api', 'integration', 'browser'] as const;

// A test file named for no harness would belong to no project and silently never run.
const unnamed = readdirSync(source('./test'), { recursive: true, encoding: 'utf8' }).filter(
  (name) =>
    name.endsWith('.test.ts') && !HARNESSES.some((harness) => name.endsWith(`.${harness}.test.ts`)),
);
if (unnamed.length > 0) {
  throw new Error(
    `Name the harness of each test file (*.{${HARNESSES.join(',')}}.test.ts): ${unnamed.join(', ')}`,
  );
}

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
    // Every project inherits these and the aliases above (extends: true). No include here: a
    // project's include would be appended to it, not put in its place.
    testTimeout: 20_000,
    hookTimeout: 20_000,
    pool: 'forks',
    projects: HARNESSES.map((name) => ({
      extends: true as const,
      test: { name, include: [`test/**/*.${name}.test.ts`] },
    })),
  },
});
