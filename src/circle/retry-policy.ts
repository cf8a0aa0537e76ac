/** When and how long to wait before another attempt. Pure functions and one small budget. */

import { RETRY_DEFAULTS } from './defaults.js';

export interface RetryOptions {
  /**
   * Attempts per call, the first included. 1 turns retries off.
   * @default 3
   */
  maxAttempts?: number;
  /**
   * The first backoff ceiling; each further attempt doubles it (full jitter picks 0..ceiling).
   * @default 100
   */
  baseDelayMs?: number;
  /**
   * The largest backoff ceiling.
   * @default 2000
   */
  maxDelayMs?: number;
  /**
   * Retries allowed per first attempt, over time: with 0.2, at most one call in five is retried
   * once Circle keeps failing, so a failing Circle is not hit harder.
   * @default 0.2
   */
  budgetRatio?: number;
  /**
   * Retries always allowed before the ratio applies (the budget's starting and minimum balance).
   * @default 10
   */
  budgetMinRetries?: number;
}

export type ResolvedRetryOptions = Required<RetryOptions>;

export function resolveRetryOptions(options: RetryOptions = {}): ResolvedRetryOptions {
  const resolved = {
    maxAttempts: options.maxAttempts ?? RETRY_DEFAULTS.maxAttempts,
    baseDelayMs: options.baseDelayMs ?? RETRY_DEFAULTS.baseDelayMs,
    maxDelayMs: options.maxDelayMs ?? RETRY_DEFAULTS.maxDelayMs,
    budgetRatio: options.budgetRatio ?? RETRY_DEFAULTS.budgetRatio,
    budgetMinRetries: options.budgetMinRetries ?? RETRY_DEFAULTS.budgetMinRetries,
  };
  if (!Number.isInteger(resolved.maxAttempts) || resolved.maxAttempts < 1) {
    throw new RangeError('retry.maxAttempts must be an integer >= 1');
  }
  for (const key of ['baseDelayMs', 'maxDelayMs', 'budgetRatio', 'budgetMinRetries'] as const) {
    if (!Number.isFinite(resolved[key]) || resolved[key] < 0) {
      throw new RangeError(`retry.${key} must be a number >= 0`);
    }
  }
  if (resolved.maxDelayMs < resolved.baseDelayMs) {
    throw new RangeError('retry.maxDelayMs must be >= retry.baseDelayMs');
  }
  return resolved;
}

/** Exponential backoff with full jitter: a uniform pick in [0, min(max, base * 2^(n-1))]. */
export function backoffDelay(
  retryNumber: number,
  options: Pick<ResolvedRetryOptions, 'baseDelayMs' | 'maxDelayMs'>,
  random: () => number = Math.random,
): number {
  const ceiling = Math.min(options.maxDelayMs, options.baseDelayMs * 2 ** (retryNumber - 1));
  return Math.floor(random() * ceiling);
}

/**
 * A `Retry-After` value in milliseconds: delta-seconds or an HTTP date. Undefined when absent or
 * unreadable, so the caller falls back to its own backoff.
 */
export function parseRetryAfter(value: string | undefined, now: number): number | undefined {
  if (value === undefined) return undefined;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  // Only an HTTP date (IMF-fixdate, e.g. "Wed, 21 Oct 2015 07:28:00 GMT"); Date.parse alone would
  // read "-1" or "1.5" as dates in 2001.
  if (!/^[A-Za-z]{3}, \d{2} [A-Za-z]{3} \d{4} \d{2}:\d{2}:\d{2} GMT$/.test(trimmed))
    return undefined;
  const date = Date.parse(trimmed);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, date - now);
}

/**
 * A retry budget shared by all calls of one client: each first attempt earns `ratio` of a retry,
 * each retry spends one. It keeps retries a fixed fraction of traffic while Circle fails.
 */
export class RetryBudget {
  private balance: number;
  private readonly cap: number;

  constructor(
    private readonly ratio: number,
    minimum: number,
  ) {
    this.balance = minimum;
    this.cap = Math.max(minimum, 100);
  }

  recordAttempt(): void {
    this.balance = Math.min(this.cap, this.balance + this.ratio);
  }

  tryWithdraw(): boolean {
    if (this.balance < 1) return false;
    this.balance -= 1;
    return true;
  }
}
