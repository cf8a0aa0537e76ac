import type { UserTokenPayload } from './execute.js';

/** What a logged-in browser holds: the Web SDK's login result plus the device id. */
export interface CircleSession {
  userToken: string;
  refreshToken: string;
  deviceId: string;
  /**
   * When `userToken` stops working, RFC 3339. Absent (a Web SDK login result has none): read
   * from the token's `exp` claim, or one hour from now.
   */
  expiresAt?: string | null;
  encryptionKey?: string | null;
  userId?: string | null;
}

/** A session with its expiry known. */
export type KeptSession = CircleSession & { expiresAt: string };

const DEFAULT_LIFETIME_MS = 60 * 60 * 1000;

/**
 * The `exp` claim of a JWT, read without verifying it: only to schedule the refresh, never to
 * trust the token. One hour from `now` when the token has no readable `exp` (Circle's lifetime).
 */
export function expiresAtOf(userToken: string, now = Date.now()): string {
  try {
    const payload = userToken.split('.')[1] ?? '';
    const json = atob(payload.replace(/-/g, '+').replace(/_/g, '/'));
    const exp = (JSON.parse(json) as { exp?: unknown }).exp;
    if (typeof exp === 'number' && Number.isFinite(exp)) return new Date(exp * 1000).toISOString();
  } catch {
    // Not a JWT we can read: fall through to the default lifetime.
  }
  return new Date(now + DEFAULT_LIFETIME_MS).toISOString();
}

export function withExpiry(session: CircleSession): KeptSession {
  const expiresAt =
    session.expiresAt && !Number.isNaN(Date.parse(session.expiresAt))
      ? session.expiresAt
      : expiresAtOf(session.userToken);
  return { ...session, expiresAt };
}

/** The session after a refresh: Circle guarantees only `userToken`, so keep what it omits. */
export function rotatedSession(previous: KeptSession, payload: UserTokenPayload): KeptSession {
  return withExpiry({
    userToken: payload.userToken,
    refreshToken: payload.refreshToken ?? previous.refreshToken,
    deviceId: previous.deviceId,
    expiresAt: payload.expiresAt,
    encryptionKey: payload.encryptionKey ?? previous.encryptionKey ?? null,
    userId: payload.userId ?? previous.userId ?? null,
  });
}

/** The whole shared state of one origin's session, as one storage entry. */
export interface SessionRecord {
  session?: KeptSession;
  /** A refresh that was sent and may have reached Circle: the next try reuses its key. */
  pending?: { refreshToken: string; idempotencyKey: string };
  /** The session whose refresh token this is has ended; its tabs report `sessionExpired`. */
  ended?: { refreshToken: string; code: string };
}

/** The subset of the Web Storage API the keeper uses (localStorage, sessionStorage, your own). */
export interface SessionStorageLike {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
  removeItem(key: string): void;
}

export function readRecord(storage: SessionStorageLike, key: string): SessionRecord {
  try {
    const text = storage.getItem(key);
    const value = text === null ? undefined : (JSON.parse(text) as unknown);
    return value !== null && typeof value === 'object' ? (value as SessionRecord) : {};
  } catch {
    // Unreadable or blocked storage holds no session.
    return {};
  }
}

export function writeRecord(storage: SessionStorageLike, key: string, record: SessionRecord) {
  try {
    storage.setItem(key, JSON.stringify(record));
  } catch {
    // Full or blocked storage: this tab keeps its session in memory and the channel still shares it.
  }
}

/** A Map-backed storage for where there is none (workers, private modes that throw). */
export function memoryStorage(): SessionStorageLike {
  const map = new Map<string, string>();
  return {
    getItem: (key) => map.get(key) ?? null,
    setItem: (key, value) => void map.set(key, value),
    removeItem: (key) => void map.delete(key),
  };
}
