/**
 * What the node:http server does with connections, below every way a request is served (the fast
 * path and Yoga alike): timeouts for slow clients, a cap on open sockets, and a drain that closes
 * keep-alive connections cleanly. Nothing here knows GraphQL.
 */
import type { IncomingMessage, Server, ServerOptions, ServerResponse } from 'node:http';
import { refusalParts } from '../security/refusal.js';
import { drainingRefusal } from './lifecycle-plugins.js';
import { NO_STORE } from './response-headers.js';

export interface ConnectionLimits {
  /** Longest a client may take to send the request headers. */
  headersTimeoutMs: number;
  /** Longest a client may take to send the whole request, body included. */
  requestTimeoutMs: number;
  /** Open sockets at most; more are closed as they arrive. 0: no cap. */
  maxConnections: number;
  /** Longest an idle keep-alive socket is kept. */
  keepAliveTimeoutMs: number;
}

/**
 * The options for `createServer`. Node checks the header and request timeouts only every
 * `connectionsCheckingInterval` (30 s by default, which let a stalled body live 323 s against a
 * 300 s timeout); checking every second keeps each within a second of its setting.
 */
export function serverOptions(limits: ConnectionLimits): ServerOptions {
  return {
    headersTimeout: limits.headersTimeoutMs,
    requestTimeout: limits.requestTimeoutMs,
    keepAliveTimeout: limits.keepAliveTimeoutMs,
    connectionsCheckingInterval: Math.min(1_000, limits.headersTimeoutMs),
  };
}

/**
 * Tracks the requests in flight on a server and drains them: from `drain()` on, every response
 * says `Connection: close` (Node then closes the socket after it), so no client sends another
 * request into a socket the server is about to drop. A request whose body is still arriving has
 * run nothing yet: it is answered 503 at once instead of holding the drain until its timeout.
 */
export function createConnectionControls(server: Server, limits: ConnectionLimits) {
  server.maxConnections = limits.maxConnections > 0 ? limits.maxConnections : Infinity;
  const inFlight = new Map<ServerResponse, IncomingMessage>();
  let draining = false;

  const answerStalled = (req: IncomingMessage, res: ServerResponse) => {
    if (req.complete || res.headersSent) return;
    const { status, headers, body } = refusalParts(drainingRefusal());
    res.writeHead(status, {
      ...headers,
      ...NO_STORE,
      'content-length': String(Buffer.byteLength(body)),
    });
    // The rest of the upload is never read: the socket goes once the answer is out.
    res.end(body, () => req.socket.destroy());
  };

  return {
    /** Call first in the request listener. */
    track(req: IncomingMessage, res: ServerResponse): void {
      inFlight.set(res, req);
      res.once('close', () => inFlight.delete(res));
      if (draining) res.shouldKeepAlive = false;
    },
    get inFlight(): number {
      return inFlight.size;
    },
    drain(): void {
      draining = true;
      for (const [res, req] of inFlight) {
        // Read when the headers are written: the answer, when it comes, says Connection: close.
        if (!res.headersSent) res.shouldKeepAlive = false;
        answerStalled(req, res);
      }
    },
  };
}
