/**
 * Whether Redis is usable right now, for every shared store of one process. Redis failing must
 * cost no refresh: a store that finds Redis down or slow answers from its own memory instead,
 * this tracker logs the outage once (and its end once), counts each fallback, and lets one call
 * through now and then to notice that Redis is back (ioredis reconnects by itself; a slow Redis
 * gives no reconnect event, so the probe is what heals that case). It also says why Redis is
 * down when the failure tells (`reasonOf`: auth, timeout, protocol) and asks its owner for a new
 * connection after timeouts in a row, which is what cures a half-open one.
 */
import { Counter, Gauge, type Registry } from 'prom-client';
import { brandErrorClass, errorCodeOf } from '../errors/brand.js';
import type { Logger } from '../observability/logger.js';

/**
 * Why Redis is down, when the failure says: `auth` (it refused the credentials), `timeout` (it
 * stopped answering in time), `protocol` (it answered something that is not what was asked).
 * A refused or reset connection has no reason beyond being down.
 */
export type RedisFailureReason = 'auth' | 'timeout' | 'protocol';

/** Redis did not answer within the deadline: at start-up, or while opening a connection. */
export class RedisTimeoutError extends Error {
  override readonly name = 'RedisTimeoutError';
  readonly code = 'REDIS_TIMEOUT';
}
brandErrorClass(RedisTimeoutError);

/** Redis answered something a caller did not expect (a reply of the wrong type or shape). */
export class RedisProtocolError extends Error {
  override readonly name = 'RedisProtocolError';
  readonly code = 'REDIS_PROTOCOL';
}
brandErrorClass(RedisProtocolError);

/**
 * For a store's reply checks: `throw protocolError('rate limit take: expected [n, n]')`. The
 * message names what was expected, never the reply (it may hold a sealed value).
 */
export const protocolError = (expected: string): RedisProtocolError =>
  new RedisProtocolError(`unexpected Redis reply: ${expected}`);

/** `reply` when `is` accepts it; else a protocol error (the store then answers from memory). */
export function expectReply<T>(
  reply: unknown,
  is: (reply: unknown) => reply is T,
  expected: string,
): T {
  if (!is(reply)) throw protocolError(expected);
  return reply;
}

/** The reason a failure says, if any (matched on codes and Redis's own error prefixes). */
export function reasonOf(error: unknown): RedisFailureReason | undefined {
  const code = errorCodeOf(error);
  if (code === 'REDIS_TIMEOUT') return 'timeout';
  if (code === 'REDIS_PROTOCOL') return 'protocol';
  if (!(error instanceof Error)) return undefined;
  const message = error.message;
  // WRONGPASS/NOAUTH from Redis 6+, "invalid password" from older servers and from sentinels.
  if (/\b(NOAUTH|WRONGPASS)\b|invalid (username-)?password|AUTH failed/i.test(message)) {
    return 'auth';
  }
  // Also inside Sentinel's "All sentinels are unreachable … Last error: Command timed out".
  if (
    /Command timed out|ETIMEDOUT/.test(message) ||
    (error as { code?: unknown }).code === 'ETIMEDOUT'
  ) {
    return 'timeout';
  }
  // ioredis's RESP decoder on bytes that are not RESP (an HTTP server, a TLS port over plain TCP).
  if (/Unknown RESP type|Protocol error/i.test(message)) return 'protocol';
  return undefined;
}

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
  /**
   * Called after this many timeouts in a row: a half-open connection stays `ready` while every
   * command times out, and only a new connection cures it.
   */
  onStalled?: (() => void) | undefined;
  /** @default 2 */
  stallAfterTimeouts?: number;
  /** The settings to check when Redis refuses the credentials (named in the log, never quoted). */
  credentialSettings?: readonly string[] | undefined;
}

export interface RedisStatus {
  /** `up`: the stores are shared; `down`: each process uses its own memory until Redis is back. */
  state: 'up' | 'down';
  /** Why it is down, when the failure says (see RedisFailureReason). */
  reason?: RedisFailureReason;
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
  /**
   * A Redis call failed or timed out: `store` answers from memory this time (none: a probe of
   * this tracker's owner, which counts no fallback).
   */
  failed(store: SharedStore | undefined, error: unknown): void;
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
  let reason: RedisFailureReason | undefined;
  let timeoutsInARow = 0;
  const stallAfter = options.stallAfterTimeouts ?? 2;
  // The error's name and reason only: ioredis messages may quote a command, and commands carry
  // values. Credentials are named by their settings, never shown.
  const describe = (error: unknown, found: RedisFailureReason | undefined) => ({
    errorName: error instanceof Error ? error.name : 'ConnectionClosed',
    ...(found ? { reason: found } : {}),
    ...(found === 'auth' && options.credentialSettings
      ? { check: options.credentialSettings.join(', ') }
      : {}),
  });
  const markDown = (error: unknown, store?: SharedStore) => {
    const found = reasonOf(error);
    if (downSince !== undefined) {
      // Once per outage, and once more only if it turns out to be something else (a connection
      // that closed, then refused the password).
      if (found === undefined || found === reason) return;
      reason = found;
      options.logger?.warn('redis still unreachable, for another reason', describe(error, found));
      return;
    }
    downSince = now();
    lastProbe = downSince;
    reason = found;
    up.set(0);
    options.logger?.warn('redis unreachable: each process uses its own memory until it is back', {
      ...(store ? { store } : {}),
      ...describe(error, found),
    });
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
      timeoutsInARow = 0;
      if (downSince === undefined) return;
      options.logger?.info(
        'redis reachable again: limits, minted tokens and coalescing are shared',
        {
          downMs: now() - downSince,
        },
      );
      downSince = undefined;
      reason = undefined;
      up.set(1);
    },
    failed(store, error) {
      if (store) countFallback(store);
      markDown(error, store);
      if (reasonOf(error) !== 'timeout') return;
      timeoutsInARow += 1;
      if (timeoutsInARow < stallAfter) return;
      timeoutsInARow = 0;
      options.onStalled?.();
    },
    skipped: countFallback,
    disconnected: (error?: unknown) => markDown(error),
    status: () => ({
      state: downSince === undefined ? 'up' : 'down',
      ...(downSince !== undefined && reason ? { reason } : {}),
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
