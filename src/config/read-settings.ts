/**
 * Reading a list of settings from an environment: each variable once, a default when it is unset
 * or empty, every problem collected (never quoting a secret). Which settings there are is the
 * composition root's (src/settings.ts gathers every folder's table); this folder knows none.
 */
import { brandErrorClass, isBrandedError } from '../errors/brand.js';
import type { Parser, Setting } from './setting.js';

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

/** The parsed value of each setting by key, and a line per problem (added to `problems`). */
export function readSettings(
  settings: readonly Setting<string, unknown>[],
  env: Record<string, string | undefined>,
  problems: string[],
): Record<string, unknown> {
  const values: Record<string, unknown> = {};
  for (const s of settings) {
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
  return values;
}
