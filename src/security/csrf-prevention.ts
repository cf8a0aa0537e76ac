import { useCSRFPrevention } from '@graphql-yoga/plugin-csrf-prevention';
import type { Plugin } from 'graphql-yoga';
import { GatewayRefusal } from './refusal.js';

export interface CsrfPreventionOptions {
  /**
   * Headers any one of which marks a request a browser could not have sent cross-site without a
   * preflight. Requests with a JSON (or other non-"simple") content type pass without one.
   * @default ['x-graphql-yoga-csrf', 'apollo-require-preflight']
   */
  requestHeaders?: string[];
}

/**
 * Refuses what a page on another site can make a browser send without a CORS preflight: a form
 * post (urlencoded, multipart, text/plain) or a GET, unless it carries one of `requestHeaders`.
 * JSON POSTs (fetch, GraphiQL) pass. Answers 403 BAD_USER_INPUT, reason CSRF_HEADER_REQUIRED.
 */
export function useCsrfPrevention(options: CsrfPreventionOptions = {}): Plugin {
  const requestHeaders = options.requestHeaders ?? [
    'x-graphql-yoga-csrf',
    'apollo-require-preflight',
  ];
  const yogas = useCSRFPrevention({ requestHeaders });
  return {
    onRequestParse(payload) {
      try {
        return yogas.onRequestParse?.(payload);
      } catch {
        throw new GatewayRefusal(
          `This request could come from a form on another site. Send it as application/json, or with a ${requestHeaders[0]} header.`,
          { code: 'BAD_USER_INPUT', reason: 'CSRF_HEADER_REQUIRED', status: 403 },
        );
      }
    },
  };
}
