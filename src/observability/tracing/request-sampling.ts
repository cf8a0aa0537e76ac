/**
 * Whether a request is recorded, decided once, before anything is built for it. A request the
 * sampler drops gets no span object, no attributes and no async context of its own (entering
 * one switches on Node's promise hooks for the whole process): the server span and the operation
 * span ask here first, and everything under them (the Circle spans, the log fields) follows the
 * active span they leave, or the absence of one.
 *
 * With the sampler known (`startTracing()` builds the provider with it), the decision is the
 * sampler's own, asked before `tracer.startSpan`; for a new trace, the id it was asked about is
 * handed to the provider's id generator, so the SDK's span has that id and the SDK's second
 * asking gets the same answer. With a provider of someone else's (`loadTracing`), the sampler is
 * not known: the span is started, and dropped at once when it does not record.
 */
import {
  type Attributes,
  type Context,
  isSpanContextValid,
  type Span,
  type SpanKind,
  TraceFlags,
  type Tracer,
  trace,
} from '@opentelemetry/api';

/** The part of the SDK's `Sampler` asked here (the SDK's types stay out of this module). */
export interface RequestSampler {
  shouldSample(
    context: Context,
    traceId: string,
    spanName: string,
    spanKind: SpanKind,
    attributes: Attributes,
    links: [],
  ): { decision: number };
}

/** The SDK's `SamplingDecision.NOT_RECORD`, a stable value of the specification. */
const NOT_RECORD = 0;

/** The SDK's `IdGenerator`. */
export interface TraceIdGenerator {
  generateTraceId(): string;
  generateSpanId(): string;
}

export interface RequestSampling {
  /** The provider's id generator: it must be this one for the sampler's answer to hold. */
  readonly idGenerator: TraceIdGenerator;
  /**
   * True when a span started now under `parent` records; for a new trace, the next trace id the
   * provider generates is the one the sampler was asked about.
   */
  records(parent: Context, name: string, kind: SpanKind): boolean;
}

const scratch = Buffer.allocUnsafe(16);

/** A random id of `bytes` bytes in hex, made as the SDK's own generator makes them. */
export const newId = (bytes: number): string => {
  let zero = true;
  for (let i = 0; i < bytes; i += 4) {
    const word = (Math.random() * 2 ** 32) >>> 0;
    if (word !== 0) zero = false;
    scratch.writeUInt32BE(word, i);
  }
  // All zeros is W3C trace context's invalid id.
  if (zero) scratch[bytes - 1] = 1;
  return scratch.toString('hex', 0, bytes);
};

export function createRequestSampling(sampler: RequestSampler): RequestSampling {
  let handedOver: string | undefined;
  return {
    idGenerator: {
      generateTraceId() {
        const id = handedOver ?? newId(16);
        handedOver = undefined;
        return id;
      },
      generateSpanId: () => newId(8),
    },
    records(parent, name, kind) {
      const parentIds = trace.getSpanContext(parent);
      const continued = parentIds !== undefined && isSpanContextValid(parentIds);
      const traceId = continued ? parentIds.traceId : newId(16);
      if (sampler.shouldSample(parent, traceId, name, kind, {}, []).decision === NOT_RECORD) {
        return false;
      }
      if (!continued) handedOver = traceId;
      return true;
    },
  };
}

/**
 * Starts the span of a request (or of an operation served without the server span) when the
 * sampler records it; undefined when not, with nothing built. A span under a recording one is
 * started directly: its trace was sampled already.
 */
export function startRecordedSpan(
  tracer: Tracer,
  sampling: RequestSampling | undefined,
  parent: Context,
  name: string,
  kind: SpanKind,
  attributes: () => Attributes,
): Span | undefined {
  const parentSpan = trace.getSpan(parent);
  if (!parentSpan?.isRecording() && sampling && !sampling.records(parent, name, kind)) {
    return undefined;
  }
  const span = tracer.startSpan(name, { kind, attributes: attributes() }, parent);
  if (span.isRecording()) return span;
  span.end();
  return undefined;
}

/**
 * The context to run an unrecorded request in when its caller sent a trace: the caller's trace,
 * marked not sampled, so that Circle still gets a `traceparent` of it and log lines its ids (W3C
 * trace context: a hop that does not record still passes the trace on, with its sampled flag
 * saying so). Undefined when the caller sent none: then there is nothing to pass on, and no
 * context to enter.
 */
export function unrecordedContext(parent: Context): Context | undefined {
  const caller = trace.getSpanContext(parent);
  if (!caller || !isSpanContextValid(caller)) return undefined;
  return trace.setSpan(
    parent,
    trace.wrapSpanContext({
      traceId: caller.traceId,
      spanId: newId(8),
      traceFlags: TraceFlags.NONE,
      ...(caller.traceState ? { traceState: caller.traceState } : {}),
    }),
  );
}
