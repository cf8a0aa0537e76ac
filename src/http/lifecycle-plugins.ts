import { GraphQLError } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import { logUnexpected } from '../errors/unexpected.js';
import type { Logger } from '../observability/logger.js';
import { GatewayRefusal } from '../security/refusal.js';

/**
 * The gateway's life cycle (draining, readiness) and Yoga's logger: answers about the instance
 * itself rather than about GraphQL.
 */

/** Yoga's own log calls, reduced to what is safe: an error's name and code, never its message. */
export function yogaLogger(logger: Logger) {
  return {
    debug: () => {},
    info: () => {},
    warn: (...args: unknown[]) => {
      const error = args.find((arg): arg is Error => arg instanceof Error);
      const code = (error as { code?: unknown } | undefined)?.code;
      logger.warn('yoga', {
        errorName: error?.name,
        errorCode: typeof code === 'string' ? code : undefined,
      });
    },
    // Errors in execution are logged by the resolver, with the request id; Yoga's own line for
    // them would only repeat it without. Anything else (a crash outside execution) is logged.
    error: (...args: unknown[]) => {
      if (args.some((arg) => arg instanceof GraphQLError)) return;
      logUnexpected(logger, args.find((arg) => arg instanceof Error) ?? args[0]);
    },
  };
}

/** What a draining instance answers (a request check, and the connections' own drain). */
export const drainingRefusal = () =>
  new GatewayRefusal('The gateway is shutting down. Retry on another instance.', {
    code: 'UPSTREAM_UNAVAILABLE',
    status: 503,
    headers: { connection: 'close', 'retry-after': '1' },
  });

/**
 * GET /ready: the instance's state, its upstream and its Redis (a route, never GraphQL). Without
 * a Redis, its entry says `off`, so a probe tells "not configured" from "down".
 */
export function useReadiness(
  isDraining: () => boolean,
  upstream: () => { circuit: string; inFlight: number; queued: number },
  redis?: () => unknown,
): Plugin {
  return {
    onRequest({ url, endResponse, fetchAPI }) {
      if (url.pathname !== '/ready') return;
      const draining = isDraining();
      // An open circuit does not make the instance unready: every instance shares the same
      // Circle, so taking them all out of rotation would only turn fast errors into none. The
      // same goes for Redis: down, each instance falls back to its own memory and stays ready.
      endResponse(
        new fetchAPI.Response(
          JSON.stringify({
            status: draining ? 'draining' : 'ready',
            upstream: upstream(),
            redis: redis ? redis() : { state: 'off' },
          }),
          { status: draining ? 503 : 200, headers: { 'content-type': 'application/json' } },
        ),
      );
    },
  };
}
