import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createGatewayRuntime } from '@graphql-hive/gateway';
import { useOpenTelemetry } from '@graphql-hive/gateway/opentelemetry';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import { composeServices } from '@theguild/federation-composition';
import { parse } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SIMULATOR_API_KEY } from '../../../src/http/server.js';
import { type RunningSimulator, startCircleSimulator } from '../../../src/simulator/index.js';
import { REFRESH_MUTATION } from '../../support/refresh.js';
import { postJson } from '../../support/requests.js';
import { refreshInput } from '../../support/session.js';
import { type ReceivedSpan, startOtlpReceiver } from './otlp-receiver.js';

/**
 * One refresh through a real router (Hive Gateway, with its own OpenTelemetry plugin) to the
 * gateway (a separate process, traced from OTEL_* variables only) to the Circle simulator, with a
 * loopback OTLP/HTTP receiver collecting what both export. The trace is one: the same trace id
 * from the router's spans through the gateway's to the traceparent Circle received, each hop's
 * parent the span before it.
 */
const ROOT = new URL('../../../', import.meta.url).pathname;

const receiverPromise = startOtlpReceiver();
let receiver: Awaited<typeof receiverPromise>;
let simulator: RunningSimulator;
const children: ChildProcess[] = [];

/** The gateway subgraph in its own process, configured by `env` as an operator would. */
async function startTracedSubgraph(env: Record<string, string>) {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', 'test/observability/tracing/fixtures/traced-subgraph.ts'],
    {
      cwd: ROOT,
      env: {
        PATH: process.env.PATH ?? '',
        CIRCLE_API_KEY: SIMULATOR_API_KEY,
        CIRCLE_BASE_URL: simulator.url,
        OTEL_SERVICE_NAME: 'circle-tokens',
        // Export within a tenth of a second, not the SDK's five.
        OTEL_BSP_SCHEDULE_DELAY: '50',
        ...env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  children.push(child);
  let stderr = '';
  const url = await new Promise<string>((resolve, reject) => {
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      const match = /listening (\S+)/.exec(stderr);
      if (match?.[1]) resolve(match[1]);
    });
    child.once('exit', (code) => reject(new Error(`subgraph exited ${code}: ${stderr}`)));
  });
  const lines: string[] = [];
  child.stdout?.on('data', (chunk: Buffer) => lines.push(...chunk.toString().split('\n')));
  return {
    url,
    logs: lines,
    /** SIGTERM: the gateway exports what is pending before it exits. */
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = once(child, 'exit');
      child.kill('SIGTERM');
      await exited;
    },
  };
}

/** Hive Gateway in this process, over the subgraph, exporting its spans over http/json. */
async function startRouter(subgraphUrl: string) {
  const sdl = await postJson(subgraphUrl, { query: '{ _service { sdl } }' }).then(
    async (response) => (await response.json()) as { data: { _service: { sdl: string } } },
  );
  const composed = composeServices([
    { name: 'tokens', typeDefs: parse(sdl.data._service.sdl), url: subgraphUrl },
  ]);
  expect(composed.errors).toBeUndefined();
  const runtime = createGatewayRuntime({
    supergraph: composed.supergraphSdl!,
    logging: false,
    plugins: (ctx) => [useOpenTelemetry({ ...ctx, traces: true })],
  });
  const server = createServer(runtime);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/graphql`,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await runtime[Symbol.asyncDispose]();
    },
  };
}

// The operation is named Refresh through the router: the span names asserted below carry it.
const REFRESH = REFRESH_MUTATION.replace('mutation RefreshUserToken', 'mutation Refresh');

const refreshThrough = async (routerUrl: string) => {
  const session = simulator.simulator.createSession();
  const response = await postJson(
    routerUrl,
    { query: REFRESH, variables: { input: refreshInput(session) } },
    { accept: 'application/json' },
  );
  return (await response.json()) as { data?: unknown; errors?: unknown };
};

/** Polls until `check` passes or 5 s go by. */
async function eventually<T>(check: () => T | undefined): Promise<T> {
  const end = Date.now() + 5_000;
  for (;;) {
    const value = check();
    if (value !== undefined) return value;
    if (Date.now() > end) throw new Error('not received in time');
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

beforeAll(async () => {
  receiver = await receiverPromise;
  simulator = await startCircleSimulator({ port: 0, fast: true });
  // The router's own telemetry: what a platform team's Hive Gateway would export.
  const provider = new NodeTracerProvider({
    resource: resourceFromAttributes({ 'service.name': 'router' }),
    spanProcessors: [
      new SimpleSpanProcessor(new OTLPTraceExporter({ url: `${receiver.url}/v1/traces` })),
    ],
  });
  provider.register({ propagator: new W3CTraceContextPropagator() });
});
afterAll(async () => {
  for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
  await simulator?.close();
  await receiver?.close();
});

describe('one trace from the router to Circle', () => {
  it('over http/json: the router, the gateway and Circle share one trace, hop by hop', async () => {
    const subgraph = await startTracedSubgraph({
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
    });
    const router = await startRouter(subgraph.url);
    try {
      const before = simulator.simulator.requests.length;
      const result = await refreshThrough(router.url);
      expect(result.errors).toBeUndefined();
      const circleCall = simulator.simulator.requests
        .slice(before)
        .find((call) => call.path === '/v1/w3s/users/token/refresh')!;
      const [, traceId, attemptSpanId] = circleCall.headers.traceparent!.split('-');

      const byId = new Map<string, ReceivedSpan>();
      const chain = (span: ReceivedSpan): ReceivedSpan[] => {
        const parent = span.parentSpanId ? byId.get(span.parentSpanId) : undefined;
        return parent ? [...chain(parent), span] : [span];
      };
      // Until the chain from the attempt Circle saw reaches a root (each side exports on its own).
      const path = await eventually(() => {
        for (const span of receiver.jsonSpans()) {
          if (span.traceId === traceId) byId.set(span.spanId, span);
        }
        const attempt = byId.get(attemptSpanId!);
        const found = attempt ? chain(attempt) : [];
        return found[0] && found[0].parentSpanId === undefined ? found : undefined;
      });
      // From the router's root span down to the attempt whose id Circle received.
      expect(path[0]!.service).toBe('router');
      expect(path[0]!.parentSpanId).toBeUndefined();
      const ours = path.filter((span) => span.service === 'circle-tokens');
      expect(ours.map((span) => span.name)).toEqual([
        'POST /graphql',
        'mutation Refresh',
        'circle refresh',
        'POST',
      ]);
      // The gateway's server span hangs under a router span: the subgraph request.
      const routerSide = path.filter((span) => span.service === 'router');
      expect(routerSide.length).toBeGreaterThan(1);
      expect(ours[0]!.parentSpanId).toBe(routerSide.at(-1)!.spanId);
      expect(ours[3]!.attributes['http.response.status_code']).toBe(200);

      // Log lines name the same trace.
      const line = subgraph.logs
        .filter(Boolean)
        .map((text) => JSON.parse(text) as Record<string, unknown>)
        .find((entry) => entry.msg === 'refreshUserToken');
      expect(line).toMatchObject({ trace_id: traceId, span_id: ours[1]!.spanId });
    } finally {
      await router.close();
      await subgraph.stop();
    }
  }, 30_000);

  it('over http/protobuf (the default protocol): the gateway exports the same trace', async () => {
    const subgraph = await startTracedSubgraph({
      OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: `${receiver.url}/custom/traces`,
    });
    const router = await startRouter(subgraph.url);
    try {
      const before = simulator.simulator.requests.length;
      expect((await refreshThrough(router.url)).errors).toBeUndefined();
      const circleCall = simulator.simulator.requests
        .slice(before)
        .find((call) => call.path === '/v1/w3s/users/token/refresh')!;
      const [, traceId, attemptSpanId] = circleCall.headers.traceparent!.split('-');
      // Stopping exports what is pending: no waiting on the batch delay.
      await subgraph.stop();
      const protobuf = receiver.exports.filter(
        (received) => received.contentType === 'application/x-protobuf',
      );
      expect(protobuf.length).toBeGreaterThan(0);
      expect(protobuf.every((received) => received.path === '/custom/traces')).toBe(true);
      // Binary OTLP: the ids travel as raw bytes, the service name as a string.
      const body = Buffer.concat(protobuf.map((received) => received.body));
      expect(body.includes(Buffer.from(traceId!, 'hex'))).toBe(true);
      expect(body.includes(Buffer.from(attemptSpanId!, 'hex'))).toBe(true);
      expect(body.includes(Buffer.from('circle-tokens'))).toBe(true);
      const routerSpans = await eventually(() => {
        const found = receiver.jsonSpans().filter((span) => span.traceId === traceId);
        return found.length > 0 ? found : undefined;
      });
      expect(routerSpans.every((span) => span.service === 'router')).toBe(true);
    } finally {
      await router.close();
      await subgraph.stop();
    }
  }, 30_000);
});

describe('the standard sampler variable', () => {
  it('OTEL_TRACES_SAMPLER=always_off: nothing exported, the trace id still passed on to Circle', async () => {
    const subgraph = await startTracedSubgraph({
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
      OTEL_TRACES_SAMPLER: 'always_off',
    });
    try {
      const session = simulator.simulator.createSession();
      const traceId = 'ab'.repeat(16);
      const before = simulator.simulator.requests.length;
      const response = await postJson(
        subgraph.url,
        { query: REFRESH, variables: { input: refreshInput(session) } },
        { traceparent: `00-${traceId}-${'cd'.repeat(8)}-01` },
      );
      expect(((await response.json()) as { errors?: unknown }).errors).toBeUndefined();
      const sent = simulator.simulator.requests.slice(before)[0]!.headers.traceparent;
      // Same trace, not sampled: the flags say so to whoever is downstream.
      expect(sent).toMatch(new RegExp(`^00-${traceId}-[0-9a-f]{16}-00$`));
      await subgraph.stop();
      expect(receiver.jsonSpans().filter((span) => span.traceId === traceId)).toEqual([]);
    } finally {
      await subgraph.stop();
    }
  }, 30_000);
});
