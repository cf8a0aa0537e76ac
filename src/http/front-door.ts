import type { IncomingMessage, ServerResponse } from 'node:http';
import { logUnexpected } from '../errors/unexpected.js';
import type { Logger } from '../observability/logger.js';
import { nodeHeaderSource, writeAnswer } from './node-io.js';
import {
  type CheckAnswer,
  nodeRequestView,
  type RequestCheck,
  runRequestChecks,
} from './request-checks.js';
import type { ResponseHeaders } from './response-headers.js';

/**
 * The node:http handler in front of both transports. The peer address is read first (before a
 * reset can hide it), then the request checks run, once, for whichever transport will serve it;
 * then the fast path takes what it serves and Yoga the rest. The fast path has no other way in.
 */
export function createFrontDoor(options: {
  checks: readonly RequestCheck[];
  /** Requests whose checks ran here: Yoga's own run of the checks skips them. */
  checked: WeakSet<object>;
  nodeAddress(req: IncomingMessage): string;
  /** The fast path's handler: true when it took the request. */
  fastPath?: (req: IncomingMessage, res: ServerResponse) => boolean;
  yoga: (req: IncomingMessage, res: ServerResponse) => unknown;
  responseHeaders: ResponseHeaders;
  requestIdFor(header: string | null | undefined): string;
  logger: Logger;
}) {
  const { checks, checked, fastPath, yoga, logger } = options;

  const answer = (req: IncomingMessage, res: ServerResponse, checkAnswer: CheckAnswer) => {
    const source = nodeHeaderSource(req);
    const id = options.requestIdFor(source.headers.get('x-request-id'));
    writeAnswer(
      res,
      checkAnswer.status,
      { ...checkAnswer.headers, ...options.responseHeaders.api(source, id) },
      checkAnswer.body,
    );
  };
  const dispatch = (req: IncomingMessage, res: ServerResponse) => {
    checked.add(req);
    if (!fastPath?.(req, res)) void yoga(req, res);
  };
  const onCheckError = (res: ServerResponse) => (error: unknown) => {
    logUnexpected(logger, error);
    if (!res.headersSent) res.writeHead(500).end();
  };

  return (req: IncomingMessage, res: ServerResponse): void => {
    const verdict = runRequestChecks(checks, nodeRequestView(req, options.nodeAddress(req)));
    if (verdict instanceof Promise) {
      verdict
        .then((result) => (result ? answer(req, res, result) : dispatch(req, res)))
        .catch(onCheckError(res));
      return;
    }
    if (verdict) answer(req, res, verdict);
    else dispatch(req, res);
  };
}
