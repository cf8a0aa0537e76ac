import { SETTINGS } from '../../src/settings.js';

interface SettingLike {
  env: string;
  description: string;
  default: unknown;
  parse: (raw: string) => unknown;
}

/**
 * The gateway's own rate limits (per address, per device) would turn a load test from one
 * address and one device into a test of the limiter. Whatever such settings src/settings.ts
 * declares when the run starts are set off, or as high as their parser accepts.
 */
export function rateLimitOverrides(): Record<string, string> {
  const accepts = (s: SettingLike, raw: string) => {
    const parsed = s.parse(raw);
    return !(parsed && typeof parsed === 'object' && 'problem' in parsed);
  };
  const overrides: Record<string, string> = {};
  for (const s of SETTINGS as unknown as SettingLike[]) {
    // Lists (exempt addresses, trusted proxies) are not limits: left as they are.
    if (!/RATE_?LIMIT/i.test(s.env) || /EXEMPT|ALLOW|TRUST|STORE|REDIS/i.test(s.env)) continue;
    const documentedOff =
      /\b0\s*(=|means|:)?\s*(turns (it |them |the limits? )?off|off|disables?|no limit|unlimited|none)/i;
    const candidates =
      typeof s.default === 'boolean' || /ENABLED$|_ON$/i.test(s.env)
        ? ['false', '0', 'off']
        : documentedOff.test(s.description)
          ? ['0']
          : ['1000000000', '100000000', '10000000', '1000000', '100000', '10000', '1000'];
    const value = candidates.find((raw) => accepts(s, raw));
    if (value !== undefined) overrides[s.env] = value;
  }
  return overrides;
}
