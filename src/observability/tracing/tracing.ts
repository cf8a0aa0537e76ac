/**
 * OpenTelemetry tracing of the gateway, from a tracer provider: the node:http server span, the
 * GraphQL operation span, the Circle call and attempt spans (with `traceparent` to Circle), and
 * the trace ids for log lines. `startTracing()` (src/observability/tracing/from-env.ts) makes one from the
 * standard OTEL_* environment; tests give a provider with an in-memory exporter.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { isSpanContextValid, type Tracer, type TracerProvider, trace } from '@opentelemetry/api';
import type { Plugin } from 'graphql-yoga';
import { VERSION } from '../../config/version.js';
import { traceCircleCalls } from './circle-spans.js';
import type { ContractCodes } from './contract-codes.js';
import { traceHttpRequests } from './http-server-span.js';
import { useOperationSpan } from './operation-span-plugin.js';
import type { RequestSampling } from './request-sampling.js';

export const TRACER_NAME = 'circle-wallets-graphql-gateway';

export interface TracingOptions {
  /**
   * Where spans go. Context and `traceparent` use the global context manager and propagator, so
   * register the provider (`provider.register()`) or set both yourself.
   * @default the global provider (`trace.getTracerProvider()`)
   */
  tracerProvider?: TracerProvider;
  /** Called by `shutdown()` after the subscriptions end (e.g. flush and stop the provider). */
  onShutdown?: () => Promise<void>;
}

export interface Tracing {
  readonly tracer: Tracer;
  /** Wraps the gateway's node:http handler in a server span per request. */
  traceRequests(
    handler: (req: IncomingMessage, res: ServerResponse) => void,
    options: { routes: readonly string[] },
  ): (req: IncomingMessage, res: ServerResponse) => void;
  /** The Yoga/envelop plugin of the GraphQL operation span. */
  readonly plugin: Plugin;
  /** `trace_id` and `span_id` of the active span, for log lines; undefined outside a trace. */
  logFields(): { trace_id: string; span_id: string } | undefined;
  /** Stops recording Circle calls, then runs `onShutdown` (exports what is pending). */
  shutdown(): Promise<void>;
}

/**
 * Subscribes to the Circle client's events at once (process-wide: every client in the process is
 * traced through this provider); `shutdown()` undoes it. Errors are recorded by the contract's
 * codes, which the composition root gives (src/tracing.ts). `sampling` is the provider's sampler
 * asked before any span is built (the provider must use its id generator: `startTracing()` builds
 * it so); without it, a request's span is started to learn whether it records.
 */
export function createTracing(
  options: TracingOptions,
  contract: ContractCodes,
  sampling?: RequestSampling,
): Tracing {
  const provider = options.tracerProvider ?? trace.getTracerProvider();
  const tracer = provider.getTracer(TRACER_NAME, VERSION);
  const unsubscribe = traceCircleCalls(tracer, contract);
  // Shared by the server span and the operation span, keyed by the node:http request: no async
  // context is needed to know that a request is not recorded.
  const unrecorded = new WeakSet<object>();
  let stopped: Promise<void> | undefined;
  return {
    tracer,
    traceRequests: (handler, { routes }) =>
      traceHttpRequests(handler, { tracer, sampling, routes, unrecorded }),
    plugin: useOperationSpan({ tracer, contract, sampling, unrecorded }),
    logFields() {
      const span = trace.getActiveSpan();
      if (!span) return undefined;
      const ids = span.spanContext();
      return isSpanContextValid(ids) ? { trace_id: ids.traceId, span_id: ids.spanId } : undefined;
    },
    shutdown() {
      stopped ??= (async () => {
        unsubscribe();
        await options.onShutdown?.();
      })();
      return stopped;
    },
  };
}
