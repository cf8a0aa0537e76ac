/**
 * The security settings (body and document limits, introspection, rate limits, proxies, CORS,
 * HSTS, trusted documents, the userId path). Defaults come from the controls themselves, so code
 * and settings cannot disagree; src/security/from-config.ts maps the values to SecurityOptions.
 */

import { existsSync } from 'node:fs';
import { integer, oneOf, optional, type Parser, setting, toggle } from '../config/setting.js';
import { DEFAULT_MAX_BODY_BYTES } from './body-limit.js';
import { parseAddressList } from './client-address.js';
import { parseOriginList } from './cors.js';
import { DOCUMENT_LIMIT_DEFAULTS } from './document-limits.js';
import { RATE_LIMIT_DEFAULTS } from './rate-limit.js';
import {
  DEFAULT_TRUSTED_DOCUMENTS_FILE,
  DEFAULT_TRUSTED_DOCUMENTS_PATH,
} from './trusted-documents.js';

const trustedDocuments: Parser<string | false> = (raw) => {
  const value = raw.trim();
  if (/^(false|0|off)$/i.test(value)) return false;
  const path = /^(true|1|on)$/i.test(value) ? DEFAULT_TRUSTED_DOCUMENTS_FILE : value;
  return existsSync(path)
    ? path
    : { problem: `names no file (${path}); run npm run codegen, or give the manifest's path` };
};

const limits = DOCUMENT_LIMIT_DEFAULTS;
const { perAddress, perDevice, upstreamPerAddress } = RATE_LIMIT_DEFAULTS;

export const SECURITY_SETTINGS = [
  setting({
    key: 'maxBodyBytes',
    env: 'MAX_BODY_BYTES',
    default: DEFAULT_MAX_BODY_BYTES,
    description: 'Largest request body in bytes; larger is refused with 413 before it is read.',
    parse: integer(1_024, 10_000_000),
  }),
  setting({
    key: 'maxDepth',
    env: 'MAX_DEPTH',
    default: limits.maxDepth,
    description: 'Deepest selection in a document (0 = no limit); 400 MAX_DEPTH beyond it.',
    parse: integer(0, 1_000),
  }),
  setting({
    key: 'maxAliases',
    env: 'MAX_ALIASES',
    default: limits.maxAliases,
    description: 'Aliases in one operation (0 = no limit); 400 MAX_ALIASES beyond it.',
    parse: integer(0, 10_000),
  }),
  setting({
    key: 'maxTokens',
    env: 'MAX_TOKENS',
    default: limits.maxTokens,
    description: 'Lexical tokens in a query (0 = no limit); 400 MAX_TOKENS beyond it.',
    parse: integer(0, 1_000_000),
  }),
  setting({
    key: 'maxDirectives',
    env: 'MAX_DIRECTIVES',
    default: limits.maxDirectives,
    description: 'Directives in one operation (0 = no limit); 400 MAX_DIRECTIVES beyond it.',
    parse: integer(0, 10_000),
  }),
  setting({
    key: 'maxCost',
    env: 'MAX_COST',
    default: limits.maxCost,
    description: 'Query cost (objects 2, scalars 1, x1.5 per level; 0 = no limit); 400 MAX_COST.',
    parse: integer(0, 10_000_000),
  }),
  setting({
    key: 'allowIntrospection',
    env: 'ALLOW_INTROSPECTION',
    default: 'auto',
    description:
      'Answer __schema/__type: true, false, or auto (on in development, off in production).',
    parse: toggle,
  }),
  setting({
    key: 'fieldSuggestions',
    env: 'FIELD_SUGGESTIONS',
    default: 'auto',
    description: 'Keep "Did you mean …?" in errors: true, false, or auto (off in production).',
    parse: toggle,
  }),
  setting({
    key: 'rateLimitAddressRate',
    env: 'RATE_LIMIT_ADDRESS_RATE',
    default: perAddress.rate,
    description: 'GraphQL requests per second per client address (0 = no limit); 429 beyond.',
    parse: integer(0, 1_000_000),
  }),
  setting({
    key: 'rateLimitAddressBurst',
    env: 'RATE_LIMIT_ADDRESS_BURST',
    default: perAddress.burst,
    description: 'Requests a client address may send at once above its rate.',
    parse: integer(1, 10_000_000),
  }),
  setting({
    key: 'rateLimitDeviceRate',
    env: 'RATE_LIMIT_DEVICE_RATE',
    default: perDevice.rate,
    description:
      'refreshUserToken calls per second per deviceId (0 = no limit); checked before Circle.',
    parse: integer(0, 1_000_000),
  }),
  setting({
    key: 'rateLimitDeviceBurst',
    env: 'RATE_LIMIT_DEVICE_BURST',
    default: perDevice.burst,
    description: 'refreshUserToken calls a deviceId may make at once above its rate.',
    parse: integer(1, 10_000_000),
  }),
  setting({
    key: 'rateLimitUpstreamRate',
    env: 'RATE_LIMIT_UPSTREAM_RATE',
    default: upstreamPerAddress.rate,
    description:
      'Refreshes per second per address that may reach Circle (0 = no limit); 429 beyond.',
    parse: integer(0, 1_000_000),
  }),
  setting({
    key: 'rateLimitUpstreamBurst',
    env: 'RATE_LIMIT_UPSTREAM_BURST',
    default: upstreamPerAddress.burst,
    description: 'Refreshes an address may send to Circle at once above that rate.',
    parse: integer(1, 10_000_000),
  }),
  setting({
    key: 'rateLimitUpstreamRefusalCost',
    env: 'RATE_LIMIT_REFUSAL_COST',
    default: upstreamPerAddress.refusalCost,
    description:
      'Extra tokens an address loses when Circle refuses its token or device (0 = none).',
    parse: integer(0, 1_000),
  }),
  setting({
    key: 'rateLimitExempt',
    env: 'RATE_LIMIT_EXEMPT',
    // Unset: defaultRateLimitExempt decides by NODE_ENV, as it does for code.
    default: undefined,
    defaultLabel: 'loopback; none in production',
    description: 'Client addresses not rate limited: IPs, CIDRs, loopback, private, or none.',
    parse: optional(parseAddressList),
  }),
  setting({
    key: 'trustProxy',
    env: 'TRUST_PROXY',
    default: [],
    description:
      'Proxies whose X-Forwarded-For names the client (IPs, CIDRs, loopback, private); empty: none.',
    parse: parseAddressList,
  }),
  setting({
    key: 'userIdPath',
    env: 'USER_ID_PATH',
    default: 'auto',
    description:
      'user.userId accepted? enabled, disabled, or auto (production: only with an authorizeUserId hook).',
    parse: oneOf(['enabled', 'disabled', 'auto']),
  }),
  setting({
    key: 'corsOrigins',
    env: 'CORS_ORIGINS',
    default: [],
    description:
      'Origins allowed to call from a browser, comma-separated; empty: same origin only.',
    parse: parseOriginList,
  }),
  setting({
    key: 'hstsMaxAge',
    env: 'HSTS_MAX_AGE',
    default: 0,
    description:
      'Strict-Transport-Security max-age in seconds, when clients come over HTTPS (0 = none).',
    parse: integer(0, 100_000_000),
  }),
  setting({
    key: 'trustedDocuments',
    env: 'TRUSTED_DOCUMENTS',
    default: false,
    description: `Run only known operations: true (${DEFAULT_TRUSTED_DOCUMENTS_PATH}), a manifest path, or false.`,
    parse: trustedDocuments,
  }),
] as const;
