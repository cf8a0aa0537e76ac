import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { renderSettingsTable } from '../../scripts/settings-table.js';
import { GATEWAY_ERROR_CODES } from '../../src/schema/errors.js';

// Table cells compared without their padding, so a Markdown formatter may align them.
const squeeze = (text: string) => text.replace(/ *\| */g, '|').replace(/\|-+/g, '|-');
const readme = squeeze(readFileSync(new URL('../../README.md', import.meta.url), 'utf8'));
const settingsPage = squeeze(
  readFileSync(new URL('../../docs/settings.md', import.meta.url), 'utf8'),
);
const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
  scripts: Record<string, string>;
};

describe('docs/settings.md', () => {
  it('lists every setting the code reads, with its default', () => {
    const section = settingsPage.match(
      /<!-- settings:start -->\n([\s\S]*?)\n<!-- settings:end -->/,
    )?.[1];
    expect(section).toBe(squeeze(renderSettingsTable()));
  });
});

describe('the README', () => {
  it('is a front door: short, with the settings on their own page', () => {
    expect(
      Buffer.byteLength(readFileSync(new URL('../../README.md', import.meta.url))),
    ).toBeLessThan(16 * 1024);
    expect(readme).toContain('(docs/settings.md)');
  });

  it('names the two commands that exist', () => {
    expect(readme).toContain(
      squeeze('| run the gateway (on the embedded simulator when no key is set) | `npm start` |'),
    );
    expect(readme).toContain(
      squeeze('| pass the tests (codegen check, typecheck, lint, every suite) | `npm test` |'),
    );
    expect(pkg.scripts.start).toBeDefined();
    expect(pkg.scripts.test).toBeDefined();
  });

  it('documents every error code the gateway can answer', () => {
    for (const code of GATEWAY_ERROR_CODES) expect(readme).toContain(`|\`${code}\`|`);
  });

  it('shows examples/use-from-code.ts as it is (the library test runs that file)', () => {
    const raw = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
    const example = readFileSync(
      new URL('../../examples/use-from-code.ts', import.meta.url),
      'utf8',
    );
    expect(raw).toContain(example.trim());
  });
});

describe('the documentation pages', () => {
  const root = new URL('../../', import.meta.url);
  const pages = ['README.md', ...readdirSync(new URL('docs/', root)).map((name) => `docs/${name}`)];

  it.each(pages)('%s links only to files that exist', (page) => {
    const text = readFileSync(new URL(page, root), 'utf8');
    const targets = [...text.matchAll(/\]\(([^)\s]+)\)/g)]
      .map((match) => match[1]?.split('#')[0] ?? '')
      .filter((target) => target !== '' && !/^[a-z]+:/.test(target));
    const missing = targets.filter((target) => !existsSync(new URL(target, new URL(page, root))));
    expect(missing).toEqual([]);
  });
});
