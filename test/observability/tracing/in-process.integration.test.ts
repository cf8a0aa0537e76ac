import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import { afterAll, describe, expect, it } from 'vitest';
import {
  createCircleClient,
  createGateway,
  createLogger,
  loadTracing,
  SIMULATOR_API_KEY,
  startCircleSimulator,
} from '../../../src/public-api.js';
import { REFRESH_MUTATION } from '../../support/refresh.js';
import { postJson } from '../../support/requests.js';
import { refreshInput } from '../../support/session.js';
import { callerTraceparent, traceOf } from './support.js';

/**
 * From code, through the package entry, without the node:http front door (`yoga.fetch`, as a host
 * server or an in-process test serves it): the operation span takes the Request's traceparent.
 */
const exporter = new InMemorySpanExporter();
const provider = new NodeTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
provider.register({ propagator: new W3CTraceContextPropagator() });

describe('tracing from code, served by yoga.fetch', () => {
  const stops: Array<() => Promise<void>> = [];
  afterAll(async () => {
    for (const stop of stops) await stop();
  });

  it("continues the Request's trace down to Circle", async () => {
    const tracing = await loadTracing({ tracerProvider: provider });
    const upstream = await startCircleSimulator({ port: 0, fast: true });
    const client = createCircleClient({ apiKey: SIMULATOR_API_KEY, baseUrl: upstream.url });
    stops.push(tracing.shutdown, client.close, upstream.close);
    const gateway = createGateway({
      client,
      tracing,
      graphiql: false,
      logger: createLogger({ level: 'silent' }),
    });
    const session = upstream.simulator.createSession();
    const caller = callerTraceparent();
    const response = await postJson(
      'http://gateway.test/graphql',
      { query: REFRESH_MUTATION, variables: { input: refreshInput(session) } },
      { traceparent: caller.header },
      { fetch: gateway.yoga.fetch },
    );
    expect(((await response.json()) as { errors?: unknown }).errors).toBeUndefined();
    const t = traceOf(exporter.getFinishedSpans(), caller.traceId);
    const operation = t.one('mutation RefreshUserToken');
    expect(operation.parentSpanContext?.spanId).toBe(caller.spanId);
    const attempt = t.childrenOf(t.one('circle refresh'))[0]!;
    expect(upstream.simulator.requests.at(-1)!.headers.traceparent).toBe(
      `00-${caller.traceId}-${attempt.spanContext().spanId}-01`,
    );
    // No node:http front door here: no server span.
    expect(t.byName('POST /graphql')).toEqual([]);
  });
});
