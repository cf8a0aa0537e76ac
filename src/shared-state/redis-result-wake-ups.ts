/**
 * Waiters for a coalesced refresh's result, woken by the holder's PUBLISH on one channel (the
 * message is the refresh's id), or when their wait is up (polling is the backstop: a message can
 * be lost, or come before the subscription).
 */
import type { Redis } from 'ioredis';

export function listenForResults(subscriber: Redis, channel: string) {
  // Waiters of this process by refresh id, woken when a holder anywhere finishes.
  const wakers = new Map<string, Set<() => void>>();
  const onMessage = (from: string, id: string) => {
    if (from !== channel) return;
    for (const wake of wakers.get(id) ?? []) wake();
  };
  subscriber.on('message', onMessage);
  // Not awaited: polling covers the time until (and any time without) the subscription.
  subscriber.subscribe(channel).catch(() => {});
  return {
    /** Resolves when the refresh `id` is done somewhere, or after `ms`. */
    wait: (id: string, ms: number) =>
      new Promise<void>((resolve) => {
        let set = wakers.get(id);
        if (!set) {
          set = new Set();
          wakers.set(id, set);
        }
        const waiters = set;
        const done = () => {
          clearTimeout(timer);
          waiters.delete(done);
          if (waiters.size === 0) wakers.delete(id);
          resolve();
        };
        const timer = setTimeout(done, Math.max(0, ms));
        waiters.add(done);
      }),
    /** Stops listening, and lets every waiter look once more. */
    close() {
      subscriber.off('message', onMessage);
      for (const waiters of wakers.values()) for (const wake of waiters) wake();
    },
  };
}
