import type { CORSOptions } from 'graphql-yoga';

/** Parses CORS_ORIGINS: `none`, or comma-separated origins such as https://app.example.com. */
export function parseOriginList(raw: string): string[] | { problem: string } {
  const entries = raw
    .split(',')
    .map((entry) => entry.trim())
    .filter(Boolean);
  if (entries.length === 1 && entries[0]?.toLowerCase() === 'none') return [];
  const origins: string[] = [];
  for (const entry of entries) {
    let origin: string | undefined;
    try {
      const url = new URL(entry);
      if (
        (url.protocol === 'https:' || url.protocol === 'http:') &&
        url.origin === entry.replace(/\/$/, '')
      ) {
        origin = url.origin;
      }
    } catch {
      origin = undefined;
    }
    if (!origin) {
      return {
        problem: `must be "none" or comma-separated origins such as https://app.example.com, without "*" or a path (got entry "${entry}")`,
      };
    }
    origins.push(origin);
  }
  return origins;
}

export interface CorsOptions {
  /**
   * Origins (scheme://host[:port]) whose pages may call the gateway from a browser. Others get no
   * CORS headers, so the browser keeps the answer from them. Same-origin pages (GraphiQL) need no
   * entry; `*` is not accepted: name each origin.
   * @default [] (same origin only)
   */
  origins?: readonly string[];
}

const ALLOWED_METHODS = ['GET', 'POST', 'OPTIONS'];
const ALLOWED_HEADERS = [
  'content-type',
  'accept',
  'x-request-id',
  'x-graphql-yoga-csrf',
  'apollo-require-preflight',
  'authorization',
];
const EXPOSED_HEADERS = ['x-request-id', 'retry-after'];
const MAX_AGE_SECONDS = 600;

/**
 * Yoga's `cors` option: CORS headers only for allowed origins, without credentials (the gateway
 * uses no cookies), exposing the headers a client needs (request id, Retry-After).
 */
export function createCorsOptions(options: CorsOptions = {}) {
  const allowed = new Set(options.origins ?? []);
  return (request: Request): CORSOptions => {
    const origin = request.headers.get('origin');
    if (!origin || !allowed.has(origin)) return false;
    return {
      origin: [origin],
      methods: ALLOWED_METHODS,
      allowedHeaders: ALLOWED_HEADERS,
      exposedHeaders: EXPOSED_HEADERS,
      credentials: false,
      maxAge: MAX_AGE_SECONDS,
    };
  };
}
