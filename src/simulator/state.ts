import { randomBytes, randomUUID } from 'node:crypto';
import type { UserTokenClaims, UserTokenCodec } from './jwt.js';

/** What a client SDK holds after `performLogin`: everything a refresh needs. */
export interface SimulatorSession {
  userId: string;
  userToken: string;
  refreshToken: string;
  deviceId: string;
  encryptionKey: string;
}

export interface SessionInput {
  /** Circle's user id (5 to 50 characters). A new UUID when absent; created when unknown. */
  userId?: string;
  /** The device the session is bound to. A new opaque id when absent; created when unknown. */
  deviceId?: string;
}

export interface IssuedUserToken {
  userToken: string;
  encryptionKey: string;
}

export type UserTokenCheck =
  | { kind: 'invalid' }
  | { kind: 'unknown' }
  | { kind: 'expired'; userId: string }
  | { kind: 'valid'; userId: string };

export interface RefreshTokenRecord {
  userId: string;
  deviceId: string;
  used: boolean;
}

export interface SimulatorState {
  hasUser(userId: string): boolean;
  isDisabled(userId: string): boolean;
  disableUser(userId: string): void;
  hasDevice(deviceId: string): boolean;
  createSession(input?: SessionInput): SimulatorSession;
  issueUserToken(userId: string): IssuedUserToken;
  checkUserToken(token: string): UserTokenCheck;
  findRefreshToken(refreshToken: string): RefreshTokenRecord | undefined;
  /** Marks the refresh token used and issues the next token pair for the same user and device. */
  rotate(refreshToken: string): IssuedUserToken & { refreshToken: string; userId: string };
  /** Forgets users, devices and tokens; the signing secret stays, so old tokens become unknown. */
  reset(): void;
}

export const USER_ID_MIN_LENGTH = 5;
export const USER_ID_MAX_LENGTH = 50;

// Bounds on what the simulator remembers, so a long benchmark run cannot grow it without limit.
const MAX_ISSUED_TOKENS = 200_000;
const MAX_USED_REFRESH_TOKENS = 200_000;
// Records outlive expiry by a day, so an expired token answers "expired" rather than "unknown".
const RETENTION_AFTER_EXPIRY_MS = 24 * 60 * 60 * 1000;

interface IssuedRecord {
  userId: string;
  expiresAtMs: number;
}

interface UsedRecord {
  userId: string;
  deviceId: string;
  usedAtMs: number;
}

export function validateSessionInput(input: SessionInput): string[] {
  const problems: string[] = [];
  if (input.userId !== undefined) {
    if (typeof input.userId !== 'string') problems.push('userId must be a string.');
    else if (input.userId.length < USER_ID_MIN_LENGTH || input.userId.length > USER_ID_MAX_LENGTH) {
      problems.push(
        `userId must be ${USER_ID_MIN_LENGTH} to ${USER_ID_MAX_LENGTH} characters long.`,
      );
    }
  }
  if (input.deviceId !== undefined) {
    if (typeof input.deviceId !== 'string') problems.push('deviceId must be a string.');
    else if (input.deviceId.length === 0 || input.deviceId.length > 256) {
      problems.push('deviceId must be 1 to 256 characters long.');
    }
  }
  return problems;
}

export function createSimulatorState(deps: {
  now: () => number;
  userTokenTtlMs: number;
  codec: UserTokenCodec;
}): SimulatorState {
  const { now, userTokenTtlMs, codec } = deps;
  const users = new Map<string, { disabled: boolean }>();
  const devices = new Set<string>();
  const issued = new Map<string, IssuedRecord>();
  const activeRefreshTokens = new Map<string, { userId: string; deviceId: string }>();
  const usedRefreshTokens = new Map<string, UsedRecord>();

  function sweep(): void {
    const cutoff = now() - RETENTION_AFTER_EXPIRY_MS;
    // Both maps are in insertion order, which is time order: stop at the first one to keep.
    for (const [jti, record] of issued) {
      if (issued.size <= MAX_ISSUED_TOKENS && record.expiresAtMs >= cutoff) break;
      issued.delete(jti);
    }
    for (const [token, record] of usedRefreshTokens) {
      if (usedRefreshTokens.size <= MAX_USED_REFRESH_TOKENS && record.usedAtMs >= cutoff) break;
      usedRefreshTokens.delete(token);
    }
  }

  function issueUserToken(userId: string): IssuedUserToken {
    sweep();
    const issuedAtMs = now();
    const expiresAtMs = issuedAtMs + userTokenTtlMs;
    const claims: UserTokenClaims = {
      sub: userId,
      iat: Math.floor(issuedAtMs / 1000),
      exp: Math.floor(expiresAtMs / 1000),
      jti: randomUUID(),
    };
    issued.set(claims.jti, { userId, expiresAtMs: claims.exp * 1000 });
    return { userToken: codec.sign(claims), encryptionKey: randomBytes(32).toString('base64') };
  }

  function newRefreshToken(userId: string, deviceId: string): string {
    const token = randomBytes(32).toString('base64url');
    activeRefreshTokens.set(token, { userId, deviceId });
    return token;
  }

  return {
    hasUser: (userId) => users.has(userId),
    isDisabled: (userId) => users.get(userId)?.disabled === true,
    disableUser(userId) {
      const user = users.get(userId);
      if (user === undefined) throw new Error(`Unknown user id: ${userId}`);
      user.disabled = true;
    },
    hasDevice: (deviceId) => devices.has(deviceId),

    createSession(input = {}) {
      const problems = validateSessionInput(input);
      if (problems.length > 0) throw new TypeError(`Invalid session input: ${problems.join(' ')}`);
      const userId = input.userId ?? randomUUID();
      const deviceId = input.deviceId ?? randomBytes(16).toString('hex');
      if (!users.has(userId)) users.set(userId, { disabled: false });
      devices.add(deviceId);
      const { userToken, encryptionKey } = issueUserToken(userId);
      const refreshToken = newRefreshToken(userId, deviceId);
      return { userId, userToken, refreshToken, deviceId, encryptionKey };
    },

    issueUserToken,

    checkUserToken(token) {
      const claims = codec.verify(token);
      if (claims === undefined) return { kind: 'invalid' };
      const record = issued.get(claims.jti);
      if (record === undefined || record.userId !== claims.sub || !users.has(claims.sub)) {
        return { kind: 'unknown' };
      }
      if (record.expiresAtMs <= now()) return { kind: 'expired', userId: claims.sub };
      return { kind: 'valid', userId: claims.sub };
    },

    findRefreshToken(refreshToken) {
      const active = activeRefreshTokens.get(refreshToken);
      if (active !== undefined) return { ...active, used: false };
      const used = usedRefreshTokens.get(refreshToken);
      if (used !== undefined) return { userId: used.userId, deviceId: used.deviceId, used: true };
      return undefined;
    },

    rotate(refreshToken) {
      const session = activeRefreshTokens.get(refreshToken);
      if (session === undefined) throw new Error('rotate() needs an active refresh token');
      activeRefreshTokens.delete(refreshToken);
      usedRefreshTokens.set(refreshToken, { ...session, usedAtMs: now() });
      const next = issueUserToken(session.userId);
      return {
        ...next,
        userId: session.userId,
        refreshToken: newRefreshToken(session.userId, session.deviceId),
      };
    },

    reset() {
      users.clear();
      devices.clear();
      issued.clear();
      activeRefreshTokens.clear();
      usedRefreshTokens.clear();
    },
  };
}
