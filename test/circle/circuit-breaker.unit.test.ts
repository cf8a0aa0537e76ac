import { describe, expect, it } from 'vitest';
import { CircuitBreaker, type CircuitState } from '../../src/circle/circuit-breaker.js';

function breakerAt(options: { failureThreshold?: number; resetAfterMs?: number } = {}) {
  const clock = { now: 0 };
  const changes: CircuitState[] = [];
  const breaker = new CircuitBreaker(
    { failureThreshold: 3, resetAfterMs: 1_000, ...options },
    () => clock.now,
    (state) => changes.push(state),
  );
  const fail = (times: number) => {
    for (let i = 0; i < times; i += 1) {
      expect(breaker.tryAcquire()).toBe(true);
      breaker.recordFailure();
    }
  };
  return { breaker, clock, changes, fail };
}

describe('CircuitBreaker', () => {
  it('lets calls through until the threshold of consecutive failures, then opens', () => {
    const { breaker, changes, fail } = breakerAt();
    fail(2);
    expect(breaker.state).toBe('closed');
    fail(1);
    expect(breaker.state).toBe('open');
    expect(breaker.tryAcquire()).toBe(false);
    expect(changes).toEqual(['open']);
  });

  it('counts consecutive failures only: a success in between starts again', () => {
    const { breaker, fail } = breakerAt();
    fail(2);
    breaker.tryAcquire();
    breaker.recordSuccess();
    fail(2);
    expect(breaker.state).toBe('closed');
  });

  it('turns half-open after the pause and lets exactly one probe through', () => {
    const { breaker, clock, fail } = breakerAt();
    fail(3);
    clock.now += 999;
    expect(breaker.state).toBe('open');
    clock.now += 1;
    expect(breaker.state).toBe('half-open');
    expect(breaker.tryAcquire()).toBe(true);
    expect(breaker.tryAcquire()).toBe(false);
  });

  it('closes when the probe succeeds', () => {
    const { breaker, clock, changes, fail } = breakerAt();
    fail(3);
    clock.now += 1_000;
    breaker.tryAcquire();
    breaker.recordSuccess();
    expect(breaker.state).toBe('closed');
    expect(breaker.tryAcquire()).toBe(true);
    expect(changes).toEqual(['open', 'closed']);
  });

  it('re-opens at once when the probe fails, and restarts the pause', () => {
    const { breaker, clock, changes, fail } = breakerAt();
    fail(3);
    clock.now += 1_000;
    breaker.tryAcquire();
    breaker.recordFailure();
    expect(breaker.state).toBe('open');
    clock.now += 999;
    expect(breaker.state).toBe('open');
    clock.now += 1;
    expect(breaker.state).toBe('half-open');
    // Already open: no second change is reported for the failed probe.
    expect(changes).toEqual(['open']);
  });

  it('closes when the probe gets a 4xx (Circle is up), and ignores 4xx while closed', () => {
    const { breaker, clock, fail } = breakerAt();
    fail(2);
    breaker.tryAcquire();
    breaker.recordNeutral();
    fail(1);
    expect(breaker.state).toBe('open');
    clock.now += 1_000;
    breaker.tryAcquire();
    breaker.recordNeutral();
    expect(breaker.state).toBe('closed');
  });

  it('frees the probe slot without a verdict when the probe never reached Circle', () => {
    const { breaker, clock, fail } = breakerAt();
    fail(3);
    clock.now += 1_000;
    expect(breaker.tryAcquire()).toBe(true);
    breaker.releaseProbe();
    expect(breaker.state).toBe('half-open');
    expect(breaker.tryAcquire()).toBe(true);
  });

  it('never opens with a threshold of 0', () => {
    const { breaker, changes, fail } = breakerAt({ failureThreshold: 0 });
    fail(50);
    expect(breaker.state).toBe('closed');
    expect(changes).toEqual([]);
  });

  it('defaults to 5 failures and a 5 second pause', () => {
    const clock = { now: 0 };
    const breaker = new CircuitBreaker({}, () => clock.now);
    for (let i = 0; i < 4; i += 1) breaker.recordFailure();
    expect(breaker.state).toBe('closed');
    breaker.recordFailure();
    expect(breaker.state).toBe('open');
    clock.now += 4_999;
    expect(breaker.state).toBe('open');
    clock.now += 1;
    expect(breaker.state).toBe('half-open');
  });

  it('refuses a negative or fractional threshold and a negative pause', () => {
    expect(() => new CircuitBreaker({ failureThreshold: -1 })).toThrow(RangeError);
    expect(() => new CircuitBreaker({ failureThreshold: 1.5 })).toThrow(RangeError);
    expect(() => new CircuitBreaker({ resetAfterMs: -1 })).toThrow(RangeError);
    expect(() => new CircuitBreaker({ resetAfterMs: Number.NaN })).toThrow(RangeError);
  });
});
