import { type CrossTabLock, inProcessLock, storageLease, webLocks } from './cross-tab-lock.js';
import { refreshUserToken } from './execute.js';
import { type ClientErrorCode, GatewayError, isGatewayError } from './gateway-error.js';
import { newIdempotencyKey } from './idempotency-key.js';
import {
  type CircleSession,
  type KeptSession,
  memoryStorage,
  readRecord,
  rotatedSession,
  type SessionRecord,
  withExpiry,
  writeRecord,
} from './session.js';
import {
  defaultStorage,
  resolveKeeperOptions,
  type SessionKeeperOptions,
  type SessionSource,
} from './session-keeper-options.js';

export type { SessionKeeperOptions, SessionSource };

/** How long the lock is kept after writing the rotated session (see `settle`). */
const SETTLE_MS = 100;

export interface SessionKeeper {
  /**
   * Keeps `session` (from a login) alive, or without one the session stored by another tab.
   * Returns the session kept, `undefined` when there is none yet (a tab's login will share it).
   */
  start(session?: CircleSession): KeptSession | undefined;
  /** Stops timers and listeners in this tab; the stored session stays for the other tabs. */
  stop(): void;
  /** Refreshes now (through the same lock), e.g. after Circle answered 155104 to the Web SDK. */
  refreshNow(): Promise<KeptSession | undefined>;
  /** Ends the session in every tab of the origin (logout). */
  clear(): void;
  readonly session: KeptSession | undefined;
}

/**
 * Keeps one Circle session alive for every tab of an origin: one refresh at a time across tabs,
 * the rotated session shared with the others, network failures retried under the same
 * idempotency key, and `onSessionExpired` instead of a refresh loop when the session is over.
 */
export function createSessionKeeper(options: SessionKeeperOptions): SessionKeeper {
  const {
    storageKey,
    refreshMarginMs,
    jitterMs,
    retryDelayMs,
    maxRetryDelayMs,
    onSession,
    onSessionExpired,
    onError,
  } = resolveKeeperOptions(options);
  const sharedStorage =
    options.storage === undefined ? defaultStorage() : (options.storage ?? undefined);
  const storage = sharedStorage ?? memoryStorage();
  const tabId = Math.random().toString(36).slice(2);
  const lockManager = options.locks === undefined ? globalThis.navigator?.locks : options.locks;
  const withLock: CrossTabLock = lockManager
    ? webLocks(lockManager)
    : sharedStorage
      ? storageLease(sharedStorage, tabId)
      : inProcessLock();

  let current: KeptSession | undefined;
  let ended = false;
  let running = false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let rotating: Promise<KeptSession | undefined> | undefined;
  let channel: BroadcastChannel | undefined;
  // The refresh token that must be refreshed even though it is not due: refreshNow()'s, or the
  // one being retried. A session adopted from another tab meanwhile is never forced.
  let forcedToken: string | undefined;

  const read = () => readRecord(storage, storageKey);
  const save = (record: SessionRecord) => {
    writeRecord(storage, storageKey, record);
    channel?.postMessage(record);
  };
  const dueAt = (session: KeptSession) =>
    Date.parse(session.expiresAt) - refreshMarginMs - Math.random() * jitterMs;
  // The earliest time any tab's timer can fire for this session.
  const isDue = (session: KeptSession) =>
    Date.now() >= Date.parse(session.expiresAt) - refreshMarginMs - jitterMs;

  function schedule() {
    clearTimeout(timer);
    if (!running || ended || current === undefined) return;
    // setTimeout overflows past 2^31-1 ms; a far expiry just re-schedules on wake-up.
    const delay = Math.min(Math.max(0, dueAt(current) - Date.now()), 2 ** 31 - 1);
    timer = setTimeout(() => void rotate().catch(() => undefined), delay);
  }

  function take(session: KeptSession, source: SessionSource) {
    current = session;
    ended = false;
    schedule();
    report(onSession, session, source);
  }

  function end(error: GatewayError) {
    if (ended) return;
    ended = true;
    clearTimeout(timer);
    report(onSessionExpired, error);
  }

  /** Follows what another tab wrote: a rotation, a new login, or the end of this session. */
  function follow(record: SessionRecord) {
    if (!running) return;
    if (current && record.ended?.refreshToken === current.refreshToken && !ended) {
      end(new GatewayError('The session ended in another tab.', endedFields(record.ended.code)));
      return;
    }
    const next = record.session;
    if (!next || next.refreshToken === current?.refreshToken) return;
    if (!current || ended || Date.parse(next.expiresAt) >= Date.parse(current.expiresAt)) {
      take(next, 'other-tab');
    }
  }

  const onStorage = (event: StorageEvent) => {
    if (event.key === storageKey && event.storageArea === sharedStorage) follow(read());
  };
  const onMessage = (event: MessageEvent<SessionRecord>) => follow(event.data);
  // Background tabs' timers are throttled: check again when the tab or the network comes back.
  const onWake = () => {
    if (current && !ended && isDue(current)) void rotate().catch(() => undefined);
  };

  // Chromium delivers another tab's localStorage write and the lock grant over different
  // channels, so the next holder could read the record from before the rotation (it would then
  // replay the call under the pending key: harmless, but a wasted call). Keeping the lock a
  // moment after writing lets the write arrive first.
  const settle = () => new Promise((resolve) => setTimeout(resolve, SETTLE_MS));

  function rotate(): Promise<KeptSession | undefined> {
    rotating ??= withLock(storageKey, refreshUnderLock).finally(() => {
      rotating = undefined;
    });
    return rotating;
  }

  async function refreshUnderLock(): Promise<KeptSession | undefined> {
    for (let attempt = 1; ; attempt++) {
      if (!running || ended || current === undefined) return current;
      // Another tab may have rotated (or ended) the session while this one waited for the lock:
      // refreshing with the old token now would spend a used token and log everyone out.
      const record = read();
      follow(record);
      if (ended) return undefined;
      const session = current;
      if (session.refreshToken !== forcedToken && !isDue(session)) return session;
      forcedToken = session.refreshToken;
      const idempotencyKey =
        record.pending?.refreshToken === session.refreshToken
          ? record.pending.idempotencyKey
          : newIdempotencyKey();
      writeRecord(storage, storageKey, {
        session,
        pending: { refreshToken: session.refreshToken, idempotencyKey },
      });
      try {
        const payload = await refreshUserToken(
          {
            user: { userToken: session.userToken },
            deviceId: session.deviceId,
            refreshToken: session.refreshToken,
            idempotencyKey,
          },
          options,
        );
        const next = rotatedSession(session, payload);
        save({ session: next });
        forcedToken = undefined;
        if (running) take(next, 'refresh');
        await settle();
        return next;
      } catch (error) {
        if (!isGatewayError(error)) throw error;
        if (error.sessionEnded) {
          save({ session, ended: { refreshToken: session.refreshToken, code: error.code } });
          forcedToken = undefined;
          end(error);
          await settle();
          return undefined;
        }
        report(onError, error);
        const backoff = Math.min(maxRetryDelayMs, retryDelayMs * 2 ** (attempt - 1));
        const wait = Math.max((error.retryAfter ?? 0) * 1000, backoff * (0.5 + Math.random() / 2));
        await new Promise((resolve) => setTimeout(resolve, wait));
      }
    }
  }

  return {
    start(session) {
      running = true;
      if (!channel && typeof BroadcastChannel === 'function') {
        channel = new BroadcastChannel(storageKey);
        channel.onmessage = onMessage;
      }
      globalThis.addEventListener?.('storage', onStorage);
      globalThis.addEventListener?.('online', onWake);
      globalThis.document?.addEventListener('visibilitychange', onWake);
      const stored = read();
      const kept = session ? withExpiry(session) : stored.session;
      if (kept === undefined) return undefined;
      if (stored.ended?.refreshToken === kept.refreshToken) {
        // This session already ended (in this tab before a reload, or in another tab).
        current = kept;
        end(new GatewayError('The session has ended.', endedFields(stored.ended.code)));
        return undefined;
      }
      // A reload passes the same login result again: keep the stored record and its pending key.
      if (stored.session?.refreshToken !== kept.refreshToken) save({ session: kept });
      take(kept, 'start');
      return current;
    },
    stop() {
      running = false;
      clearTimeout(timer);
      channel?.close();
      channel = undefined;
      globalThis.removeEventListener?.('storage', onStorage);
      globalThis.removeEventListener?.('online', onWake);
      globalThis.document?.removeEventListener('visibilitychange', onWake);
    },
    refreshNow() {
      forcedToken = current?.refreshToken;
      return rotate();
    },
    clear() {
      if (current) {
        save({
          ended: {
            refreshToken: current.refreshToken,
            code: 'LOGGED_OUT' satisfies ClientErrorCode,
          },
        });
      }
      current = undefined;
      ended = true;
      clearTimeout(timer);
    },
    get session() {
      return ended ? undefined : current;
    },
  };
}

/**
 * Calls an app callback; an exception in it is the app's bug, reported as uncaught (window.onerror)
 * rather than left to break the refresh under way.
 */
function report<A extends unknown[]>(callback: ((...args: A) => void) | undefined, ...args: A) {
  try {
    callback?.(...args);
  } catch (error) {
    setTimeout(() => {
      throw error;
    });
  }
}

function endedFields(code: string) {
  return { code: code as GatewayError['code'], retryable: false };
}
