/**
 * Spans of the Circle calls, from the events the client and the user-token service publish
 * (src/circle/diagnostics.ts): one span per call, one child per attempt, and the attempt's
 * trace context in its `traceparent`, so Circle's side of the trace hangs under the attempt.
 *
 * Recorded: the call, the attempt number, the URL (origin and path), the HTTP status, Circle's
 * numeric code and request id, the retry's reason and delay, the circuit state, and errors by the
 * contract's code. The messages carry nothing else, so nothing else can be recorded.
 */
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import {
  type Attributes,
  context,
  propagation,
  type Span,
  SpanKind,
  SpanStatusCode,
  type Tracer,
  trace,
} from '@opentelemetry/api';
import {
  CIRCLE_CHANNELS,
  type CircleAttemptMessage,
  type CircleCallMessage,
  type RefreshMessage,
} from '../../circle/diagnostics.js';
import type { CircleClientError } from '../../circle/errors.js';
import type { ContractCodes } from './contract-codes.js';
import { newId } from './request-sampling.js';

function recordError(span: Span, error: CircleClientError, contract: ContractCodes): void {
  // The code a client would see for this failure: the one mapping, given by the caller.
  const code = contract.codeOf(error);
  span.setAttribute('error.type', code);
  span.setAttribute('circle.client_error', error.code);
  span.setStatus({ code: SpanStatusCode.ERROR, message: code });
}

/** Subscribes; returns the unsubscribe. */
export function traceCircleCalls(tracer: Tracer, contract: ContractCodes): () => void {
  const calls = new WeakMap<CircleCallMessage, Span>();
  // A client has one origin and two paths: parsed once, not per attempt.
  const servers = new Map<string, { address: string; port: number }>();
  const serverOf = (href: string) => {
    let server = servers.get(href);
    if (!server) {
      const url = new URL(href);
      server = {
        address: url.hostname,
        port: Number(url.port || (url.protocol === 'https:' ? 443 : 80)),
      };
      if (servers.size < 64) servers.set(href, server);
    }
    return server;
  };
  const attempts = new WeakMap<CircleAttemptMessage, Span>();

  const onCallStart = (message: unknown) => {
    // Published in the caller's async context: the GraphQL operation's span is the parent. A call
    // outside a recorded span is not recorded either (an unsampled request has no span to parent
    // it, and a root span here would start a trace of its own).
    const parent = context.active();
    if (!trace.getSpan(parent)?.isRecording()) return;
    const m = message as CircleCallMessage;
    calls.set(
      m,
      tracer.startSpan(
        `circle ${m.call}`,
        {
          kind: SpanKind.INTERNAL,
          attributes: {
            'circle.call': m.call,
            'circle.request_id': m.requestId,
            'circle.circuit.state': m.circuitAtStart,
          },
        },
        parent,
      ),
    );
  };

  const onCallEnd = (message: unknown) => {
    const m = message as CircleCallMessage;
    const span = calls.get(m);
    if (!span) return;
    calls.delete(m);
    span.setAttribute('circle.attempts', m.attempts ?? 0);
    if (m.circuitAtEnd !== undefined && m.circuitAtEnd !== m.circuitAtStart) {
      span.addEvent('circuit state changed', {
        'circle.circuit.state': m.circuitAtEnd,
      });
    }
    if (m.error) recordError(span, m.error, contract);
    span.end();
  };

  const onAttemptStart = (message: unknown) => {
    const m = message as CircleAttemptMessage;
    const callSpan = calls.get(m.callMessage);
    if (!callSpan) {
      // Not recorded: the caller's trace, when the request came with one, still goes on to
      // Circle, its sampled flag off (the context the server span left: request-sampling.ts);
      // without one, a trace of its own, unsampled, so every call to Circle carries a
      // traceparent whatever the sampler decided (two ids, no span, no context).
      const active = context.active();
      if (trace.getSpan(active)) propagation.inject(active, m.headers);
      else m.headers.traceparent = `00-${newId(16)}-${newId(8)}-00`;
      return;
    }
    const parent = trace.setSpan(context.active(), callSpan);
    const server = serverOf(m.url);
    const span = tracer.startSpan(
      'POST',
      {
        kind: SpanKind.CLIENT,
        attributes: {
          'http.request.method': 'POST',
          'url.full': m.url,
          'server.address': server.address,
          'server.port': server.port,
          'circle.call': m.callMessage.call,
          'circle.attempt': m.attempt,
          ...(m.attempt > 1 ? { 'http.request.resend_count': m.attempt - 1 } : {}),
        },
      },
      parent,
    );
    attempts.set(m, span);
    // Circle sees this attempt as the parent of whatever it records.
    propagation.inject(trace.setSpan(parent, span), m.headers);
  };

  const onAttemptEnd = (message: unknown) => {
    const m = message as CircleAttemptMessage;
    const span = attempts.get(m);
    if (!span) return;
    attempts.delete(m);
    const attributes: Attributes = {};
    if (m.status !== undefined) attributes['http.response.status_code'] = m.status;
    if (m.circleCode !== undefined) attributes['circle.error_code'] = m.circleCode;
    if (m.upstreamRequestId !== undefined) {
      attributes['circle.response.request_id'] = m.upstreamRequestId;
    }
    if (m.retryDelayMs !== undefined && m.error) {
      attributes['circle.retry.reason'] = m.error.code;
      attributes['circle.retry.delay_ms'] = Math.round(m.retryDelayMs);
    }
    span.setAttributes(attributes);
    if (m.error) recordError(span, m.error, contract);
    span.end();
  };

  const onRefresh = (message: unknown) => {
    const m = message as RefreshMessage;
    // The caller's span: the GraphQL operation (or the HTTP request when no operation span runs).
    const span = trace.getActiveSpan();
    if (!span?.isRecording()) return;
    span.setAttributes({
      'gateway.refresh.path': m.path,
      'gateway.refresh.coalesced': m.coalesced,
      ...(m.cacheHit !== undefined ? { 'gateway.user_token_cache.hit': m.cacheHit } : {}),
    });
  };

  const subscriptions: Array<[string, (message: unknown) => void]> = [
    [CIRCLE_CHANNELS.callStart.name as string, onCallStart],
    [CIRCLE_CHANNELS.callEnd.name as string, onCallEnd],
    [CIRCLE_CHANNELS.attemptStart.name as string, onAttemptStart],
    [CIRCLE_CHANNELS.attemptEnd.name as string, onAttemptEnd],
    [CIRCLE_CHANNELS.refresh.name as string, onRefresh],
  ];
  for (const [name, listener] of subscriptions) subscribe(name, listener);
  return () => {
    for (const [name, listener] of subscriptions) unsubscribe(name, listener);
  };
}
