import { createHash } from 'node:crypto';
import type { Answer } from './answer.js';

/**
 * Remembers successful refresh answers by idempotency key, bounded in count and age. Only 2xx
 * answers are kept: a failed call changes nothing, so a retry under the same key (with a fresh
 * user token after a 155104, say) must be evaluated again rather than refused as a different
 * request.
 */
export interface IdempotencyStore {
  lookup(key: string, fingerprint: string): IdempotencyLookup;
  remember(key: string, fingerprint: string, answer: Answer): void;
  reset(): void;
}

export type IdempotencyLookup =
  | { kind: 'miss' }
  | { kind: 'replay'; answer: Answer }
  | { kind: 'conflict' };

export interface IdempotencyStoreOptions {
  now: () => number;
  /** @default 10_000 */
  maxEntries?: number;
  /** @default 24 hours */
  ttlMs?: number;
}

interface Entry {
  fingerprint: string;
  answer: Answer;
  storedAtMs: number;
}

export function createIdempotencyStore({
  now,
  maxEntries = 10_000,
  ttlMs = 24 * 60 * 60 * 1000,
}: IdempotencyStoreOptions): IdempotencyStore {
  const entries = new Map<string, Entry>();

  function evict(): void {
    const cutoff = now() - ttlMs;
    // Insertion order is time order: the oldest entries are first.
    for (const [key, entry] of entries) {
      if (entries.size <= maxEntries && entry.storedAtMs > cutoff) break;
      entries.delete(key);
    }
  }

  return {
    lookup(key, fingerprint) {
      evict();
      const entry = entries.get(key);
      if (entry === undefined) return { kind: 'miss' };
      if (entry.fingerprint !== fingerprint) return { kind: 'conflict' };
      return { kind: 'replay', answer: entry.answer };
    },
    remember(key, fingerprint, answer) {
      entries.set(key, { fingerprint, answer, storedAtMs: now() });
      evict();
    },
    reset() {
      entries.clear();
    },
  };
}

/** A digest of the parts that make two requests "the same"; field order does not matter. */
export function fingerprintOf(parts: Record<string, string>): string {
  const canonical = JSON.stringify(
    Object.keys(parts)
      .sort()
      .map((key) => [key, parts[key]]),
  );
  return createHash('sha256').update(canonical).digest('base64url');
}
