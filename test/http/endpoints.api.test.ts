import { describe, expect, it } from 'vitest';
import { createApiGateway, type GraphQLBody } from '../support/api-gateway.js';
import { jwtLike } from '../support/jwt.js';
import { REFRESH_MUTATION } from '../support/refresh.js';

describe('GET /graphql in a browser', () => {
  it('serves a self-hosted GraphiQL page with the example mutation', async () => {
    const { gateway } = createApiGateway();

    const response = await gateway.yoga.fetch('http://localhost/graphql', {
      headers: { accept: 'text/html' },
    });
    const html = await response.text();

    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/html/);
    expect(html).toContain('mutation RefreshUserToken($input: RefreshUserTokenInput!)');
    expect(html).toContain('refreshUserToken(input: $input)');
    expect(html).not.toMatch(/<script[^>]+src="https?:\/\//);
    expect(html).not.toMatch(/unpkg\.com|jsdelivr\.net|cdnjs/);
  });

  it('fills the example variables it is given', async () => {
    const { gateway } = createApiGateway({
      gateway: {
        graphiql: {
          exampleVariables: {
            input: { user: { userToken: 'sim-token' }, deviceId: 'sim-device', refreshToken: 'r' },
          },
        },
      },
    });

    const response = await gateway.yoga.fetch('http://localhost/graphql', {
      headers: { accept: 'text/html' },
    });

    expect(await response.text()).toContain('sim-device');
  });

  it('serves no page when GraphiQL is turned off', async () => {
    const { gateway } = createApiGateway({ gateway: { graphiql: false } });

    const response = await gateway.yoga.fetch('http://localhost/graphql', {
      headers: { accept: 'text/html' },
    });

    expect(await response.text()).not.toContain('RefreshUserTokenInput');
  });
});

describe('/health and /ready', () => {
  it('answers /health with 200', async () => {
    const { gateway } = createApiGateway();

    const response = await gateway.yoga.fetch('http://localhost/health');

    expect(response.status).toBe(200);
  });

  it('answers /ready with 200, the circuit state, the calls in flight and Redis off', async () => {
    const { gateway } = createApiGateway();

    const response = await gateway.yoga.fetch('http://localhost/ready');

    expect(response.status).toBe(200);
    expect(response.headers.get('cache-control')).toBe('no-store');
    expect(await response.json()).toEqual({
      status: 'ready',
      upstream: { circuit: 'closed', inFlight: 0, queued: 0 },
      redis: { state: 'off' },
    });
  });

  it('stays ready with an open circuit, and says so', async () => {
    const api = createApiGateway({
      client: { retry: { maxAttempts: 1 }, circuitBreaker: { failureThreshold: 1 } },
    });
    api.onRefresh({ status: 503, body: { code: -1, message: 'down' } });
    await api.graphql(REFRESH_MUTATION, {
      input: { user: { userToken: jwtLike({}) }, deviceId: 'd', refreshToken: 'r' },
    });

    const response = await api.gateway.yoga.fetch('http://localhost/ready');

    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ upstream: { circuit: 'open' } });
  });
});

describe('drain()', () => {
  it('makes /ready answer 503 while /health stays 200', async () => {
    const { gateway } = createApiGateway();

    gateway.drain();

    const ready = await gateway.yoga.fetch('http://localhost/ready');
    expect(ready.status).toBe(503);
    expect(await ready.json()).toMatchObject({ status: 'draining' });
    expect((await gateway.yoga.fetch('http://localhost/health')).status).toBe(200);
    expect(gateway.draining).toBe(true);
  });

  it('answers GraphQL requests with 503 and UPSTREAM_UNAVAILABLE, without calling Circle', async () => {
    const api = createApiGateway();
    api.onRefresh({ body: { data: { userToken: 'never' } } }, { persist: true });
    api.gateway.drain();

    const response = await api.post({
      query: REFRESH_MUTATION,
      variables: { input: { user: { userToken: jwtLike({}) }, deviceId: 'd', refreshToken: 'r' } },
    });
    const body = (await response.json()) as GraphQLBody<unknown>;

    expect(response.status).toBe(503);
    expect(response.headers.get('retry-after')).toBe('1');
    expect(body.errors?.[0]?.extensions).toEqual({ code: 'UPSTREAM_UNAVAILABLE', retryable: true });
    expect(api.requests).toHaveLength(0);
  });
});

describe('Query.circleWalletsGateway', () => {
  it('answers the version and whether Circle is simulated', async () => {
    const api = createApiGateway({ gateway: { simulated: true } });

    const { body, headers } = await api.graphql('{ circleWalletsGateway { version simulated } }');

    expect(body).toEqual({ data: { circleWalletsGateway: { version: '0.1.0', simulated: true } } });
    expect(headers.get('cache-control')).toBe('no-store');
    expect(api.requests).toHaveLength(0);
  });

  it('says simulated: false by default', async () => {
    const api = createApiGateway();

    const { body } = await api.graphql('query { circleWalletsGateway { simulated } }');

    expect(body).toEqual({ data: { circleWalletsGateway: { simulated: false } } });
  });
});
