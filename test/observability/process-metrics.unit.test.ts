import { describe, expect, it } from 'vitest';
import { createMetrics } from '../../src/observability/metrics.js';

describe("prom-client's default process metrics", () => {
  it('sit beside the gateway’s own, under their standard names', async () => {
    const text = await createMetrics().render();
    expect(text).toMatch(/^gateway_graphql_requests_total\{outcome="ok"\} 0$/m);
    expect(text).toMatch(/^process_cpu_seconds_total \d/m);
    expect(text).toMatch(/^nodejs_eventloop_lag_seconds \d/m);
    expect(text).toMatch(/^nodejs_eventloop_lag_p99_seconds \d/m);
    expect(text).toMatch(/^nodejs_heap_size_used_bytes \d/m);
    expect(text).toMatch(/^# TYPE nodejs_gc_duration_seconds histogram$/m);
  });

  it('stay out when processMetrics is false (a host registry that has them already)', async () => {
    const text = await createMetrics({ processMetrics: false }).render();
    expect(text).toMatch(/^gateway_graphql_requests_total/m);
    expect(text).not.toMatch(/^process_|^nodejs_/m);
  });
});
