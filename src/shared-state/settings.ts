/** The shared-state settings (REDIS_*): where Redis is, and how long a call may take. */

import { integer, optional, type Parser, setting, text } from '../config/setting.js';
import { SHARED_STATE_DEFAULTS } from './create-shared-state.js';

const redisUrl: Parser<string> = (raw) => {
  try {
    const url = new URL(raw.trim());
    return url.protocol === 'redis:' || url.protocol === 'rediss:'
      ? url.href
      : { problem: 'must be a redis:// or rediss:// URL' };
  } catch {
    return { problem: 'must be a URL such as redis://127.0.0.1:6379' };
  }
};

export const SHARED_STATE_SETTINGS = [
  setting({
    key: 'redisUrl',
    env: 'REDIS_URL',
    default: undefined,
    defaultLabel: 'none: in memory, per process',
    secret: true,
    description:
      'redis:// or rediss:// URL: limits, minted tokens, coalescing shared by all instances (docs/fleet.md).',
    parse: optional(redisUrl),
  }),
  setting({
    key: 'redisTimeoutMs',
    env: 'REDIS_TIMEOUT_MS',
    default: SHARED_STATE_DEFAULTS.timeoutMs,
    description:
      'Deadline of one Redis call; past it, or with Redis down, each process uses its own memory.',
    parse: integer(1, 60_000),
  }),
  setting({
    key: 'redisKeyPrefix',
    env: 'REDIS_KEY_PREFIX',
    default: SHARED_STATE_DEFAULTS.prefix,
    description: 'Prefix of every Redis key and channel the gateway uses.',
    parse: text,
  }),
] as const;
