/**
 * Tracing from OpenTelemetry's own environment variables, the way every OTel SDK reads them.
 *
 * On when `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT` or `OTEL_EXPORTER_OTLP_ENDPOINT` is set (or
 * `OTEL_TRACES_EXPORTER=otlp`, which exports to the SDK's default http://localhost:4318), and
 * neither `OTEL_SDK_DISABLED=true` nor `OTEL_TRACES_EXPORTER=none` says otherwise. Off, nothing of
 * the SDK is loaded: the modules are imported only here, only when on.
 *
 * This file picks the exporter by protocol, the service name's default and the sampler
 * (`OTEL_TRACES_SAMPLER(_ARG)`, read here as the SDK reads it, so that the gateway can ask it
 * before building a span: request-sampling.ts, sampler-from-env.ts); the rest (`OTEL_EXPORTER_OTLP_*_HEADERS`/
 * `_TIMEOUT`/`_COMPRESSION`, `OTEL_BSP_*`, `OTEL_SERVICE_NAME`, `OTEL_RESOURCE_ATTRIBUTES`, span
 * limits) the SDK reads from `process.env` itself, with its documented defaults.
 */
import { VERSION } from '../../config/version.js';
import { brandErrorClass } from '../../errors/brand.js';
import type { ContractCodes } from './contract-codes.js';
import type { Tracing, TracingOptions } from './tracing.js';

export type OtlpProtocol = 'http/protobuf' | 'http/json';

/** A tracing setting the gateway cannot honour; the message names the variable, never a value. */
export class TracingConfigError extends Error {
  override readonly name = 'TracingConfigError';
  readonly code = 'TRACING_CONFIG_INVALID';
}
brandErrorClass(TracingConfigError);

/** Whether tracing is on, and over which protocol. Reads only `env`; throws on what it cannot do. */
export function tracingSettings(
  env: Record<string, string | undefined>,
): { protocol: OtlpProtocol } | undefined {
  const value = (name: string) => {
    const given = env[name]?.trim();
    return given ? given : undefined;
  };
  if (value('OTEL_SDK_DISABLED')?.toLowerCase() === 'true') return undefined;
  const exporter = value('OTEL_TRACES_EXPORTER')?.toLowerCase();
  if (exporter === 'none') return undefined;
  if (exporter !== undefined && exporter !== 'otlp') {
    throw new TracingConfigError(
      'OTEL_TRACES_EXPORTER: only "otlp" (or "none") is supported by the gateway.',
    );
  }
  const endpoint =
    value('OTEL_EXPORTER_OTLP_TRACES_ENDPOINT') ?? value('OTEL_EXPORTER_OTLP_ENDPOINT');
  if (endpoint === undefined && exporter !== 'otlp') return undefined;
  if (endpoint !== undefined && !/^https?:\/\//i.test(endpoint)) {
    throw new TracingConfigError(
      'OTEL_EXPORTER_OTLP_ENDPOINT / OTEL_EXPORTER_OTLP_TRACES_ENDPOINT must be an http:// or https:// URL.',
    );
  }
  const protocol =
    value('OTEL_EXPORTER_OTLP_TRACES_PROTOCOL') ??
    value('OTEL_EXPORTER_OTLP_PROTOCOL') ??
    'http/protobuf';
  if (protocol !== 'http/protobuf' && protocol !== 'http/json') {
    throw new TracingConfigError(
      'OTEL_EXPORTER_OTLP_PROTOCOL: the gateway exports over "http/protobuf" (the default) or "http/json"; grpc is not supported.',
    );
  }
  return { protocol };
}

/**
 * Starts tracing when the environment asks for it (`env` is the composition root's
 * `process.env`: src/tracing.ts's `startTracing()`): registers a Node tracer provider (async
 * context, W3C trace context) with a batch span processor and the OTLP/HTTP exporter. Resolves
 * to undefined when tracing is off. `shutdown()` exports what is pending and stops.
 */
export async function startTracingFrom(
  env: Record<string, string | undefined>,
  contract: ContractCodes,
): Promise<Tracing | undefined> {
  const settings = tracingSettings(env);
  if (!settings) return undefined;
  const [
    { createTracing },
    { createRequestSampling },
    { samplerFromEnv },
    node,
    base,
    core,
    resources,
    exporter,
  ] = await Promise.all([
    import('./tracing.js'),
    import('./request-sampling.js'),
    import('./sampler-from-env.js'),
    import('@opentelemetry/sdk-trace-node'),
    import('@opentelemetry/sdk-trace-base'),
    import('@opentelemetry/core'),
    import('@opentelemetry/resources'),
    settings.protocol === 'http/json'
      ? import('@opentelemetry/exporter-trace-otlp-http')
      : import('@opentelemetry/exporter-trace-otlp-proto'),
  ]);
  // Ours first, then OTEL_SERVICE_NAME / OTEL_RESOURCE_ATTRIBUTES over them.
  const resource = resources
    .defaultResource()
    .merge(
      resources.resourceFromAttributes({
        'service.name': 'circle-wallets-gateway',
        'service.version': VERSION,
      }),
    )
    .merge(resources.detectResources({ detectors: [resources.envDetector] }));
  // The sampler is asked before any span (request-sampling.ts): the provider uses the same one,
  // and its id generator, through which a new trace keeps the id the sampler was asked about.
  const sampler = samplerFromEnv(env, base);
  const sampling = createRequestSampling(sampler);
  const provider = new node.NodeTracerProvider({
    resource,
    sampler,
    idGenerator: sampling.idGenerator,
    spanProcessors: [new base.BatchSpanProcessor(new exporter.OTLPTraceExporter())],
  });
  // W3C trace context only: the default's baggage would forward whatever a caller put in its
  // `baggage` header on to Circle.
  provider.register({ propagator: new core.W3CTraceContextPropagator() });
  return createTracing(
    { tracerProvider: provider, onShutdown: () => provider.shutdown() },
    contract,
    sampling,
  );
}

/**
 * Tracing through a tracer provider of your own (`createTracing`, src/observability/tracing/tracing.ts), loaded
 * on demand so that importing the package loads nothing of OpenTelemetry.
 */
export async function loadTracingWith(
  options: TracingOptions,
  contract: ContractCodes,
): Promise<Tracing> {
  const { createTracing } = await import('./tracing.js');
  return createTracing(options, contract);
}
