/**
 * The only reader of the environment. Each area declares its settings next to its code (name,
 * default, meaning, parser); this file assembles them, reads every variable once, checks the
 * settings that depend on each other, and reports every problem at once. The Config type is
 * derived from the lists, so a setting is declared in one place only.
 */

import { readFileSync } from 'node:fs';
import { isWellFormedApiKey } from './circle/client.js';
import { CIRCLE_SETTINGS } from './circle/settings.js';
import { OBSERVABILITY_SETTINGS } from './observability-settings.js';
import { SECURITY_SETTINGS } from './security/settings.js';
import { SERVER_SETTINGS } from './server-settings.js';
import type { Parser, ValuesOf } from './setting.js';
import { SHARED_STATE_SETTINGS } from './shared-state/settings.js';

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

/**
 * A secret from a file (a Docker or Kubernetes secret mount). Problems name the setting and the
 * path, never the content.
 */
function readSecretFile(path: string, name: string, problems: string[]): string | undefined {
  let content: string;
  try {
    content = readFileSync(path, 'utf8');
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    problems.push(`${name} names a file that cannot be read (${path}: ${String(code ?? 'error')})`);
    return undefined;
  }
  const value = content.replace(/\r?\n$/, '');
  if (value.trim() === '') {
    problems.push(`${name} names an empty file (${path})`);
    return undefined;
  }
  return value;
}

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
  let apiKey = env.CIRCLE_API_KEY?.trim() || undefined;
  const keyFile = values.circleApiKeyFile as string | undefined;
  if (keyFile !== undefined) {
    if (apiKey !== undefined) {
      problems.push('CIRCLE_API_KEY and CIRCLE_API_KEY_FILE are both set: set only one');
    } else {
      apiKey = readSecretFile(keyFile, 'CIRCLE_API_KEY_FILE', problems);
    }
  }
  if (apiKey !== undefined && !isWellFormedApiKey(apiKey)) {
    // The value itself is a secret, so it is never echoed.
    problems.push(
      `${keyFile === undefined ? 'CIRCLE_API_KEY' : "CIRCLE_API_KEY_FILE's content"} must have the form TEST_API_KEY:ID:SECRET or LIVE_API_KEY:ID:SECRET`,
    );
  }
  if (apiKey === undefined && production) {
    problems.push(
      'CIRCLE_API_KEY is required when NODE_ENV=production (without it the gateway would run against its simulator)',
    );
  }
  if (
    typeof values.upstreamRetryMaxDelayMs === 'number' &&
    typeof values.upstreamRetryBaseDelayMs === 'number' &&
    values.upstreamRetryMaxDelayMs < values.upstreamRetryBaseDelayMs
  ) {
    problems.push('UPSTREAM_RETRY_MAX_DELAY_MS must be >= UPSTREAM_RETRY_BASE_DELAY_MS');
  }
  if (
    typeof values.headersTimeoutMs === 'number' &&
    typeof values.requestTimeoutMs === 'number' &&
    values.requestTimeoutMs < values.headersTimeoutMs
  ) {
    problems.push('REQUEST_TIMEOUT_MS must be >= HEADERS_TIMEOUT_MS (the headers are part of it)');
  }
  if (typeof values.workers === 'number' && values.workers > 1 && apiKey === undefined) {
    problems.push(
      'WORKERS > 1 needs CIRCLE_API_KEY: the embedded simulator keeps its sessions in one process',
    );
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return {
    ...(values as Omit<Config, 'circleApiKey' | 'production'>),
    circleApiKey: apiKey,
    production,
  };
}
