/**
 * The server span of each node:http request, around the gateway's front door
 * (`handleNodeRequest`), so the fast path and Yoga are inside it alike. Written here rather than
 * taken from `@opentelemetry/instrumentation-http`: that one patches `node:http`, which under ESM
 * needs a loader hook before the first import, and it records the full URL (a GET /graphql holds
 * the query and its variables in the query string) and lets headers through by configuration.
 *
 * Recorded: the method, the route when it is one the gateway serves, the response status, the
 * protocol version and the User-Agent. Never the query string, another header, the body or the
 * peer address.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  type Attributes,
  context,
  propagation,
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  type Tracer,
  trace,
} from '@opentelemetry/api';
import { type RequestSampling, startRecordedSpan, unrecordedContext } from './request-sampling.js';

type NodeHandler = (req: IncomingMessage, res: ServerResponse) => void;

const METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'OPTIONS', 'PATCH']);

/** Probes answered every few seconds: a span each would say nothing and crowd out the rest. */
const UNTRACED = new Set(['/health', '/ready']);

export interface HttpServerSpanOptions {
  tracer: Tracer;
  /** The sampler's decision before any span; undefined: learnt by starting the span. */
  sampling?: RequestSampling | undefined;
  /** Paths recorded as `http.route` and `url.path`; any other path is recorded as neither. */
  routes: readonly string[];
  /**
   * Requests decided not recorded and run outside any trace: the operation span skips them
   * (without an active span it would otherwise start a trace of its own).
   */
  unrecorded: WeakSet<object>;
}

export function traceHttpRequests(
  handler: NodeHandler,
  options: HttpServerSpanOptions,
): NodeHandler {
  const { tracer, sampling, unrecorded } = options;
  const routes = new Set(options.routes);
  return (req, res) => {
    const url = req.url ?? '/';
    const query = url.indexOf('?');
    const path = query === -1 ? url : url.slice(0, query);
    if (UNTRACED.has(path)) {
      handler(req, res);
      return;
    }
    // The caller's traceparent/tracestate, when it sent a valid one, is the parent.
    const parent =
      req.headers.traceparent === undefined
        ? ROOT_CONTEXT
        : propagation.extract(ROOT_CONTEXT, req.headers);
    const method = METHODS.has(req.method ?? '') ? (req.method as string) : '_OTHER';
    const route = routes.has(path) ? path : undefined;
    const span = startRecordedSpan(
      tracer,
      sampling,
      parent,
      route ? `${method} ${route}` : method,
      SpanKind.SERVER,
      () => {
        const attributes: Attributes = {
          'http.request.method': method,
          'url.scheme': 'http',
          'network.protocol.version': req.httpVersion,
        };
        if (route) {
          attributes['http.route'] = route;
          attributes['url.path'] = route;
        }
        const userAgent = req.headers['user-agent'];
        if (userAgent) attributes['user_agent.original'] = userAgent;
        return attributes;
      },
    );
    if (!span) {
      const passOn = unrecordedContext(parent);
      if (passOn) {
        context.with(passOn, handler, undefined, req, res);
      } else {
        unrecorded.add(req);
        handler(req, res);
      }
      return;
    }
    let ended = false;
    const end = () => {
      if (ended) return;
      ended = true;
      if (res.headersSent) {
        span.setAttribute('http.response.status_code', res.statusCode);
        if (res.statusCode >= 500) {
          span.setAttribute('error.type', String(res.statusCode));
          span.setStatus({ code: SpanStatusCode.ERROR, message: String(res.statusCode) });
        }
      }
      if (!res.writableFinished) span.setAttribute('gateway.response.aborted', true);
      span.end();
    };
    res.once('finish', end);
    res.once('close', end);
    context.with(trace.setSpan(parent, span), handler, undefined, req, res);
  };
}
