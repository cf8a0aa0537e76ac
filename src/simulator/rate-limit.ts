/**
 * Sliding one-second windows per API key and endpoint, on the simulator's clock. Circle documents
 * the limits (refresh 5/s, mint 10/s) but not their scope; per API key is the likeliest reading.
 */
export interface RateLimiter {
  /** Counts the call; `false` when it is over the limit (the call is then not counted). */
  tryAcquire(scope: string, limitPerSecond: number): boolean;
  reset(): void;
}

const WINDOW_MS = 1000;
// Keys seen once and never again must not pile up; sweeping is cheap next to this many keys.
const SWEEP_ABOVE_SCOPES = 10_000;

export function createRateLimiter(now: () => number): RateLimiter {
  const windows = new Map<string, number[]>();

  return {
    tryAcquire(scope, limitPerSecond) {
      const at = now();
      if (windows.size > SWEEP_ABOVE_SCOPES) {
        for (const [key, times] of windows) {
          if (times.every((time) => time <= at - WINDOW_MS)) windows.delete(key);
        }
      }
      const times = (windows.get(scope) ?? []).filter((time) => time > at - WINDOW_MS);
      windows.set(scope, times);
      if (times.length >= limitPerSecond) return false;
      times.push(at);
      return true;
    },
    reset() {
      windows.clear();
    },
  };
}
