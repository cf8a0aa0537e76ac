/**
 * The only reader of the environment. Each area declares its settings next to its code (name,
 * default, meaning, parser); this file assembles them, reads every variable once, checks the
 * settings that depend on each other, and reports every problem at once. The Config type is
 * derived from the lists, so a setting is declared in one place only.
 */

import { CIRCLE_SETTINGS, checkCircleSettings, readCircleApiKey } from '../circle/settings.js';
import { brandErrorClass, isBrandedError } from '../errors/brand.js';
import { checkServerSettings, SERVER_SETTINGS } from '../http/settings.js';
import { OBSERVABILITY_SETTINGS } from '../observability/settings.js';
import { SECURITY_SETTINGS } from '../security/settings.js';
import { SHARED_STATE_SETTINGS } from '../shared-state/settings.js';
import type { Parser, ValuesOf } from './setting.js';

/** Every setting the gateway reads, area by area. The settings table lists each (a test checks it). */
export const SETTINGS = [
  ...SERVER_SETTINGS,
  ...CIRCLE_SETTINGS,
  ...SECURITY_SETTINGS,
  ...OBSERVABILITY_SETTINGS,
  ...SHARED_STATE_SETTINGS,
] as const;

/** The gateway's settings, one field per entry of SETTINGS, plus what is read besides. */
export type Config = ValuesOf<typeof SETTINGS> & {
  /** Undefined: run against the embedded simulator. Read from CIRCLE_API_KEY or its file. */
  circleApiKey: string | undefined;
  /** NODE_ENV=production: every `auto` takes its production value. */
  production: boolean;
};

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  readonly code = 'CONFIG_INVALID';
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n  - ${problems.join('\n  - ')}`);
  }
}
brandErrorClass(ConfigError);

export const isConfigError = (error: unknown): error is ConfigError =>
  isBrandedError(error, 'CONFIG_INVALID');

/** Reads and checks every setting; throws one ConfigError that lists every problem. */
export function readConfig(env: Record<string, string | undefined>): Config {
  const problems: string[] = [];
  const values: Record<string, unknown> = {};
  for (const s of SETTINGS) {
    const raw = env[s.env];
    if (raw === undefined || raw === '') {
      values[s.key] = s.default;
      continue;
    }
    const parsed = (s.parse as Parser<unknown>)(raw);
    if (parsed && typeof parsed === 'object' && 'problem' in parsed) {
      problems.push(`${s.env} ${parsed.problem}${s.secret ? '' : ` (got "${raw}")`}`);
    } else {
      values[s.key] = parsed;
    }
  }
  const production = env.NODE_ENV === 'production';
  const checked = values as Partial<Config>;
  const apiKey = readCircleApiKey(env, checked.circleApiKeyFile, production, problems);
  checkCircleSettings(checked, problems);
  checkServerSettings(checked, apiKey, problems);
  if (problems.length > 0) throw new ConfigError(problems);
  return {
    ...(values as Omit<Config, 'circleApiKey' | 'production'>),
    circleApiKey: apiKey,
    production,
  };
}
