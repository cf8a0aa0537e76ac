import { describe, expect, it } from 'vitest';
import {
  backoffDelay,
  parseRetryAfter,
  RetryBudget,
  resolveRetryOptions,
} from '../../src/circle/retry-policy.js';

const options = { baseDelayMs: 100, maxDelayMs: 1_000 };

describe('backoffDelay', () => {
  it('picks 0 when random gives 0', () => {
    expect(backoffDelay(1, options, () => 0)).toBe(0);
  });

  it('stays below the ceiling, which doubles per retry', () => {
    const almostOne = () => 0.999_999;
    expect(backoffDelay(1, options, almostOne)).toBe(99);
    expect(backoffDelay(2, options, almostOne)).toBe(199);
    expect(backoffDelay(3, options, almostOne)).toBe(399);
    expect(backoffDelay(4, options, almostOne)).toBe(799);
  });

  it('never exceeds maxDelayMs however many retries', () => {
    for (const retry of [5, 10, 50, 1_000]) {
      expect(backoffDelay(retry, options, () => 0.999_999)).toBeLessThan(1_000);
    }
  });

  it('is a whole number of milliseconds within [0, ceiling) for any random value', () => {
    for (let i = 0; i < 200; i += 1) {
      const delay = backoffDelay(3, options);
      expect(Number.isInteger(delay)).toBe(true);
      expect(delay).toBeGreaterThanOrEqual(0);
      expect(delay).toBeLessThan(400);
    }
  });
});

describe('parseRetryAfter', () => {
  const now = Date.parse('2026-11-27T20:00:00Z');

  it.each([
    ['0', 0],
    ['1', 1_000],
    ['120', 120_000],
    [' 3 ', 3_000],
  ])('reads delta-seconds %j as %i ms', (value, ms) => {
    expect(parseRetryAfter(value, now)).toBe(ms);
  });

  it('reads an HTTP date as the time left until it', () => {
    expect(parseRetryAfter('Fri, 27 Nov 2026 20:00:07 GMT', now)).toBe(7_000);
  });

  it('reads an HTTP date in the past as 0', () => {
    expect(parseRetryAfter('Fri, 27 Nov 2026 19:59:00 GMT', now)).toBe(0);
  });

  it.each([undefined, '', 'soon', '3 seconds', '0x10', '1e3', 'Infinity'])(
    'gives undefined for %j',
    (value) => {
      expect(parseRetryAfter(value, now)).toBeUndefined();
    },
  );

  // Date.parse alone is lenient: "-1" and "1.5" would read as dates in 2001 and give 0 ms.
  it.each(['-1', '1.5'])('gives undefined for the malformed value %j', (value) => {
    expect(parseRetryAfter(value, now)).toBeUndefined();
  });
});

describe('resolveRetryOptions', () => {
  it('defaults to 3 attempts, 100 ms base, 2 s cap, a 0.2 budget with 10 retries minimum', () => {
    expect(resolveRetryOptions()).toEqual({
      maxAttempts: 3,
      baseDelayMs: 100,
      maxDelayMs: 2_000,
      budgetRatio: 0.2,
      budgetMinRetries: 10,
    });
  });

  it.each([
    [{ maxAttempts: 0 }, /maxAttempts/],
    [{ maxAttempts: 1.5 }, /maxAttempts/],
    [{ baseDelayMs: -1 }, /baseDelayMs/],
    [{ budgetRatio: Number.NaN }, /budgetRatio/],
    [{ baseDelayMs: 500, maxDelayMs: 100 }, /maxDelayMs must be >= retry.baseDelayMs/],
  ])('refuses %j', (retry, message) => {
    expect(() => resolveRetryOptions(retry)).toThrow(message);
  });
});

describe('RetryBudget', () => {
  it('allows the minimum number of retries, then one per 1/ratio first attempts', () => {
    const budget = new RetryBudget(0.5, 2);
    expect(budget.tryWithdraw()).toBe(true);
    expect(budget.tryWithdraw()).toBe(true);
    expect(budget.tryWithdraw()).toBe(false);
    budget.recordAttempt();
    expect(budget.tryWithdraw()).toBe(false);
    budget.recordAttempt();
    expect(budget.tryWithdraw()).toBe(true);
    expect(budget.tryWithdraw()).toBe(false);
  });
});
