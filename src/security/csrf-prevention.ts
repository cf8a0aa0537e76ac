import { useCSRFPrevention } from '@graphql-yoga/plugin-csrf-prevention';
import { GatewayRefusal } from './refusal.js';

export interface CsrfPreventionOptions {
  /**
   * Headers any one of which marks a request a browser could not have sent cross-site without a
   * preflight. Requests with a JSON (or other non-"simple") content type pass without one.
   * @default ['x-graphql-yoga-csrf', 'apollo-require-preflight']
   */
  requestHeaders?: string[];
}

/** What the check reads of a request. */
export interface CsrfRequest {
  header(name: string): string | undefined;
}

/**
 * Refuses what a page on another site can make a browser send without a CORS preflight: a form
 * post (urlencoded, multipart, text/plain) or a GET, unless it carries one of `requestHeaders`.
 * JSON POSTs (fetch, GraphiQL) pass. The decision is Yoga's own plugin's, asked with the request's
 * headers, so it can run before either transport (src/http/request-checks.ts); the answer is 403
 * BAD_USER_INPUT, reason CSRF_HEADER_REQUIRED.
 */
export function createCsrfCheck(options: CsrfPreventionOptions = {}) {
  const requestHeaders = options.requestHeaders ?? [
    'x-graphql-yoga-csrf',
    'apollo-require-preflight',
  ];
  const decide = useCSRFPrevention({ requestHeaders }).onRequestParse as (payload: {
    request: { headers: { get(name: string): string | null; has(name: string): boolean } };
  }) => void;
  return (request: CsrfRequest): GatewayRefusal | undefined => {
    try {
      decide({
        request: {
          headers: {
            get: (name) => request.header(name.toLowerCase()) ?? null,
            has: (name) => request.header(name.toLowerCase()) !== undefined,
          },
        },
      });
      return undefined;
    } catch {
      return new GatewayRefusal(
        `This request could come from a form on another site. Send it as application/json, or with a ${requestHeaders[0]} header.`,
        { code: 'BAD_USER_INPUT', reason: 'CSRF_HEADER_REQUIRED', status: 403 },
      );
    }
  };
}
