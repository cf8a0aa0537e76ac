import type { GatewayCallOptions } from './execute.js';
import type { GatewayError } from './gateway-error.js';
import type { KeptSession, SessionStorageLike } from './session.js';

/** Where a new session came from. */
export type SessionSource = 'start' | 'refresh' | 'other-tab';

export interface SessionKeeperOptions extends Omit<GatewayCallOptions, 'signal'> {
  /**
   * Where the session lives, shared by the tabs of the origin. `null`: memory only (one tab).
   * @default localStorage
   */
  storage?: SessionStorageLike | null;
  /**
   * The storage key, also the name of the cross-tab lock and channel.
   * @default 'circle-session'
   */
  storageKey?: string;
  /**
   * Refresh this long before `expiresAt`.
   * @default 300_000 (5 minutes)
   */
  refreshMarginMs?: number;
  /**
   * Up to this much earlier still, at random per tab, so that tabs do not all wake together.
   * @default 30_000
   */
  jitterMs?: number;
  /**
   * The first retry delay after a failed refresh; it doubles per attempt (with jitter) up to
   * `maxRetryDelayMs`. A `retryAfter` from the gateway is honoured when longer.
   * @default 1_000
   */
  retryDelayMs?: number;
  /** @default 60_000 */
  maxRetryDelayMs?: number;
  /**
   * The cross-tab lock. Default: the Web Locks API, or a lease in `storage` where it is missing.
   * @default navigator.locks
   */
  locks?: LockManager | null;
  /** A new session: hand it to the Web SDK (`sdk.setAuthentication`). */
  onSession?: (session: KeptSession, source: SessionSource) => void;
  /** The session is over (refresh token used or rejected, user token expired…): log in again. */
  onSessionExpired?: (error: GatewayError) => void;
  /** A refresh failed and will be retried (network, rate limit, Circle down…). */
  onError?: (error: GatewayError) => void;
}

const DEFAULTS = {
  storageKey: 'circle-session',
  refreshMarginMs: 5 * 60_000,
  jitterMs: 30_000,
  retryDelayMs: 1_000,
  maxRetryDelayMs: 60_000,
};

/** The options with their defaults, checked when the keeper is built rather than on first use. */
export function resolveKeeperOptions(options: SessionKeeperOptions) {
  const resolved = { ...options, ...DEFAULTS };
  for (const key of Object.keys(DEFAULTS) as Array<keyof typeof DEFAULTS>) {
    if (options[key] !== undefined) Object.assign(resolved, { [key]: options[key] });
  }
  if (!options.url) throw new TypeError('createSessionKeeper: url is required.');
  if (typeof resolved.storageKey !== 'string' || resolved.storageKey === '') {
    throw new TypeError('createSessionKeeper: storageKey must be a non-empty string.');
  }
  for (const key of ['refreshMarginMs', 'jitterMs', 'retryDelayMs', 'maxRetryDelayMs'] as const) {
    const value = resolved[key];
    if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
      throw new TypeError(`createSessionKeeper: ${key} must be a non-negative number.`);
    }
  }
  return resolved;
}

/** localStorage, or nothing where it is missing or blocked (reading it can throw). */
export function defaultStorage(): SessionStorageLike | undefined {
  try {
    return globalThis.localStorage ?? undefined;
  } catch {
    return undefined;
  }
}
