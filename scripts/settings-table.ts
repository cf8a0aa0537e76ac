import { readFileSync, writeFileSync } from 'node:fs';
import { SETTINGS } from '../src/settings.js';

function defaultOf(setting: (typeof SETTINGS)[number]): string {
  if ('defaultLabel' in setting && setting.defaultLabel) return setting.defaultLabel;
  const value = setting.default as unknown;
  if (value === undefined || (Array.isArray(value) && value.length === 0)) return 'none';
  return `\`${Array.isArray(value) ? value.join(',') : String(value)}\``;
}

/** docs/settings.md's settings table, made from the one list the gateway reads (a test compares). */
export function renderSettingsTable(): string {
  const rows = SETTINGS.map((s) => `| \`${s.env}\` | ${s.description} | ${defaultOf(s)} |`);
  return ['| variable | meaning | default |', '|---|---|---|', ...rows].join('\n');
}

const MARKERS = /<!-- settings:start -->\n[\s\S]*?<!-- settings:end -->/;

// `npm run docs:settings` rewrites docs/settings.md's table in place.
if (import.meta.url === `file://${process.argv[1]}`) {
  const readme = new URL('../docs/settings.md', import.meta.url);
  const text = readFileSync(readme, 'utf8');
  const table = renderSettingsTable();
  writeFileSync(
    readme,
    text.replace(MARKERS, () => `<!-- settings:start -->\n${table}\n<!-- settings:end -->`),
  );
  process.stdout.write('docs/settings.md: settings table updated.\n');
}
