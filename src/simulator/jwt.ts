import { createHmac, timingSafeEqual } from 'node:crypto';
import { isPlainObject } from './answer.js';

/** The claims of a simulator user token. Circle's tokens are JWTs too; clients may read `exp`. */
export interface UserTokenClaims {
  /** The user id. */
  sub: string;
  /** Issue time, seconds since the epoch. */
  iat: number;
  /** Expiry, seconds since the epoch. */
  exp: number;
  /** Unique token id; the simulator's record of issued tokens is keyed on it. */
  jti: string;
}

export interface UserTokenCodec {
  sign(claims: UserTokenClaims): string;
  /** The claims when the token is ours and intact, `undefined` for anything else. */
  verify(token: string): UserTokenClaims | undefined;
}

const HEADER = base64url(JSON.stringify({ alg: 'HS256', typ: 'JWT' }));
const SEGMENT = /^[A-Za-z0-9_-]+$/;

/** HS256 JWTs under one secret; each simulator instance has its own, so tokens don't cross. */
export function createUserTokenCodec(secret: Buffer): UserTokenCodec {
  const signature = (input: string): Buffer => createHmac('sha256', secret).update(input).digest();

  return {
    sign(claims) {
      const input = `${HEADER}.${base64url(JSON.stringify(claims))}`;
      return `${input}.${signature(input).toString('base64url')}`;
    },
    verify(token) {
      const parts = token.split('.');
      if (parts.length !== 3) return undefined;
      const [header, payload, sig] = parts as [string, string, string];
      if (!SEGMENT.test(header) || !SEGMENT.test(payload) || !SEGMENT.test(sig)) return undefined;
      const expected = signature(`${header}.${payload}`);
      const given = Buffer.from(sig, 'base64url');
      if (given.length !== expected.length || !timingSafeEqual(given, expected)) return undefined;
      const parsedHeader = parseSegment(header);
      if (parsedHeader?.alg !== 'HS256') return undefined;
      const claims = parseSegment(payload);
      if (
        claims === undefined ||
        typeof claims.sub !== 'string' ||
        typeof claims.jti !== 'string' ||
        typeof claims.iat !== 'number' ||
        typeof claims.exp !== 'number'
      ) {
        return undefined;
      }
      return { sub: claims.sub, iat: claims.iat, exp: claims.exp, jti: claims.jti };
    },
  };
}

function base64url(text: string): string {
  return Buffer.from(text, 'utf8').toString('base64url');
}

function parseSegment(segment: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(Buffer.from(segment, 'base64url').toString('utf8'));
    return isPlainObject(value) ? value : undefined;
  } catch {
    return undefined;
  }
}
