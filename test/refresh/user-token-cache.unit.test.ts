import { describe, expect, it } from 'vitest';
import { UserTokenCache } from '../../src/refresh/user-token-cache.js';

const MINUTE = 60_000;

const clockAt = (start = Date.parse('2026-11-27T20:00:00Z')) => {
  const clock = { now: start };
  return { clock, now: () => clock.now };
};

describe('UserTokenCache', () => {
  it('serves a token until 50 minutes after the mint by default, and not a moment longer', () => {
    const { clock, now } = clockAt();
    const cache = new UserTokenCache({ now });
    cache.set('user-1', 'token-1', 'key-1');

    clock.now += 50 * MINUTE - 1;
    expect(cache.get('user-1')).toEqual({
      userToken: 'token-1',
      encryptionKey: 'key-1',
      expiresAt: clock.now + 1,
    });
    clock.now += 1;
    expect(cache.get('user-1')).toBeUndefined();
    expect(cache.size).toBe(0);
  });

  it('refuses a TTL above 50 minutes', () => {
    expect(() => new UserTokenCache({ ttlMs: 50 * MINUTE + 1 })).toThrow(RangeError);
    expect(() => new UserTokenCache({ ttlMs: 50 * MINUTE })).not.toThrow();
  });

  it('refuses a negative or fractional maxEntries', () => {
    expect(() => new UserTokenCache({ maxEntries: -1 })).toThrow(RangeError);
    expect(() => new UserTokenCache({ maxEntries: 1.5 })).toThrow(RangeError);
  });

  it('drops a token a margin before its JWT exp when that comes before the TTL', () => {
    const { clock, now } = clockAt();
    const cache = new UserTokenCache({ now, expiryMarginMs: MINUTE });
    cache.set('user-1', 'token-1', undefined, clock.now + 10 * MINUTE);

    clock.now += 9 * MINUTE - 1;
    expect(cache.get('user-1')?.userToken).toBe('token-1');
    clock.now += 1;
    expect(cache.get('user-1')).toBeUndefined();
  });

  it('keeps the TTL when the JWT exp is later', () => {
    const { clock, now } = clockAt();
    const cache = new UserTokenCache({ now, ttlMs: 5 * MINUTE });
    cache.set('user-1', 'token-1', undefined, clock.now + 60 * MINUTE);

    clock.now += 5 * MINUTE;
    expect(cache.get('user-1')).toBeUndefined();
  });

  it('does not keep a token that expires within the margin', () => {
    const { clock, now } = clockAt();
    const cache = new UserTokenCache({ now, expiryMarginMs: MINUTE });
    cache.set('user-1', 'token-1', undefined, clock.now + 30_000);

    expect(cache.get('user-1')).toBeUndefined();
    expect(cache.size).toBe(0);
  });

  it('evicts the least recently used user when full', () => {
    const cache = new UserTokenCache({ maxEntries: 2 });
    cache.set('user-1', 'token-1', undefined);
    cache.set('user-2', 'token-2', undefined);
    expect(cache.get('user-1')?.userToken).toBe('token-1');

    cache.set('user-3', 'token-3', undefined);

    expect(cache.size).toBe(2);
    expect(cache.get('user-2')).toBeUndefined();
    expect(cache.get('user-1')?.userToken).toBe('token-1');
    expect(cache.get('user-3')?.userToken).toBe('token-3');
  });

  it('replaces the token of a user minted again without growing', () => {
    const cache = new UserTokenCache({ maxEntries: 2 });
    cache.set('user-1', 'token-1', undefined);
    cache.set('user-1', 'token-1b', 'key-1b');

    expect(cache.size).toBe(1);
    expect(cache.get('user-1')).toMatchObject({ userToken: 'token-1b', encryptionKey: 'key-1b' });
  });

  it('keeps nothing with maxEntries 0', () => {
    const cache = new UserTokenCache({ maxEntries: 0 });
    cache.set('user-1', 'token-1', undefined);
    expect(cache.get('user-1')).toBeUndefined();
  });

  it('deletes a token only when it is still the one given', () => {
    const cache = new UserTokenCache();
    cache.set('user-1', 'token-new', undefined);

    cache.delete('user-1', 'token-old');
    expect(cache.get('user-1')?.userToken).toBe('token-new');

    cache.delete('user-1', 'token-new');
    expect(cache.get('user-1')).toBeUndefined();
  });

  it('deletes whatever token a user has when none is given', () => {
    const cache = new UserTokenCache();
    cache.set('user-1', 'token-1', undefined);
    cache.delete('user-1');
    expect(cache.get('user-1')).toBeUndefined();
  });
});
