/** A consecutive-failure circuit breaker: closed, then open for a pause, then one probe. */

import { CIRCUIT_BREAKER_DEFAULTS } from './defaults.js';

export type CircuitState = 'closed' | 'open' | 'half-open';

export interface CircuitBreakerOptions {
  /**
   * Consecutive failed calls (after their retries) that open the circuit. 0 turns it off.
   * @default 5
   */
  failureThreshold?: number;
  /**
   * How long the circuit stays open before one probe call may go through.
   * @default 5000
   */
  resetAfterMs?: number;
}

export class CircuitBreaker {
  private failures = 0;
  private openedAt = 0;
  private current: 'closed' | 'open' = 'closed';
  private probeInFlight = false;
  private readonly threshold: number;
  private readonly resetAfterMs: number;

  constructor(
    options: CircuitBreakerOptions = {},
    private readonly now: () => number = Date.now,
    private readonly onChange: (state: CircuitState) => void = () => {},
  ) {
    this.threshold = options.failureThreshold ?? CIRCUIT_BREAKER_DEFAULTS.failureThreshold;
    this.resetAfterMs = options.resetAfterMs ?? CIRCUIT_BREAKER_DEFAULTS.resetAfterMs;
    if (!Number.isInteger(this.threshold) || this.threshold < 0) {
      throw new RangeError('circuitBreaker.failureThreshold must be an integer >= 0');
    }
    if (!Number.isFinite(this.resetAfterMs) || this.resetAfterMs < 0) {
      throw new RangeError('circuitBreaker.resetAfterMs must be a number >= 0');
    }
  }

  get state(): CircuitState {
    if (this.current === 'open' && this.now() - this.openedAt >= this.resetAfterMs) {
      return 'half-open';
    }
    return this.current;
  }

  /** Whether a call may go upstream now. In half-open, only one probe at a time. */
  tryAcquire(): boolean {
    const state = this.state;
    if (state === 'closed') return true;
    if (state === 'open' || this.probeInFlight) return false;
    this.probeInFlight = true;
    return true;
  }

  recordSuccess(): void {
    this.failures = 0;
    this.probeInFlight = false;
    this.setCurrent('closed');
  }

  recordFailure(): void {
    this.probeInFlight = false;
    this.failures += 1;
    // A failed probe (current is still 'open') re-opens at once and restarts the pause.
    if (this.threshold > 0 && (this.current === 'open' || this.failures >= this.threshold)) {
      this.openedAt = this.now();
      this.setCurrent('open');
    }
  }

  /** Circle answered, about the request (a 4xx): it is up, so a probe that got this closes. */
  recordNeutral(): void {
    if (this.probeInFlight) this.recordSuccess();
  }

  /** A call that never reached Circle (no slot, no time): frees the probe, changes nothing. */
  releaseProbe(): void {
    this.probeInFlight = false;
  }

  private setCurrent(next: 'closed' | 'open'): void {
    if (this.current === next) return;
    this.current = next;
    this.onChange(next);
  }
}
