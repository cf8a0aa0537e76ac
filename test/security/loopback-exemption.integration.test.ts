import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { createCircleClient } from '../../src/circle/client.js';
import { createGateway } from '../../src/http/gateway.js';
import { createLogger } from '../../src/observability/logger.js';
import { startTestGateway, type TestGateway } from '../support/loopback-gateway.js';
import { post } from '../support/requests.js';

/**
 * Whether loopback callers skip the rate limits: outside production yes (tests, benchmarks, one
 * developer), in production no, whether the gateway is built from code or from the settings. A
 * reverse proxy on the same host would otherwise make every client exempt.
 */
const KEY = 'TEST_API_KEY:loopback:loopback-secret';
const query = '{ gateway { version } }';
const servers: Server[] = [];
const gateways: TestGateway[] = [];

afterEach(() => {
  vi.unstubAllEnvs();
});
afterAll(async () => {
  for (const server of servers) {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
  await Promise.all(gateways.map((gateway) => gateway.close()));
});

/** createGateway from code with a one-request address limit, served on a loopback port. */
async function fromCode(): Promise<string> {
  const gateway = createGateway({
    // `{ gateway { version } }` never calls Circle: the origin is never dialled.
    client: createCircleClient({ apiKey: KEY, baseUrl: 'http://127.0.0.1:9' }),
    logger: createLogger({ level: 'silent' }),
    security: { rateLimits: { perAddress: { rate: 1, burst: 1 } } },
  });
  const server = createServer(gateway.handleNodeRequest);
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`;
}

const statuses = async (url: string) => {
  const answers: number[] = [];
  for (let i = 0; i < 3; i += 1) answers.push((await post(url, { query })).status);
  return answers;
};

describe('loopback and the rate limits', () => {
  it('are exempt outside production when the gateway is built from code', async () => {
    vi.stubEnv('NODE_ENV', 'development');
    expect(await statuses(await fromCode())).toEqual([200, 200, 200]);
  });

  it('are limited in production when the gateway is built from code', async () => {
    vi.stubEnv('NODE_ENV', 'production');
    expect(await statuses(await fromCode())).toEqual([200, 429, 429]);
  });

  it('are limited in production when the gateway starts from the settings, as from code', async () => {
    const gateway = await startTestGateway({
      NODE_ENV: 'production',
      CIRCLE_API_KEY: KEY,
      CIRCLE_BASE_URL: 'http://127.0.0.1:9',
      LOG_LEVEL: 'silent',
      RATE_LIMIT_ADDRESS_RATE: '1',
      RATE_LIMIT_ADDRESS_BURST: '1',
    });
    gateways.push(gateway);
    expect(await statuses(gateway.graphqlUrl)).toEqual([200, 429, 429]);
  });

  it('stay exempt in production when RATE_LIMIT_EXEMPT says loopback', async () => {
    const gateway = await startTestGateway({
      NODE_ENV: 'production',
      CIRCLE_API_KEY: KEY,
      CIRCLE_BASE_URL: 'http://127.0.0.1:9',
      LOG_LEVEL: 'silent',
      RATE_LIMIT_ADDRESS_RATE: '1',
      RATE_LIMIT_ADDRESS_BURST: '1',
      RATE_LIMIT_EXEMPT: 'loopback',
    });
    gateways.push(gateway);
    expect(await statuses(gateway.graphqlUrl)).toEqual([200, 200, 200]);
  });
});
