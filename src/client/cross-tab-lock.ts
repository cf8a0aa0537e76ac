import type { SessionStorageLike } from './session.js';

/**
 * Runs `task` while holding the origin-wide lock `name`: the Web Locks API where the browser has
 * it (the lock is released when the task settles or the tab dies), else a lease in storage.
 */
export type CrossTabLock = <T>(name: string, task: () => Promise<T>) => Promise<T>;

export function webLocks(locks: LockManager): CrossTabLock {
  // request() resolves to what the task resolves to; its typing nests the promise.
  return (name, task) => locks.request(name, { mode: 'exclusive' }, task) as Promise<never>;
}

/** How long a lease holds without renewal: a tab that dies frees the lock after this long. */
const LEASE_MS = 10_000;
/** Between writing a lease and trusting it: other tabs' writes reach this one by then. */
const SETTLE_MS = 50;

/**
 * Where Web Locks are missing: a lease entry in shared storage, taken by write-then-verify and
 * renewed while held. Storage has no compare-and-set, so two tabs can in rare timing both think
 * they hold it; the keeper re-reads the session after taking the lock, so the later of the two
 * sees the rotation and skips its refresh.
 */
export function storageLease(storage: SessionStorageLike, tabId: string): CrossTabLock {
  const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
  const read = (key: string): { owner: string; until: number } | undefined => {
    try {
      return JSON.parse(storage.getItem(key) ?? 'null') ?? undefined;
    } catch {
      return undefined;
    }
  };
  const write = (key: string) =>
    storage.setItem(key, JSON.stringify({ owner: tabId, until: Date.now() + LEASE_MS }));

  return async (name, task) => {
    const key = `${name}:lease`;
    for (;;) {
      const lease = read(key);
      if (lease === undefined || lease.until < Date.now() || lease.owner === tabId) {
        write(key);
        await sleep(SETTLE_MS);
        if (read(key)?.owner === tabId) break;
      }
      await sleep(SETTLE_MS + Math.random() * 100);
    }
    const renew = setInterval(() => write(key), LEASE_MS / 3);
    try {
      return await task();
    } finally {
      clearInterval(renew);
      if (read(key)?.owner === tabId) storage.removeItem(key);
    }
  };
}

/** Within one tab only: for a storage that no other tab sees. */
export function inProcessLock(): CrossTabLock {
  let tail: Promise<unknown> = Promise.resolve();
  return (_name, task) => {
    const run = tail.then(task, task);
    tail = run.catch(() => undefined);
    return run;
  };
}
