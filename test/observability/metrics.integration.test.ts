import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RefreshUserTokenDocument } from '../../src/generated/graphql.js';
import { createMetrics } from '../../src/observability/metrics.js';
import { startTestGateway } from '../support/gateway-server.js';
import { refreshInput } from '../support/session.js';

/** Reads one sample from the text exposition format; 0 when the series is absent. */
function sample(text: string, name: string, labels: Record<string, string> = {}): number {
  const wanted = Object.entries(labels).map(([key, value]) => `${key}="${value}"`);
  for (const line of text.split('\n')) {
    if (line.startsWith('#')) continue;
    const match = line.match(/^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/);
    if (!match || match[1] !== name) continue;
    const have = match[2] ? match[2].split(/,(?=[a-zA-Z_]\w*=")/) : [];
    if (wanted.every((pair) => have.includes(pair)) && have.length === wanted.length) {
      return Number(match[3]);
    }
  }
  return 0;
}

describe('GET /metrics on the gateway that npm start runs', () => {
  let gateway: Awaited<ReturnType<typeof startTestGateway>>;

  beforeAll(async () => {
    gateway = await startTestGateway();
  });
  afterAll(async () => {
    await gateway?.close();
  });

  const scrape = async () => {
    const response = await fetch(`${gateway.url}/metrics`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    return response.text();
  };
  const simulator = () => gateway.simulator!.simulator;
  /**
   * A new session, one simulated second later: the simulator's 5 refreshes/s limit (sliding, on
   * its own clock) then never answers 429, and the counts stay this suite's own.
   */
  const newSession = () => {
    simulator().advanceClock(1_100);
    return simulator().createSession();
  };
  it('starts with every series at zero', async () => {
    const text = await scrape();
    expect(sample(text, 'gateway_graphql_requests_total', { outcome: 'ok' })).toBe(0);
    expect(sample(text, 'gateway_upstream_circuit_state')).toBe(0);
    expect(sample(text, 'gateway_coalesced_calls_total')).toBe(0);
    expect(sample(text, 'gateway_upstream_in_flight')).toBe(0);
    expect(text).toContain('# TYPE gateway_upstream_request_duration_seconds histogram');
  });

  it('counts requests, errors by code, upstream latency by status, retries and coalesced calls', async () => {
    // Two successes.
    for (let i = 0; i < 2; i += 1) {
      const { body } = await gateway.execute(RefreshUserTokenDocument, {
        input: refreshInput(newSession()),
      });
      expect(body.errors).toBeUndefined();
    }
    // A reused refresh token: REFRESH_REJECTED after one upstream 400.
    const session = newSession();
    await gateway.execute(RefreshUserTokenDocument, { input: refreshInput(session) });
    const rejected = await gateway.execute(RefreshUserTokenDocument, {
      input: refreshInput(session),
    });
    expect(rejected.body.errors?.[0]?.extensions.code).toBe('REFRESH_REJECTED');
    // A broken oneOf: BAD_USER_INPUT, no upstream call.
    const broken = newSession();
    const bad = await gateway.execute(RefreshUserTokenDocument, {
      input: {
        ...refreshInput(broken),
        user: { userId: broken.userId, userToken: broken.userToken },
      },
    } as never);
    expect(bad.body.errors?.[0]?.extensions.code).toBe('BAD_USER_INPUT');
    // One 503, retried, then a success.
    simulator().injectFault({ path: 'refresh', status: 503 });
    const retried = await gateway.execute(RefreshUserTokenDocument, {
      input: refreshInput(newSession()),
    });
    expect(retried.body.errors).toBeUndefined();
    // Two identical refreshes at once: one upstream call, one coalesced.
    simulator().injectFault({ path: 'refresh', latencyMs: 200 });
    const shared = refreshInput(newSession());
    const pair = await Promise.all([
      gateway.execute(RefreshUserTokenDocument, { input: shared }),
      gateway.execute(RefreshUserTokenDocument, { input: shared }),
    ]);
    expect(pair.map((r) => r.body.errors)).toEqual([undefined, undefined]);

    const text = await scrape();
    // All eight were answered by the fast path (there is no first pass through Yoga any more),
    // and counted the same way.
    expect(gateway.gateway.fastPathStats().served).toBe(8);
    // ok: 2 + 1 (first use of the reused token) + 1 (retried) + 2 (the pair)
    expect(sample(text, 'gateway_graphql_requests_total', { outcome: 'ok' })).toBe(6);
    expect(sample(text, 'gateway_graphql_requests_total', { outcome: 'error' })).toBe(2);
    expect(sample(text, 'gateway_graphql_errors_total', { code: 'REFRESH_REJECTED' })).toBe(1);
    expect(sample(text, 'gateway_graphql_errors_total', { code: 'BAD_USER_INPUT' })).toBe(1);
    const attempts = (status: string) =>
      sample(text, 'gateway_upstream_request_duration_seconds_count', { call: 'refresh', status });
    expect(attempts('200')).toBe(5);
    expect(attempts('400')).toBe(1);
    expect(attempts('503')).toBe(1);
    expect(
      sample(text, 'gateway_upstream_retries_total', {
        call: 'refresh',
        reason: 'CIRCLE_HTTP_ERROR',
      }),
    ).toBe(1);
    expect(sample(text, 'gateway_coalesced_calls_total')).toBe(1);
    expect(sample(text, 'gateway_upstream_circuit_state')).toBe(0);
    expect(sample(text, 'gateway_upstream_in_flight')).toBe(0);
  });

  it('shows a call in flight while Circle is slow to answer', async () => {
    simulator().injectFault({ path: 'refresh', latencyMs: 600 });
    const pending = gateway.execute(RefreshUserTokenDocument, {
      input: refreshInput(newSession()),
    });
    await expect
      .poll(async () => sample(await scrape(), 'gateway_upstream_in_flight'), { timeout: 2_000 })
      .toBe(1);
    await pending;
    expect(sample(await scrape(), 'gateway_upstream_in_flight')).toBe(0);
  });

  it('refuses anything but GET and HEAD', async () => {
    const response = await fetch(`${gateway.url}/metrics`, { method: 'POST' });
    expect(response.status).toBe(405);
  });
});

describe('createMetrics', () => {
  it('keeps its own registry: two instances do not collide', async () => {
    const a = createMetrics();
    const b = createMetrics();
    a.countCoalesced();
    expect(await a.render()).toMatch(/^gateway_coalesced_calls_total 1$/m);
    expect(await b.render()).toMatch(/^gateway_coalesced_calls_total 0$/m);
  });

  it('reports the circuit as 0 closed, 1 half-open, 2 open', async () => {
    const metrics = createMetrics({ prefix: 'x_' });
    metrics.setUpstreamStatus({ circuit: 'half-open', inFlight: 0, queued: 0 });
    expect(await metrics.render()).toMatch(/^x_upstream_circuit_state 1$/m);
    metrics.observer.onCircuitChange('open');
    expect(await metrics.render()).toMatch(/^x_upstream_circuit_state 2$/m);
  });
});
