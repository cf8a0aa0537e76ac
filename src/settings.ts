/**
 * The composition root's part of the settings: every folder declares its own table next to its
 * code (name, default, meaning, parser); this file gathers them, reads every variable once (only
 * the root reads the environment: src/index.ts gives it `process.env`), checks the settings that
 * depend on each other, and reports every problem at once. The Config type is derived from the
 * lists, so a setting is declared in one place only.
 */

import { CIRCLE_SETTINGS, checkCircleSettings, readCircleApiKey } from './circle/settings.js';
import { ConfigError, isConfigError, readSettings } from './config/read-settings.js';
import type { ValuesOf } from './config/setting.js';
import { checkServerSettings, SERVER_SETTINGS } from './http/settings.js';
import { OBSERVABILITY_SETTINGS } from './observability/settings.js';
import { REFRESH_SETTINGS } from './refresh/settings.js';
import { SECURITY_SETTINGS } from './security/settings.js';
import type { RedisShape } from './shared-state/connect.js';
import { readRedisShape, SHARED_STATE_SETTINGS } from './shared-state/settings.js';

export { ConfigError, isConfigError };

/** Every setting the gateway reads, area by area. The settings table lists each (a test checks it). */
export const SETTINGS = [
  ...SERVER_SETTINGS,
  ...CIRCLE_SETTINGS,
  ...REFRESH_SETTINGS,
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
  /** Which Redis holds the shared state (REDIS_URL, REDIS_SENTINELS or REDIS_CLUSTER_NODES). */
  redis: RedisShape | undefined;
};

/** Reads and checks every setting; throws one ConfigError that lists every problem. */
export function readConfig(env: Record<string, string | undefined>): Config {
  const problems: string[] = [];
  const values = readSettings(SETTINGS, env, problems);
  const production = env.NODE_ENV === 'production';
  const checked = values as Partial<Config>;
  const apiKey = readCircleApiKey(env, checked.circleApiKeyFile, production, problems);
  checkCircleSettings(checked, problems);
  checkServerSettings(checked, apiKey, problems);
  const redis = readRedisShape(checked, problems);
  if (problems.length > 0) throw new ConfigError(problems);
  return {
    ...(values as Omit<Config, 'circleApiKey' | 'production' | 'redis'>),
    circleApiKey: apiKey,
    production,
    redis,
  };
}
