/**
 * A rig for the span suites: a Node tracer provider with an in-memory exporter, registered as the
 * process's global one (each test file runs in its own process), the Circle simulator on
 * loopback and the gateway on its node:http front door (`handleNodeRequest`, as `npm start`
 * serves it), traced.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import {
  InMemorySpanExporter,
  type ReadableSpan,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import { createCircleClient } from '../../../src/circle/client.js';
import { createGateway, type GatewayOptions } from '../../../src/http/gateway.js';
import { SIMULATOR_API_KEY } from '../../../src/http/server.js';
import { createLogger } from '../../../src/observability/logger.js';
import { createTracing, type Tracing } from '../../../src/observability/tracing/tracing.js';
import { startCircleSimulator } from '../../../src/simulator/index.js';
import { TRACING_CONTRACT } from '../../../src/tracing.js';
import { postJson } from '../../support/requests.js';

/** Registers an in-memory tracer provider globally; one per test file. */
export function registerInMemoryTracing() {
  const exporter = new InMemorySpanExporter();
  const provider = new NodeTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
  provider.register({ propagator: new W3CTraceContextPropagator() });
  const tracing = createTracing({ tracerProvider: provider }, TRACING_CONTRACT);
  return { exporter, provider, tracing };
}

/** The simulator, and the gateway on it serving node:http on loopback. */
export async function startTracedGateway(
  tracing: Tracing | undefined,
  options: Partial<GatewayOptions> & { clientOptions?: Record<string, unknown> } = {},
) {
  const upstream = await startCircleSimulator({ port: 0, fast: true });
  const lines: string[] = [];
  const client = createCircleClient({
    apiKey: SIMULATOR_API_KEY,
    baseUrl: upstream.url,
    attemptTimeoutMs: 300,
    retry: { baseDelayMs: 5, maxDelayMs: 20, budgetRatio: 1 },
    ...options.clientOptions,
  });
  const { clientOptions: _, ...gatewayOptions } = options;
  const gateway = createGateway({
    client,
    logger: createLogger({
      level: 'debug',
      write: (line) => lines.push(line),
      ...(tracing ? { traceFields: tracing.logFields } : {}),
    }),
    graphiql: false,
    simulated: true,
    mutationDeadlineMs: 2000,
    ...(tracing ? { tracing } : {}),
    ...gatewayOptions,
  });
  const server = createServer(gateway.handleNodeRequest);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const url = `http://127.0.0.1:${port}/graphql`;
  const simulator = upstream.simulator;
  return {
    url,
    gateway,
    simulator,
    logs: lines,
    session: (input?: Parameters<typeof simulator.createSession>[0]) =>
      simulator.createSession(input),
    async post(body: unknown, headers: Record<string, string> = {}) {
      const response = await postJson(url, body, headers);
      return {
        status: response.status,
        body: (await response.json()) as {
          data?: { refreshUserToken?: Record<string, string | null> } | null;
          errors?: Array<{ extensions: { code: string } }>;
        },
      };
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await client.close();
      await upstream.close();
    },
  };
}

/** The spans of one trace, and helpers to walk its tree. */
export function traceOf(spans: readonly ReadableSpan[], traceId: string) {
  const mine = spans.filter((span) => span.spanContext().traceId === traceId);
  const byName = (name: string) => mine.filter((span) => span.name === name);
  const one = (name: string) => {
    const found = byName(name);
    if (found.length !== 1) {
      throw new Error(`expected one span "${name}", found ${found.length}: ${names(mine)}`);
    }
    return found[0]!;
  };
  const childrenOf = (parent: ReadableSpan) =>
    mine.filter((span) => span.parentSpanContext?.spanId === parent.spanContext().spanId);
  return { spans: mine, byName, one, childrenOf };
}

const names = (spans: readonly ReadableSpan[]) => spans.map((span) => span.name).join(', ');

/** A W3C traceparent of a made-up caller, and its ids. */
export function callerTraceparent() {
  const hex = (bytes: number) =>
    Array.from({ length: bytes }, () =>
      Math.floor(Math.random() * 256)
        .toString(16)
        .padStart(2, '0'),
    ).join('');
  const traceId = hex(16);
  const spanId = hex(8);
  return { traceId, spanId, header: `00-${traceId}-${spanId}-01` };
}
