import { describe, expect, it } from 'vitest';
import { ConfigError, readConfig } from '../../src/settings.js';

const KEY = 'LIVE_API_KEY:cfg-key-id:cfg-key-secret';

function problemsOf(env: Record<string, string | undefined>): {
  message: string;
  problems: string[];
} {
  try {
    readConfig(env);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    const configError = error as ConfigError;
    expect(configError.code).toBe('CONFIG_INVALID');
    return { message: configError.message, problems: configError.problems };
  }
  throw new Error('expected readConfig to throw');
}

describe('readConfig', () => {
  it('runs against the simulator with the documented defaults when nothing is set', () => {
    // The security settings' defaults are checked in test/security/settings.unit.test.ts.
    expect(readConfig({})).toMatchObject({
      circleApiKey: undefined,
      circleBaseUrl: 'https://api.circle.com',
      host: '127.0.0.1',
      port: 4000,
      production: false,
      simulatorHost: '127.0.0.1',
      simulatorPort: 4010,
      logLevel: 'info',
      mutationDeadlineMs: 10_000,
      upstreamAttemptTimeoutMs: 5_000,
      upstreamConnectTimeoutMs: 2_000,
      upstreamMaxAttempts: 3,
      upstreamRetryBaseDelayMs: 100,
      upstreamRetryMaxDelayMs: 2_000,
      upstreamRetryBudgetRatio: 0.2,
      upstreamConnections: 64,
      upstreamMaxInFlight: 256,
      upstreamQueueTimeoutMs: 1_000,
      circuitFailureThreshold: 5,
      circuitResetMs: 5_000,
      userTokenCacheMaxEntries: 10_000,
      userTokenCacheTtlMs: 3_000_000,
      shutdownTimeoutMs: 15_000,
      metrics: true,
    });
  });

  it('reads the key, the base URL (without a trailing slash) and the numbers given', () => {
    const config = readConfig({
      CIRCLE_API_KEY: KEY,
      CIRCLE_BASE_URL: 'https://circle.internal/proxy/',
      PORT: '8080',
      LOG_LEVEL: 'debug',
      UPSTREAM_RETRY_BUDGET_RATIO: '0.5',
      NODE_ENV: 'production',
    });
    expect(config).toMatchObject({
      circleApiKey: KEY,
      circleBaseUrl: 'https://circle.internal/proxy',
      port: 8080,
      logLevel: 'debug',
      upstreamRetryBudgetRatio: 0.5,
      production: true,
    });
  });

  it('treats empty variables as unset', () => {
    expect(readConfig({ PORT: '', CIRCLE_API_KEY: '' })).toMatchObject({
      port: 4000,
      circleApiKey: undefined,
    });
  });

  it('reports every problem at once', () => {
    const { message, problems } = problemsOf({
      PORT: 'eighty',
      LOG_LEVEL: 'loud',
      UPSTREAM_MAX_ATTEMPTS: '0',
      UPSTREAM_RETRY_BUDGET_RATIO: '2',
      CIRCLE_BASE_URL: 'ftp://api.circle.com',
      USER_TOKEN_CACHE_TTL_MS: '3000001',
      CIRCLE_API_KEY: 'not-a-key',
    });
    expect(problems).toHaveLength(7);
    for (const name of [
      'PORT',
      'LOG_LEVEL',
      'UPSTREAM_MAX_ATTEMPTS',
      'UPSTREAM_RETRY_BUDGET_RATIO',
      'CIRCLE_BASE_URL',
      'USER_TOKEN_CACHE_TTL_MS',
      'CIRCLE_API_KEY',
    ]) {
      expect(message).toContain(name);
    }
  });

  it('refuses a retry cap below the retry base', () => {
    const { problems } = problemsOf({
      UPSTREAM_RETRY_BASE_DELAY_MS: '500',
      UPSTREAM_RETRY_MAX_DELAY_MS: '100',
    });
    expect(problems).toEqual([
      'UPSTREAM_RETRY_MAX_DELAY_MS must be >= UPSTREAM_RETRY_BASE_DELAY_MS',
    ]);
  });

  it.each([
    'TEST_API_KEY:only-two-parts-secretvalue',
    'SANDBOX_KEY:abc:secretvalue',
    'TEST_API_KEY:abc:secret value',
  ])('refuses the malformed key %j without echoing it', (key) => {
    const { message } = problemsOf({ CIRCLE_API_KEY: key, PORT: 'x' });
    expect(message).toMatch(/CIRCLE_API_KEY must have the form/);
    expect(message).not.toContain(key);
    expect(message).not.toContain('secret');
  });

  it.each([undefined, '', '   '])(
    'refuses to start with NODE_ENV=production and CIRCLE_API_KEY %j',
    (key) => {
      const { problems } = problemsOf({ NODE_ENV: 'production', CIRCLE_API_KEY: key });
      expect(problems).toEqual([
        expect.stringMatching(/CIRCLE_API_KEY is required when NODE_ENV=production/),
      ]);
    },
  );
});
