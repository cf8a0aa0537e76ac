/**
 * Prometheus metrics for the gateway, in a registry of their own (never prom-client's global
 * one, so two gateways in one process, or a host application's own metrics, do not collide).
 * Labels are bounded sets (error codes, call names, HTTP statuses): nothing a caller chooses.
 */
import type { ExecutionResult } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import type { CircuitState } from '../circle/circuit-breaker.js';
import type { CircleClientObserver } from '../circle/client.js';

export interface MetricsOptions {
  /**
   * Prefix of every metric name.
   * @default 'gateway_'
   */
  prefix?: string;
  /**
   * Buckets of the upstream latency histogram, in seconds.
   * @default [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]
   */
  latencyBuckets?: number[];
  /**
   * prom-client's default metrics of the process in the same registry, under their standard
   * names (`process_cpu_seconds_total`, `nodejs_eventloop_lag_seconds`, `nodejs_heap_size_used_bytes`,
   * `nodejs_gc_duration_seconds`, …), so stock Node.js dashboards work. Turn off when the host
   * application's registry already has them and merges this one.
   * @default true
   */
  processMetrics?: boolean;
}

/** What the Circle client reports about itself (`CircleClient.status()`). */
export interface UpstreamStatus {
  circuit: CircuitState;
  inFlight: number;
  queued: number;
}

export interface Metrics {
  /** The registry every metric lives in; add your own metrics to it if you like. */
  readonly registry: Registry;
  /**
   * Upstream latency, retries, rejections, circuit: subscribe it with
   * `observeCircleClient(client, metrics.observer)`, or pass it as `createCircleClient({ observer })`.
   */
  readonly observer: Required<CircleClientObserver>;
  /** Counts identical concurrent refreshes that shared one upstream call. */
  countCoalesced(): void;
  /** Counts one GraphQL result: the request, and each error by `extensions.code`. */
  countResult(result: ExecutionResult): void;
  /** Sets the circuit and in-flight gauges (the gateway does it before every scrape). */
  setUpstreamStatus(status: UpstreamStatus): void;
  /** The text exposition format, as served at GET /metrics. */
  render(): Promise<string>;
  readonly contentType: string;
}

/** 0 closed, 1 half-open, 2 open: higher is worse, so alerts can use `> 0`. */
export const CIRCUIT_STATE_VALUES: Record<CircuitState, number> = {
  closed: 0,
  'half-open': 1,
  open: 2,
};

export function createMetrics(options: MetricsOptions = {}): Metrics {
  const prefix = options.prefix ?? 'gateway_';
  if (!/^[a-zA-Z_:][a-zA-Z0-9_:]*$/.test(prefix)) {
    throw new TypeError('prefix must match [a-zA-Z_:][a-zA-Z0-9_:]* (a Prometheus name start)');
  }
  const buckets = options.latencyBuckets ?? [
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
  ];
  const registry = new Registry();
  const registers = [registry];
  if (options.processMetrics ?? true) collectDefaultMetrics({ register: registry });

  const requests = new Counter({
    name: `${prefix}graphql_requests_total`,
    help: 'GraphQL requests answered, by outcome (ok: no error; error: at least one).',
    labelNames: ['outcome'] as const,
    registers,
  });
  const errors = new Counter({
    name: `${prefix}graphql_errors_total`,
    help: 'GraphQL errors sent to clients, by extensions.code.',
    labelNames: ['code'] as const,
    registers,
  });
  const upstreamDuration = new Histogram({
    name: `${prefix}upstream_request_duration_seconds`,
    help: "Duration of each attempt at Circle, by call (refresh|mint) and HTTP status (or the client's error code when Circle did not answer).",
    labelNames: ['call', 'status'] as const,
    buckets,
    registers,
  });
  const retries = new Counter({
    name: `${prefix}upstream_retries_total`,
    help: 'Retries of upstream calls, by call and the error code that caused them.',
    labelNames: ['call', 'reason'] as const,
    registers,
  });
  const rejected = new Counter({
    name: `${prefix}upstream_rejected_total`,
    help: 'Upstream calls refused before sending, by call and reason (circuit-open|overloaded).',
    labelNames: ['call', 'reason'] as const,
    registers,
  });
  const circuit = new Gauge({
    name: `${prefix}upstream_circuit_state`,
    help: 'State of the circuit breaker in front of Circle: 0 closed, 1 half-open, 2 open.',
    registers,
  });
  const coalesced = new Counter({
    name: `${prefix}coalesced_calls_total`,
    help: 'Refreshes that shared an identical in-flight refresh instead of calling Circle again.',
    registers,
  });
  const inFlight = new Gauge({
    name: `${prefix}upstream_in_flight`,
    help: 'Upstream calls in flight.',
    registers,
  });
  const queued = new Gauge({
    name: `${prefix}upstream_queued`,
    help: 'Upstream calls waiting for a slot.',
    registers,
  });
  // Present from the first scrape, not from the first event: dashboards and `absent()` alerts
  // need the series to exist at zero.
  requests.inc({ outcome: 'ok' }, 0);
  requests.inc({ outcome: 'error' }, 0);
  circuit.set(0);
  coalesced.inc(0);
  inFlight.set(0);
  queued.set(0);

  // The hot path's series, bound once: prom-client otherwise hashes the label object per call.
  const requestsOk = requests.labels({ outcome: 'ok' });
  const requestsWithErrors = requests.labels({ outcome: 'error' });
  const durations = new Map<string, ReturnType<typeof upstreamDuration.labels>>();
  const durationOf = (call: string, status: string) => {
    const key = `${call} ${status}`;
    let series = durations.get(key);
    if (!series) {
      series = upstreamDuration.labels({ call, status });
      // Statuses and error codes are bounded sets; the bound is a guard, not a limit.
      if (durations.size < 1_000) durations.set(key, series);
    }
    return series;
  };

  return {
    registry,
    contentType: registry.contentType,
    observer: {
      onAttempt: (event) => {
        const status = event.status === undefined ? event.outcome : String(event.status);
        durationOf(event.call, status).observe(event.durationMs / 1000);
      },
      onRetry: (event) => retries.inc({ call: event.call, reason: event.reason }),
      onRejected: (event) => rejected.inc({ call: event.call, reason: event.reason }),
      onCircuitChange: (state) => circuit.set(CIRCUIT_STATE_VALUES[state]),
    },
    countCoalesced: () => coalesced.inc(),
    countResult(result) {
      const list = result.errors ?? [];
      (list.length > 0 ? requestsWithErrors : requestsOk).inc();
      for (const error of list) {
        const code = error.extensions?.code;
        errors.inc({ code: typeof code === 'string' ? code : 'NONE' });
      }
    },
    setUpstreamStatus(status) {
      // The breaker reports half-open only when asked (it is a matter of elapsed time), so the
      // gauge is refreshed from the client's status before every scrape.
      circuit.set(CIRCUIT_STATE_VALUES[status.circuit]);
      inFlight.set(status.inFlight);
      queued.set(status.queued);
    },
    render: () => registry.metrics(),
  };
}

/** Counts every GraphQL result as the client receives it. List it after plugins that rewrite errors. */
export function useMetrics(metrics: Metrics): Plugin {
  return {
    onResultProcess({ result }) {
      const results = Array.isArray(result) ? result : [result];
      for (const one of results) {
        if (one && typeof one === 'object' && !(Symbol.asyncIterator in one)) {
          metrics.countResult(one as ExecutionResult);
        }
      }
    },
  };
}

/**
 * Serves GET `path` in the text exposition format. List it first: a draining gateway still
 * answers scrapes.
 */
export function useMetricsEndpoint(
  metrics: Metrics,
  options: { path?: string; upstreamStatus?: () => UpstreamStatus } = {},
): Plugin {
  const path = options.path ?? '/metrics';
  return {
    async onRequest({ request, url, endResponse, fetchAPI }) {
      if (url.pathname !== path) return;
      if (request.method !== 'GET' && request.method !== 'HEAD') {
        endResponse(new fetchAPI.Response(null, { status: 405, headers: { allow: 'GET, HEAD' } }));
        return;
      }
      if (options.upstreamStatus) metrics.setUpstreamStatus(options.upstreamStatus());
      const body = await metrics.render();
      endResponse(
        new fetchAPI.Response(request.method === 'HEAD' ? null : body, {
          status: 200,
          headers: { 'content-type': metrics.contentType },
        }),
      );
    },
  };
}
