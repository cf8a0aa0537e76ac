import { GraphQLError } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import type { Logger } from '../observability/logger.js';
import { GatewayRefusal, refusalResponse } from '../security/refusal.js';

/**
 * The gateway's own Yoga plugins for its life cycle (draining, readiness) and Yoga's logger: HTTP
 * answers the fast path never gives (it hands every request to Yoga while draining).
 */
/** Yoga's own log calls, reduced to what is safe: an error's name and code, never its message. */
export function yogaLogger(logger: Logger) {
  const describe = (args: unknown[]) => {
    const error = args.find((arg): arg is Error => arg instanceof Error);
    if (error) {
      const code = (error as { code?: unknown }).code;
      return { errorName: error.name, errorCode: typeof code === 'string' ? code : undefined };
    }
    return {};
  };
  return {
    debug: () => {},
    info: () => {},
    warn: (...args: unknown[]) => logger.warn('yoga', describe(args)),
    // Errors in execution are logged by the resolver, with the request id; Yoga's own line for
    // them would only repeat it without. Anything else (a crash outside execution) is logged.
    error: (...args: unknown[]) => {
      if (!args.some((arg) => arg instanceof GraphQLError)) {
        logger.error('unexpected error', describe(args));
      }
    },
  };
}

export function useDrain(isDraining: () => boolean): Plugin {
  return {
    onRequest({ url, endResponse, fetchAPI }) {
      if (!isDraining() || url.pathname === '/health' || url.pathname === '/ready') return;
      const refusal = new GatewayRefusal(
        'The gateway is shutting down. Retry on another instance.',
        {
          code: 'UPSTREAM_UNAVAILABLE',
          status: 503,
          headers: { connection: 'close', 'retry-after': '1' },
        },
      );
      endResponse(refusalResponse(refusal, fetchAPI.Response));
    },
  };
}

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
            ...(redis ? { redis: redis() } : {}),
          }),
          {
            status: draining ? 503 : 200,
            headers: { 'content-type': 'application/json', 'cache-control': 'no-store' },
          },
        ),
      );
    },
  };
}
