/** The logs' and metrics' settings, and where /metrics is served. */

import { boolean, integer, setting, text, type ValuesOf } from '../config/setting.js';
import { DEFAULT_LOG_LEVEL, LOG_LEVELS, type LogLevel } from './logger.js';

/** /metrics' own port in production, where it leaves the API port (src/observability/metrics-server.ts). */
export const PRODUCTION_METRICS_PORT = 9464;

export const OBSERVABILITY_SETTINGS = [
  setting({
    key: 'logLevel',
    env: 'LOG_LEVEL',
    default: DEFAULT_LOG_LEVEL,
    description: 'debug, info, warn, error or silent.',
    parse: (raw): LogLevel | { problem: string } =>
      (LOG_LEVELS as readonly string[]).includes(raw)
        ? (raw as LogLevel)
        : { problem: `must be one of ${LOG_LEVELS.join(', ')}` },
  }),
  setting({
    key: 'metrics',
    env: 'METRICS',
    default: true,
    description: 'Serve Prometheus metrics at GET /metrics: true or false.',
    parse: boolean,
  }),
  setting({
    key: 'metricsPort',
    env: 'METRICS_PORT',
    default: 'auto',
    description: `Where /metrics is served: a port of its own, api (the API port), or auto (api; ${PRODUCTION_METRICS_PORT} in production).`,
    parse: (raw): number | 'api' | 'auto' | { problem: string } => {
      const value = raw.trim().toLowerCase();
      if (value === 'auto' || value === 'api') return value;
      const port = integer(0, 65535)(value);
      return typeof port === 'number'
        ? port
        : { problem: 'must be a port (0 to 65535), api or auto' };
    },
  }),
  setting({
    key: 'metricsHost',
    env: 'METRICS_HOST',
    default: '127.0.0.1',
    description: "Address of /metrics' own port (loopback: only the host's scraper reaches it).",
    parse: text,
  }),
] as const;

/** Where /metrics goes: `api` (the API port) or a port of its own. */
export const resolveMetricsPort = (
  config: Pick<ValuesOf<typeof OBSERVABILITY_SETTINGS>, 'metricsPort'> & { production: boolean },
): number | 'api' =>
  config.metricsPort === 'auto'
    ? config.production
      ? PRODUCTION_METRICS_PORT
      : 'api'
    : config.metricsPort;
