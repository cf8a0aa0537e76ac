import type { Plugin } from 'graphql-yoga';
import { GatewayRefusal, refusalResponse } from './security/refusal.js';

// What Yoga can answer a GraphQL request with (single results and streams).
const SERVABLE = new Set([
  'application/graphql-response+json',
  'application/json',
  'multipart/mixed',
  'text/event-stream',
  'application/*',
  '*/*',
]);

/** Whether an Accept header names at least one type the gateway can answer with. */
export function acceptsGraphQLResponse(accept: string | null): boolean {
  if (!accept) return true;
  for (const part of accept.split(',')) {
    const [type, ...params] = part.split(';');
    const mediaType = type?.trim().toLowerCase() ?? '';
    if (!SERVABLE.has(mediaType)) continue;
    const excluded = params.some((param) => /^\s*q\s*=\s*0(\.0*)?\s*$/i.test(param));
    if (!excluded) return true;
  }
  return false;
}

/**
 * Refuses a POST whose Accept the gateway cannot answer before it runs: Yoga would otherwise
 * execute the mutation (and Circle rotate the refresh token) and then answer an empty 406, so the
 * caller would lose the new tokens.
 */
export function useAcceptCheck(graphqlEndpoint: string): Plugin {
  return {
    onRequest({ request, url, endResponse, fetchAPI }) {
      if (request.method !== 'POST' || url.pathname !== graphqlEndpoint) return;
      if (acceptsGraphQLResponse(request.headers.get('accept'))) return;
      const refusal = new GatewayRefusal(
        'Not Acceptable: send Accept: application/graphql-response+json or application/json.',
        { code: 'BAD_USER_INPUT', reason: 'NOT_ACCEPTABLE', status: 406 },
      );
      endResponse(refusalResponse(refusal, fetchAPI.Response));
    },
  };
}
