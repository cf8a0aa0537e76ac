import { getCORSHeadersByRequestAndOptions } from '@whatwg-node/server';
import type { CORSOptions, Plugin } from 'graphql-yoga';
import { isGraphiQLAsset } from './graphiql-page.js';
import type { HeaderSource } from './node-io.js';
import { mirrored } from './plugin-guard.js';

/**
 * The headers of every API (non-HTML) response, from one function for both transports: the
 * security headers, `Cache-Control: no-store` (results may carry user tokens: no cache anywhere
 * may keep them), the request id, and the CORS headers of an allowed origin as
 * @whatwg-node/server computes them for Yoga's `cors` option.
 */
export function createResponseHeaders(options: {
  apiHeaders: Readonly<Record<string, string>>;
  cors: (request: Request) => CORSOptions;
}) {
  const fixed = { ...options.apiHeaders, 'cache-control': 'no-store' };
  return (request: HeaderSource, requestId: string): Record<string, string> => {
    const headers: Record<string, string> = { ...fixed, 'x-request-id': requestId };
    if (request.headers.get('origin') !== null) {
      const asRequest = request as unknown as Request;
      const cors = getCORSHeadersByRequestAndOptions(asRequest, options.cors(asRequest));
      if (cors) Object.assign(headers, cors);
    }
    return headers;
  };
}

/** Sets those headers on Yoga's API responses (the fast path writes them itself). */
export function useResponseHeaders(
  headersFor: ReturnType<typeof createResponseHeaders>,
  requestIdOf: (request: Request) => string,
): Plugin {
  return mirrored<Plugin>({
    onResponse({ request, response }) {
      const type = response.headers.get('content-type') ?? '';
      // Pages and GraphiQL's assets carry headers of their own (CSP, immutable caching).
      if (type.startsWith('text/html') || isGraphiQLAsset(response)) return;
      for (const [name, value] of Object.entries(headersFor(request, requestIdOf(request)))) {
        response.headers.set(name, value);
      }
    },
  });
}
