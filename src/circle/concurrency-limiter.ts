/** A bound on calls in flight with a bounded, first-come wait for a free slot. */

export class ConcurrencyLimiter {
  private active = 0;
  private readonly waiting: Array<{ grant: () => void }> = [];

  constructor(
    private readonly maxInFlight: number,
    private readonly maxQueued: number,
  ) {
    if (!Number.isInteger(maxInFlight) || maxInFlight < 1) {
      throw new RangeError('maxInFlight must be an integer >= 1');
    }
    if (!Number.isInteger(maxQueued) || maxQueued < 0) {
      throw new RangeError('maxQueued must be an integer >= 0');
    }
  }

  get inFlight(): number {
    return this.active;
  }

  get queued(): number {
    return this.waiting.length;
  }

  /**
   * Resolves with a release function once a slot is free, or with `undefined` when the queue is
   * full or no slot frees within `waitMs`.
   */
  acquire(waitMs: number): Promise<(() => void) | undefined> {
    if (this.active < this.maxInFlight) {
      this.active += 1;
      return Promise.resolve(this.releaser());
    }
    if (this.waiting.length >= this.maxQueued || waitMs <= 0) return Promise.resolve(undefined);
    return new Promise((resolve) => {
      const entry = {
        grant: () => {
          clearTimeout(timer);
          this.active += 1;
          resolve(this.releaser());
        },
      };
      const timer = setTimeout(() => {
        const index = this.waiting.indexOf(entry);
        if (index >= 0) this.waiting.splice(index, 1);
        resolve(undefined);
      }, waitMs);
      this.waiting.push(entry);
    });
  }

  private releaser(): () => void {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.active -= 1;
      this.waiting.shift()?.grant();
    };
  }
}
