/**
 * Whether Redis is usable right now, for every shared store of one process. Redis failing must
 * cost no refresh: a store that finds Redis down or slow answers from its own memory instead,
 * this tracker logs the outage once (and its end once), counts each fallback, and lets one call
 * through now and then to notice that Redis is back (ioredis reconnects by itself; a slow Redis
 * gives no reconnect event, so the probe is what heals that case).
 */
import { Counter, Gauge, type Registry } from 'prom-client';
import type { Logger } from '../observability/logger.js';

/** The shared stores, as counted in `gateway_redis_fallbacks_total{store}`. */
export type SharedStore = 'rate_limit' | 'token_cache' | 'coalescing';

export interface RedisHealthOptions {
  logger?: Logger | undefined;
  /** Where the gauge and the fallback counter live (the gateway's metrics registry). */
  registry?: Registry | undefined;
  /**
   * While Redis is down, one call per this many ms tries it again.
   * @default 1000
   */
  probeIntervalMs?: number;
  now?: () => number;
}

export interface RedisStatus {
  /** `up`: the stores are shared; `down`: each process uses its own memory until Redis is back. */
  state: 'up' | 'down';
  /** Since when it is down (ISO time), when it is. */
  since?: string;
  /** Calls answered from memory since start. */
  fallbacks: number;
}

export interface RedisHealth {
  /** Whether a store should try Redis now (up, or a probe is due). */
  usable(): boolean;
  /** A Redis call succeeded. */
  succeeded(): void;
  /** A Redis call failed or timed out: `store` answers from memory this time. */
  failed(store: SharedStore, error: unknown): void;
  /** Counts a call answered from memory because Redis was known to be down. */
  skipped(store: SharedStore): void;
  /** The connection closed, or never opened: down until a call succeeds. */
  disconnected(error?: unknown): void;
  status(): RedisStatus;
}

export function createRedisHealth(options: RedisHealthOptions = {}): RedisHealth {
  const now = options.now ?? Date.now;
  const probeIntervalMs = options.probeIntervalMs ?? 1_000;
  const registers = options.registry ? [options.registry] : [];
  const up = new Gauge({
    name: 'gateway_redis_up',
    help: 'Whether the shared stores reach Redis (1) or each process uses its own memory (0).',
    registers,
  });
  const fallbacks = new Counter({
    name: 'gateway_redis_fallbacks_total',
    help: 'Calls a shared store answered from per-process memory because Redis was down or slow.',
    labelNames: ['store'] as const,
    registers,
  });
  up.set(1);
  let downSince: number | undefined;
  let lastProbe = 0;
  let fallbackCount = 0;
  // The error's name only: ioredis messages may quote a command, and commands carry values.
  const markDown = (fields: { store?: SharedStore; errorName: string }) => {
    if (downSince !== undefined) return;
    downSince = now();
    lastProbe = downSince;
    up.set(0);
    options.logger?.warn(
      'redis unreachable: each process uses its own memory until it is back',
      fields,
    );
  };
  const countFallback = (store: SharedStore) => {
    fallbackCount += 1;
    fallbacks.inc({ store });
  };
  return {
    usable() {
      if (downSince === undefined) return true;
      const t = now();
      if (t - lastProbe < probeIntervalMs) return false;
      lastProbe = t;
      return true;
    },
    succeeded() {
      if (downSince === undefined) return;
      options.logger?.info(
        'redis reachable again: limits, minted tokens and coalescing are shared',
        {
          downMs: now() - downSince,
        },
      );
      downSince = undefined;
      up.set(1);
    },
    failed(store, error) {
      countFallback(store);
      markDown({ store, errorName: error instanceof Error ? error.name : typeof error });
    },
    skipped: countFallback,
    disconnected: (error?: unknown) =>
      markDown({ errorName: error instanceof Error ? error.name : 'ConnectionClosed' }),
    status: () => ({
      state: downSince === undefined ? 'up' : 'down',
      ...(downSince === undefined ? {} : { since: new Date(downSince).toISOString() }),
      fallbacks: fallbackCount,
    }),
  };
}

/** Runs `op` against Redis when it is usable; else, or when it fails, answers with `fallback`. */
export async function withRedis<T>(
  health: RedisHealth,
  store: SharedStore,
  op: () => Promise<T>,
  fallback: () => T | Promise<T>,
): Promise<T> {
  if (!health.usable()) {
    health.skipped(store);
    return fallback();
  }
  let value: T;
  try {
    value = await op();
  } catch (error) {
    health.failed(store, error);
    return fallback();
  }
  health.succeeded();
  return value;
}
