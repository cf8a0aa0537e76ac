import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { renderSettingsTable } from '../../src/settings-table.js';

const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
  scripts: Record<string, string>;
};

describe('the README', () => {
  it('lists every setting the code reads, with its default', () => {
    const section = readme.match(/<!-- settings:start -->\n([\s\S]*?)\n<!-- settings:end -->/)?.[1];
    expect(section).toBe(renderSettingsTable());
  });

  it('names the two commands that exist', () => {
    expect(readme).toContain(
      '| run the gateway (on the embedded simulator when no key is set) | `npm start` |',
    );
    expect(readme).toContain(
      '| pass the tests (codegen check, typecheck, lint, every suite) | `npm test` |',
    );
    expect(pkg.scripts.start).toBeDefined();
    expect(pkg.scripts.test).toBeDefined();
  });

  it('documents every error code the gateway can answer', async () => {
    const source = readFileSync(new URL('../../src/schema/errors.ts', import.meta.url), 'utf8');
    const union = source.match(/export type GatewayErrorCode =([\s\S]*?);/)?.[1] ?? '';
    const codes = [...union.matchAll(/'([A-Z_]+)'/g)].map((m) => m[1]);
    expect(codes.length).toBeGreaterThan(10);
    for (const code of codes) expect(readme).toContain(`| \`${code}\` |`);
  });
});
