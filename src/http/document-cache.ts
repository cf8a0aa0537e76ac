/**
 * The cache behind Yoga's `parserAndValidationCache` (parsed documents and parse errors by query
 * text), bounded by the bytes of the texts it holds instead of Yoga's 1,024 entries: 1,024
 * documents padded with 64 KB of comments each held about 600 MB. A document longer than
 * `maxDocumentBytes` is parsed every time and never kept. Documents that are `pin`ned (the
 * project's own operations, parsed and validated at start) are kept outside the bound: no client
 * traffic can evict them. Yoga keys its validation results by the parsed document in a WeakMap,
 * so they go when their document goes.
 *
 * Written here rather than taken from lru-cache: the bound counts the query text and the pinned
 * entries sit outside it.
 */
export interface DocumentCacheOptions {
  /**
   * Total length of the query texts kept, in UTF-16 code units (about bytes for GraphQL text);
   * the parsed documents are a few times that. Past it the least recently used go.
   * @default 1048576
   */
  maxBytes?: number;
  /**
   * Longest query text kept; longer ones are parsed on every request.
   * @default 16384
   */
  maxDocumentBytes?: number;
}

export interface DocumentCache<T> {
  get(key: string): T | undefined;
  set(key: string, value: T): void;
  /** Keeps this key's entry for good, outside the bound. */
  pin(key: string): void;
  /** Text bytes held by the bounded part, and its entries. */
  stats(): { bytes: number; entries: number; pinned: number };
}

export function createDocumentCache<T>(options: DocumentCacheOptions = {}): DocumentCache<T> {
  const maxBytes = options.maxBytes ?? 1_048_576;
  const maxDocumentBytes = options.maxDocumentBytes ?? 16_384;
  if (!Number.isSafeInteger(maxBytes) || maxBytes < 0) {
    throw new RangeError('maxBytes must be a whole number >= 0');
  }
  if (!Number.isSafeInteger(maxDocumentBytes) || maxDocumentBytes < 0) {
    throw new RangeError('maxDocumentBytes must be a whole number >= 0');
  }
  const entries = new Map<string, T>();
  const pinnedKeys = new Set<string>();
  const pinned = new Map<string, T>();
  let bytes = 0;
  return {
    get(key) {
      const kept = pinned.get(key);
      if (kept !== undefined) return kept;
      const value = entries.get(key);
      if (value !== undefined) {
        // Delete and set: the Map's order is then least recently used first.
        entries.delete(key);
        entries.set(key, value);
      }
      return value;
    },
    set(key, value) {
      if (pinnedKeys.has(key)) {
        pinned.set(key, value);
        return;
      }
      if (key.length > maxDocumentBytes) return;
      if (entries.delete(key)) bytes -= key.length;
      entries.set(key, value);
      bytes += key.length;
      for (const oldest of entries.keys()) {
        if (bytes <= maxBytes) break;
        entries.delete(oldest);
        bytes -= oldest.length;
      }
    },
    pin(key) {
      pinnedKeys.add(key);
      const value = entries.get(key);
      if (value !== undefined) {
        entries.delete(key);
        bytes -= key.length;
        pinned.set(key, value);
      }
    },
    stats: () => ({ bytes, entries: entries.size, pinned: pinned.size }),
  };
}
