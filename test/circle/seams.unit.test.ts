import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const dir = join(import.meta.dirname, '../../src/circle');
const files = readdirSync(dir).filter((name) => name.endsWith('.ts'));
const source = (name: string) => readFileSync(join(dir, name), 'utf8');

describe('src/circle/ along its seams', () => {
  it('has one file that talks to undici: the attempt', () => {
    const importers = files.filter((name) => /from 'undici'/.test(source(name)));
    expect(importers).toEqual(['http-attempt.ts']);
  });

  it('keeps every file within 320 lines', () => {
    const long = files.filter((name) => source(name).split('\n').length > 321);
    expect(long).toEqual([]);
  });
});
