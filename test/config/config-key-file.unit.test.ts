import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError, readConfig } from '../../src/settings.js';

const dir = mkdtempSync(join(tmpdir(), 'key-file-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const KEY = 'LIVE_API_KEY:0a1b2c3d:e4f5a6b7c8d9';

const keyFile = (name: string, content: string) => {
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
};

const problemsOf = (env: Record<string, string>) => {
  try {
    readConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error.message;
    throw error;
  }
  throw new Error('expected a ConfigError');
};

describe('CIRCLE_API_KEY_FILE', () => {
  it('reads the key from the file, without its trailing newline (as a secret mount writes it)', () => {
    const config = readConfig({ CIRCLE_API_KEY_FILE: keyFile('key', `${KEY}\n`) });
    expect(config.circleApiKey).toBe(KEY);
  });

  it('counts as the key in production', () => {
    const config = readConfig({
      NODE_ENV: 'production',
      CIRCLE_API_KEY_FILE: keyFile('prod', KEY),
    });
    expect(config.circleApiKey).toBe(KEY);
  });

  it('refuses both CIRCLE_API_KEY and CIRCLE_API_KEY_FILE at once', () => {
    const message = problemsOf({ CIRCLE_API_KEY: KEY, CIRCLE_API_KEY_FILE: keyFile('both', KEY) });
    expect(message).toContain('CIRCLE_API_KEY and CIRCLE_API_KEY_FILE are both set');
    expect(message).not.toContain('e4f5a6b7c8d9');
  });

  it('names a missing or empty file by its path', () => {
    const missing = join(dir, 'nope');
    expect(problemsOf({ CIRCLE_API_KEY_FILE: missing })).toContain(
      `CIRCLE_API_KEY_FILE names a file that cannot be read (${missing}: ENOENT)`,
    );
    expect(problemsOf({ CIRCLE_API_KEY_FILE: keyFile('empty', '\n') })).toContain(
      'CIRCLE_API_KEY_FILE names an empty file',
    );
  });

  it('never echoes a malformed key read from the file', () => {
    const message = problemsOf({ CIRCLE_API_KEY_FILE: keyFile('bad', 'sk_live_super_secret\n') });
    expect(message).toContain("CIRCLE_API_KEY_FILE's content must have the form");
    expect(message).not.toContain('sk_live_super_secret');
  });
});

describe('SHUTDOWN_DELAY_MS', () => {
  it('defaults to 0 and takes milliseconds', () => {
    expect(readConfig({}).shutdownDelayMs).toBe(0);
    expect(readConfig({ SHUTDOWN_DELAY_MS: '5000' }).shutdownDelayMs).toBe(5000);
    expect(problemsOf({ SHUTDOWN_DELAY_MS: '-1' })).toContain('SHUTDOWN_DELAY_MS');
  });
});
