import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from '../observability/logger.js';
import type { MaybeRefusal } from '../security/rate-limit.js';
import { type GatewayRefusal, refusalParts } from '../security/refusal.js';
import type { GraphQLRoute } from './graphql-path.js';
import { type HeaderSource, nodeHeaderSource, writeAnswer } from './node-io.js';

/**
 * The node:http handler in front of both transports: the peer address is read first (before a
 * reset can hide it), the address limit is charged once for whichever path serves the request,
 * then the fast path takes what it serves and Yoga the rest.
 */
export function createFrontDoor(options: {
  route: GraphQLRoute;
  nodeAddress(req: IncomingMessage): string;
  admit(key: object, address: string | undefined, forwarded: boolean): MaybeRefusal;
  /** The fast path's handler: true when it took the request. */
  fastPath?: (req: IncomingMessage, res: ServerResponse) => boolean;
  yoga: (req: IncomingMessage, res: ServerResponse) => unknown;
  responseHeaders(request: HeaderSource, requestId: string): Record<string, string>;
  requestIdFor(header: string | null | undefined): string;
  logger: Logger;
}) {
  const { route, fastPath, yoga, logger } = options;

  /** The one refusal writer for node:http: the same parts and headers Yoga's path sends. */
  const writeRefusal = (req: IncomingMessage, res: ServerResponse, refusal: GatewayRefusal) => {
    const parts = refusalParts(refusal);
    const source = nodeHeaderSource(req);
    const id = options.requestIdFor(source.headers.get('x-request-id'));
    writeAnswer(
      res,
      parts.status,
      { ...parts.headers, ...options.responseHeaders(source, id) },
      parts.body,
    );
  };
  const dispatch = (req: IncomingMessage, res: ServerResponse) => {
    if (!fastPath?.(req, res)) void yoga(req, res);
  };
  const onGateError = (res: ServerResponse) => (error: unknown) => {
    logger.error('unexpected error', {
      errorName: error instanceof Error ? error.name : 'unknown',
    });
    if (!res.headersSent) res.writeHead(500).end();
  };

  return (req: IncomingMessage, res: ServerResponse): void => {
    const address = options.nodeAddress(req);
    if (!route.isGraphQLTarget(req.url)) {
      dispatch(req, res);
      return;
    }
    const verdict = options.admit(req, address, req.headers['x-forwarded-for'] !== undefined);
    if (verdict instanceof Promise) {
      verdict
        .then((refusal) => (refusal ? writeRefusal(req, res, refusal) : dispatch(req, res)))
        .catch(onGateError(res));
      return;
    }
    if (verdict) writeRefusal(req, res, verdict);
    else dispatch(req, res);
  };
}
