/**
 * What the refresh use case (src/refresh/) needs from an HTTP request, read the same way by every
 * server that runs it: the request's id and whether its client has gone.
 */
import { validate as isUuid, v4 as uuidv4 } from 'uuid';

/**
 * How a request tells whether its client has closed the connection: the node:http response when
 * there is one (both of the gateway's transports, and a host's Yoga on node:http), else the Fetch
 * request's signal. The fast path's lazy Request is never read here: it always has a response.
 */
export function clientGoneCheck(initial: { res?: unknown; request?: Request }): () => boolean {
  const res = initial.res as { destroyed?: unknown; writableEnded?: boolean } | undefined;
  if (res && typeof res.destroyed === 'boolean') {
    return () => res.destroyed === true && res.writableEnded !== true;
  }
  return () => initial.request?.signal?.aborted === true;
}

/** One id per HTTP request: the caller's X-Request-Id when it is a UUID, else a new one. */
export const requestIdFor = (given: string | null | undefined): string =>
  given && isUuid(given) ? given : uuidv4();
