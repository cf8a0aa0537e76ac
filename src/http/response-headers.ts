import { getCORSHeadersByRequestAndOptions } from '@whatwg-node/server';
import type { CORSOptions, Plugin } from 'graphql-yoga';
import { isGraphiQLAsset } from './graphiql-page.js';
import type { HeaderSource } from './node-io.js';

/** Results may carry user tokens: no cache anywhere may keep an API answer. */
export const NO_STORE = { 'cache-control': 'no-store' } as const;

/**
 * The one source of the gateway's response headers, for every way an answer is written (the front
 * door's refusals, the fast path, Yoga's responses):
 * - an API answer (results, refusals, 404, readiness, metrics): the security headers, no-store,
 *   the request id, and the CORS headers of an allowed origin as @whatwg-node/server computes them
 *   for Yoga's `cors` option;
 * - GraphiQL's page: the security headers with the page's own CSP;
 * - GraphiQL's assets: the security headers (their caching is their own).
 */
export function createResponseHeaders(options: {
  /** The security headers of every answer that is not the GraphiQL page. */
  securityHeaders: Readonly<Record<string, string>>;
  /** The GraphiQL page's CSP (its script hashes). */
  pageCsp(): string;
  cors: (request: Request) => CORSOptions;
}) {
  const fixed = { ...options.securityHeaders, ...NO_STORE };
  return {
    /** `cors: false` where Yoga's own CORS plugin adds them (its responses). */
    api(request: HeaderSource, requestId: string, cors = true): Record<string, string> {
      const headers: Record<string, string> = { ...fixed, 'x-request-id': requestId };
      if (cors && request.headers.get('origin') !== null) {
        const asRequest = request as unknown as Request;
        const cors = getCORSHeadersByRequestAndOptions(asRequest, options.cors(asRequest));
        if (cors) Object.assign(headers, cors);
      }
      return headers;
    },
    page: (): Record<string, string> => ({
      ...options.securityHeaders,
      'content-security-policy': options.pageCsp(),
    }),
    asset: (): Readonly<Record<string, string>> => options.securityHeaders,
  };
}

export type ResponseHeaders = ReturnType<typeof createResponseHeaders>;

/**
 * Sets those headers on every response Yoga writes (the front door and fast path write their
 * own); the CORS headers there are Yoga's `cors` option's, computed once by Yoga.
 */
export function useResponseHeaders(
  headers: ResponseHeaders,
  requestIdOf: (request: Request) => string,
): Plugin {
  return {
    onResponse({ request, response }) {
      const type = response.headers.get('content-type') ?? '';
      const set = type.startsWith('text/html')
        ? headers.page()
        : isGraphiQLAsset(response)
          ? headers.asset()
          : headers.api(request, requestIdOf(request), false);
      for (const name in set) response.headers.set(name, set[name] as string);
    },
  };
}
