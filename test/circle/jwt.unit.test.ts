import { describe, expect, it } from 'vitest';
import { readJwtExpiry } from '../../src/circle/jwt.js';
import { jwtLike } from '../support/jwt.js';

const encode = (text: string) => Buffer.from(text).toString('base64url');

describe('readJwtExpiry', () => {
  it('reads the exp claim as milliseconds since the epoch', () => {
    expect(readJwtExpiry(jwtLike({ sub: 'user-1', exp: 1_800_000_000 }))).toBe(1_800_000_000_000);
  });

  it('reads a payload encoded with standard base64 padding', () => {
    const payload = Buffer.from(JSON.stringify({ exp: 1_800_000_001 })).toString('base64');
    expect(readJwtExpiry(`${encode('{}')}.${payload}.sig`)).toBe(1_800_000_001_000);
  });

  it('reads the last exp RFC 3339 can say (9999-12-31T23:59:59Z)', () => {
    expect(readJwtExpiry(jwtLike({ exp: 253_402_300_799 }))).toBe(253_402_300_799_000);
  });

  it.each([
    ['an opaque token', 'opaque-user-token'],
    ['two parts', `${encode('{}')}.${encode('{"exp":1800000000}')}`],
    ['four parts', `a.${encode('{"exp":1800000000}')}.c.d`],
    ['an empty payload', `${encode('{}')}..sig`],
    ['a payload that is not JSON', `${encode('{}')}.${encode('not json')}.sig`],
    ['a JSON null payload', `${encode('{}')}.${encode('null')}.sig`],
    ['no exp', jwtLike({ sub: 'user-1' })],
    ['a string exp', jwtLike({ exp: '1800000000' })],
    ['a zero exp', jwtLike({ exp: 0 })],
    ['a negative exp', jwtLike({ exp: -5 })],
    ['an exp beyond the Date range', jwtLike({ exp: 1e300 })],
    ['an exp past the year 9999 (no RFC 3339 form)', jwtLike({ exp: 8_000_000_000_000 })],
  ])('gives undefined for %s', (_case, token) => {
    expect(readJwtExpiry(token)).toBeUndefined();
  });
});
