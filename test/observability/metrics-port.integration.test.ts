import { describe, expect, it } from 'vitest';
import { readConfig } from '../../src/settings.js';
import { productionGateways } from '../support/loopback-gateway.js';
import { post } from '../support/requests.js';

const KEY = 'TEST_API_KEY:metrics-port:metrics-port-secret';

describe('/metrics in production', () => {
  const rig = productionGateways(KEY);
  const { start } = rig;

  it.each([
    ['Yoga (FAST_PATH=false)', 'false'],
    ['the default (fast path on)', 'true'],
  ])('is not on the API port, and is served on its own loopback port: %s', async (_n, fastPath) => {
    const gateway = await start({ FAST_PATH: fastPath });
    for (const method of ['GET', 'HEAD', 'POST']) {
      const onApi = await fetch(`${gateway.url}/metrics`, { method });
      expect(onApi.status, method).toBe(404);
      expect(await onApi.text()).not.toContain('gateway_');
    }
    for (let i = 0; i < 2; i += 1) {
      await post(gateway.graphqlUrl, { query: '{ circleWalletsGateway { version } }' });
    }
    expect(gateway.metricsUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/metrics$/);
    const scrape = await fetch(gateway.metricsUrl!);
    expect(scrape.status).toBe(200);
    // The API port's requests are counted there (both paths feed the same metrics).
    expect(await scrape.text()).toMatch(/^gateway_graphql_requests_total\{outcome="ok"\} 2$/m);
    expect((await fetch(gateway.metricsUrl!.replace('/metrics', '/graphql'))).status).toBe(404);
  });

  it('stays on the API port with METRICS_PORT=api', async () => {
    const gateway = await start({ METRICS_PORT: 'api' });
    expect(gateway.metricsUrl).toBeUndefined();
    expect((await fetch(`${gateway.url}/metrics`)).status).toBe(200);
  });

  it('reads METRICS_PORT (auto by default) and METRICS_HOST (loopback by default)', () => {
    expect(readConfig({ NODE_ENV: 'production', CIRCLE_API_KEY: KEY })).toMatchObject({
      metricsPort: 'auto',
      metricsHost: '127.0.0.1',
    });
    expect(readConfig({ METRICS_PORT: '9100' }).metricsPort).toBe(9100);
    expect(() => readConfig({ METRICS_PORT: 'public' })).toThrow(/METRICS_PORT/);
  });
});
