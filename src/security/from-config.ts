import { resolveToggle, type ValuesOf } from '../config/setting.js';
import type { SecurityOptions } from './gateway-security.js';
import { defaultRateLimitExempt } from './rate-limit.js';
import type { SECURITY_SETTINGS } from './settings.js';
import { loadTrustedDocuments } from './trusted-documents.js';

export { resolveToggle };

/** What the security options are made from: this area's settings, and NODE_ENV. */
export type SecurityConfig = ValuesOf<typeof SECURITY_SETTINGS> & { production: boolean };

/** The gateway's security options from the settings (reads the trusted-documents manifest). */
export function securityOptionsFromConfig(config: SecurityConfig): SecurityOptions {
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
      exempt: config.rateLimitExempt ?? defaultRateLimitExempt(config.production),
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
