import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { renderSettingsTable } from '../../scripts/settings-table.js';
import { GATEWAY_ERROR_CODES } from '../../src/schema/errors.js';

// Table cells compared without their padding, so a Markdown formatter may align them.
const squeeze = (text: string) => text.replace(/ *\| */g, '|').replace(/\|-+/g, '|-');
const readme = squeeze(readFileSync(new URL('../../README.md', import.meta.url), 'utf8'));
const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
  scripts: Record<string, string>;
};

describe('the README', () => {
  it('lists every setting the code reads, with its default', () => {
    const section = readme.match(/<!-- settings:start -->\n([\s\S]*?)\n<!-- settings:end -->/)?.[1];
    expect(section).toBe(squeeze(renderSettingsTable()));
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
