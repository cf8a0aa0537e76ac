import { describe, expect, it } from 'vitest';
import { resolveToggle, securityOptionsFromConfig } from '../../src/security/from-config.js';
import { ConfigError, readConfig, SETTINGS } from '../../src/settings.js';

describe('the security settings', () => {
  it('default to the documented values', () => {
    expect(readConfig({})).toMatchObject({
      maxBodyBytes: 65_536,
      maxDepth: 6,
      maxAliases: 10,
      maxTokens: 1_000,
      maxDirectives: 10,
      maxCost: 1_000,
      allowIntrospection: 'auto',
      graphiql: 'auto',
      fieldSuggestions: 'auto',
      rateLimitAddressRate: 50,
      rateLimitAddressBurst: 100,
      rateLimitDeviceRate: 5,
      rateLimitDeviceBurst: 10,
      rateLimitExempt: undefined,
      trustProxy: [],
      userIdPath: 'auto',
      corsOrigins: [],
      hstsMaxAge: 0,
      trustedDocuments: false,
    });
  });

  it('reads lists, switches and numbers', () => {
    expect(
      readConfig({
        TRUST_PROXY: '10.0.0.0/8, 192.0.2.1,loopback',
        RATE_LIMIT_EXEMPT: 'none',
        CORS_ORIGINS: 'https://app.example.com,http://localhost:5173/',
        ALLOW_INTROSPECTION: 'false',
        GRAPHIQL: 'on',
        USER_ID_PATH: 'Disabled',
        RATE_LIMIT_DEVICE_RATE: '0',
      }),
    ).toMatchObject({
      trustProxy: ['10.0.0.0/8', '192.0.2.1', 'loopback'],
      rateLimitExempt: [],
      corsOrigins: ['https://app.example.com', 'http://localhost:5173'],
      allowIntrospection: false,
      graphiql: true,
      userIdPath: 'disabled',
      rateLimitDeviceRate: 0,
    });
  });

  it('reports every bad security setting at once, naming each', () => {
    let error: unknown;
    try {
      readConfig({
        TRUST_PROXY: '10.0.0.0/40',
        CORS_ORIGINS: '*',
        ALLOW_INTROSPECTION: 'maybe',
        USER_ID_PATH: 'sometimes',
        MAX_BODY_BYTES: '10',
        RATE_LIMIT_ADDRESS_BURST: '0',
        TRUSTED_DOCUMENTS: './no-such-manifest.json',
      });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const problems = (error as ConfigError).problems.join('\n');
    for (const name of [
      'TRUST_PROXY',
      'CORS_ORIGINS',
      'ALLOW_INTROSPECTION',
      'USER_ID_PATH',
      'MAX_BODY_BYTES',
      'RATE_LIMIT_ADDRESS_BURST',
      'TRUSTED_DOCUMENTS',
    ]) {
      expect(problems).toContain(name);
    }
  });

  it('have a one-line description each', () => {
    for (const s of SETTINGS) {
      expect(s.description.length, s.env).toBeGreaterThan(10);
      expect(s.description, s.env).not.toContain('\n');
    }
  });

  it('turn the development defaults off in production unless set', () => {
    expect(resolveToggle('auto', true)).toBe(false);
    expect(resolveToggle('auto', false)).toBe(true);
    expect(resolveToggle(true, true)).toBe(true);
    const production = securityOptionsFromConfig(
      readConfig({ NODE_ENV: 'production', CIRCLE_API_KEY: 'LIVE_API_KEY:id:secret' }),
    );
    expect(production).toMatchObject({ introspection: false, fieldSuggestions: false });
  });

  it('exempts loopback from rate limits in development only, unless told otherwise', () => {
    const exempt = (env: Record<string, string>) => {
      const { rateLimits } = securityOptionsFromConfig(
        readConfig({ CIRCLE_API_KEY: 'TEST_API_KEY:a:b', ...env }),
      );
      return rateLimits ? rateLimits.exempt : undefined;
    };
    expect(exempt({})).toEqual(['loopback']);
    expect(exempt({ NODE_ENV: 'production' })).toEqual([]);
    expect(exempt({ NODE_ENV: 'production', RATE_LIMIT_EXEMPT: 'loopback' })).toEqual(['loopback']);
  });
});
