import { createHash } from 'node:crypto';
import type { GraphiQLOptions } from 'graphql-yoga';

export interface SecurityHeadersOptions {
  /**
   * `Strict-Transport-Security: max-age=<this>` on every response. Set it only when clients reach
   * the gateway over HTTPS (a TLS-terminating proxy in front); 0 sends no header.
   * @default 0
   */
  hstsMaxAgeSeconds?: number;
}

// The JSON API renders nothing: no source of anything, never in a frame.
const API_CSP = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

/**
 * GraphiQL is one self-hosted page: its script and styles from this origin (src/http/graphiql-page.ts),
 * one inline script (allowed by its hash, so no other inline script runs), inline styles (its
 * editor injects <style> at run time), fonts and icons as data: URLs, editor workers from blob:
 * URLs, and fetches to this origin only.
 */
const graphiqlCsp = (scriptHashes: Iterable<string>) =>
  [
    "default-src 'none'",
    `script-src 'self' ${[...scriptHashes].map((hash) => `'sha256-${hash}'`).join(' ')}`,
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data:",
    "font-src 'self' data:",
    "connect-src 'self'",
    'worker-src blob:',
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ');

const INLINE_SCRIPT = /<script>([\s\S]*?)<\/script>/g;

/**
 * Wraps a GraphiQL renderer so the page's inline script hashes are known for its CSP. The page
 * is the same for the same options: each distinct page is hashed once.
 */
export function createGraphiQLCsp() {
  const byOptions = new Map<string, string[]>();
  const hashes = new Set<string>();
  return {
    wrap(render: (options: GraphiQLOptions) => string | Promise<string>) {
      return async (options: GraphiQLOptions): Promise<string> => {
        const html = await render(options);
        const key = JSON.stringify(options ?? {});
        if (!byOptions.has(key)) {
          const found = [...html.matchAll(INLINE_SCRIPT)].map((match) =>
            createHash('sha256')
              .update(match[1] ?? '')
              .digest('base64'),
          );
          if (byOptions.size >= 16) byOptions.clear();
          byOptions.set(key, found);
          for (const hash of found) hashes.add(hash);
        }
        return html;
      };
    },
    /** The CSP of the GraphiQL page (every script hash seen so far). */
    header: () => graphiqlCsp(hashes),
  };
}

export type GraphiQLCsp = ReturnType<typeof createGraphiQLCsp>;

/** The security headers of every response that is not the GraphiQL page. */
export function apiSecurityHeaders(options: SecurityHeadersOptions = {}): Record<string, string> {
  const hsts = options.hstsMaxAgeSeconds ?? 0;
  if (!Number.isSafeInteger(hsts) || hsts < 0) {
    throw new RangeError('hstsMaxAgeSeconds must be a whole number >= 0');
  }
  return {
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
    'x-frame-options': 'DENY',
    'content-security-policy': API_CSP,
    ...(hsts > 0 ? { 'strict-transport-security': `max-age=${hsts}` } : {}),
  };
}
