import type { Config } from '../config.js';
import type { SecurityOptions } from './gateway-security.js';
import { loadTrustedDocuments } from './trusted-documents.js';

/** `auto` follows NODE_ENV: on in development, off in production. */
export const resolveToggle = (value: boolean | 'auto', production: boolean): boolean =>
  value === 'auto' ? !production : value;

/** The gateway's security options from the settings (reads the trusted-documents manifest). */
export function securityOptionsFromConfig(config: Config): SecurityOptions {
  return {
    maxBodyBytes: config.maxBodyBytes,
    limits: {
      maxDepth: config.maxDepth,
      maxAliases: config.maxAliases,
      maxTokens: config.maxTokens,
      maxDirectives: config.maxDirectives,
      maxCost: config.maxCost,
    },
    introspection: resolveToggle(config.allowIntrospection, config.production),
    fieldSuggestions: resolveToggle(config.fieldSuggestions, config.production),
    rateLimits: {
      perAddress: { rate: config.rateLimitAddressRate, burst: config.rateLimitAddressBurst },
      perDevice: { rate: config.rateLimitDeviceRate, burst: config.rateLimitDeviceBurst },
      upstreamPerAddress: {
        rate: config.rateLimitUpstreamRate,
        burst: config.rateLimitUpstreamBurst,
        refusalCost: config.rateLimitUpstreamRefusalCost,
      },
      // Loopback is exempt in development (tests, benchmarks, one developer); in production a
      // reverse proxy on the same host would otherwise exempt every client.
      exempt: config.rateLimitExempt ?? (config.production ? [] : ['loopback']),
    },
    trustProxy: config.trustProxy,
    corsOrigins: config.corsOrigins,
    hstsMaxAgeSeconds: config.hstsMaxAge,
    // Minting by userId needs nothing but the API key the gateway holds: in production it answers
    // only a caller an authorizeUserId hook vouches for, unless USER_ID_PATH=enabled says so.
    userIdPath:
      config.userIdPath === 'auto'
        ? config.production
          ? 'authorized'
          : 'enabled'
        : config.userIdPath,
    trustedDocuments:
      config.trustedDocuments === false
        ? undefined
        : { manifest: loadTrustedDocuments(config.trustedDocuments) },
  };
}
