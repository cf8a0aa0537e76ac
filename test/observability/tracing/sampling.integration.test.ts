import { context, ROOT_CONTEXT, type Span, SpanKind } from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import {
  AlwaysOffSampler,
  BasicTracerProvider,
  InMemorySpanExporter,
  ParentBasedSampler,
  SimpleSpanProcessor,
  TraceIdRatioBasedSampler,
} from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { createRequestSampling } from '../../../src/observability/tracing/request-sampling.js';
import { createTracing } from '../../../src/observability/tracing/tracing.js';
import { TRACING_CONTRACT } from '../../../src/tracing.js';
import { REFRESH_MUTATION as REFRESH } from '../../support/refresh.js';
import { callerTraceparent, startTracedGateway, traceOf } from './support.js';

/**
 * A request the sampler drops costs nothing: no span is started for it, no async context is
 * entered, nothing is exported, and Circle gets an unsampled traceparent (the caller's trace when
 * it sent one, else a trace of its own). The sampler here is `parentbased_always_off`: a new trace is dropped, a caller's
 * sampled flag is followed. The provider is built as `startTracing()` builds it: the sampler
 * asked before any span, through the same id generator.
 */
const sampler = new ParentBasedSampler({ root: new AlwaysOffSampler() });
const sampling = createRequestSampling(sampler);
const exporter = new InMemorySpanExporter();
const provider = new NodeTracerProvider({
  sampler,
  idGenerator: sampling.idGenerator,
  spanProcessors: [new SimpleSpanProcessor(exporter)],
});
provider.register({ propagator: new W3CTraceContextPropagator() });
const tracing = createTracing({ tracerProvider: provider }, TRACING_CONTRACT, sampling);
afterAll(() => tracing.shutdown());

const startSpan = vi.spyOn(tracing.tracer, 'startSpan');
const startActiveSpan = vi.spyOn(tracing.tracer, 'startActiveSpan');
const enter = vi.spyOn(context, 'with');
afterEach(() => {
  exporter.reset();
  vi.clearAllMocks();
});

type Rig = Awaited<ReturnType<typeof startTracedGateway>>;

/** Spans end when the response is sent; the client may read it a moment before. */
const settled = () => new Promise((resolve) => setTimeout(resolve, 20));

describe.each([false, true])('sampled once per request (fastPath: %s)', (fastPath) => {
  let rig: Rig;
  beforeAll(async () => {
    rig = await startTracedGateway(tracing, { fastPath });
    // Yoga serves a document first; the fast path serves it from then on.
    await refresh();
  });
  afterAll(() => rig.close());

  async function refresh(headers: Record<string, string> = {}) {
    const session = rig.session();
    const from = rig.logs.length;
    const upstreamFrom = rig.simulator.requests.length;
    const { body } = await rig.post(
      {
        query: REFRESH,
        variables: {
          input: {
            user: { userToken: session.userToken },
            deviceId: session.deviceId,
            refreshToken: session.refreshToken,
          },
        },
      },
      headers,
    );
    expect(body.errors).toBeUndefined();
    await settled();
    const logLine = rig.logs
      .slice(from)
      .map((text) => JSON.parse(text) as Record<string, unknown>)
      .find((entry) => entry.msg === 'refreshUserToken')!;
    const sent = rig.simulator.requests.slice(upstreamFrom);
    expect(sent).toHaveLength(1);
    return { logLine, traceparent: sent[0]!.headers.traceparent };
  }

  it('a new trace the sampler drops: no span started, no context entered, Circle told it is unsampled', async () => {
    const { logLine, traceparent } = await refresh();
    expect(exporter.getFinishedSpans()).toEqual([]);
    expect(startSpan).not.toHaveBeenCalled();
    expect(startActiveSpan).not.toHaveBeenCalled();
    expect(enter).not.toHaveBeenCalled();
    // Every call to Circle carries a traceparent: here a trace of its own, sampled flag off.
    expect(traceparent).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-00$/);
    expect(logLine).not.toHaveProperty('trace_id');
    expect(logLine).not.toHaveProperty('span_id');
  });

  it("a caller's unsampled trace: nothing recorded, the trace passed on to Circle as unsampled", async () => {
    const caller = callerTraceparent();
    const { logLine, traceparent } = await refresh({
      traceparent: caller.header.replace(/-01$/, '-00'),
    });
    expect(exporter.getFinishedSpans()).toEqual([]);
    expect(startSpan).not.toHaveBeenCalled();
    expect(startActiveSpan).not.toHaveBeenCalled();
    expect(traceparent).toMatch(new RegExp(`^00-${caller.traceId}-[0-9a-f]{16}-00$`));
    const [, , spanId] = traceparent!.split('-');
    expect(logLine).toMatchObject({ trace_id: caller.traceId, span_id: spanId });
  });

  it("a caller's sampled trace: fully traced, and Circle gets the attempt as its parent", async () => {
    const caller = callerTraceparent();
    const { logLine, traceparent } = await refresh({ traceparent: caller.header });
    const t = traceOf(exporter.getFinishedSpans(), caller.traceId);
    const http = t.one('POST /graphql');
    expect(http.parentSpanContext?.spanId).toBe(caller.spanId);
    const operation = t.one('mutation RefreshUserToken');
    expect(operation.parentSpanContext?.spanId).toBe(http.spanContext().spanId);
    const call = t.one('circle refresh');
    expect(call.parentSpanContext?.spanId).toBe(operation.spanContext().spanId);
    const attempt = t.childrenOf(call)[0]!;
    expect(traceparent).toBe(`00-${caller.traceId}-${attempt.spanContext().spanId}-01`);
    expect(logLine).toMatchObject({
      trace_id: caller.traceId,
      span_id: operation.spanContext().spanId,
    });
    // Every span started was recorded: none was started only to be dropped.
    const started = startSpan.mock.results.map((result) => (result.value as Span).spanContext());
    expect(started.map((ids) => ids.spanId).sort()).toEqual(
      t.spans.map((span) => span.spanContext().spanId).sort(),
    );
  });
});

describe('a ratio sampler asked before the span', () => {
  it("keeps the sampler's answer: the span of a new trace records exactly when it said so", () => {
    const ratio = new TraceIdRatioBasedSampler(0.5);
    const gate = createRequestSampling(ratio);
    const tracer = new BasicTracerProvider({
      sampler: ratio,
      idGenerator: gate.idGenerator,
    }).getTracer('ratio');
    const answers = Array.from({ length: 400 }, () => {
      const records = gate.records(ROOT_CONTEXT, 'POST /graphql', SpanKind.SERVER);
      if (!records) return false;
      const span = tracer.startSpan('POST /graphql', { kind: SpanKind.SERVER }, ROOT_CONTEXT);
      expect(span.isRecording()).toBe(true);
      span.end();
      return true;
    });
    // One in two, not one in four (the SDK asking again about another trace id would halve it).
    const recorded = answers.filter(Boolean).length;
    expect(recorded).toBeGreaterThan(140);
    expect(recorded).toBeLessThan(260);
  });
});
