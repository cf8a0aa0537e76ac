import { getIntrospectionQuery } from 'graphql';
import { describe, expect, it } from 'vitest';
import { jwtLike } from '../support/jwt.js';
import { productionGateways, startTestGateway } from '../support/loopback-gateway.js';
import { REFRESH_MUTATION } from '../support/refresh.js';
import { post } from '../support/requests.js';

const KEY = 'TEST_API_KEY:prod-mode:prod-mode-secret';

describe('production mode (NODE_ENV=production)', () => {
  const rig = productionGateways(KEY);
  const { start } = rig;

  const introspect = (url: string) => post(url, { query: getIntrospectionQuery() });
  const typo = (url: string) => post(url, { query: '{ circleWalletsGateway { versio } }' });
  const page = (url: string) => fetch(url, { headers: { accept: 'text/html' } });

  it('turns introspection, GraphiQL and field suggestions off', async () => {
    const gateway = await start();
    const introspection = await introspect(gateway.graphqlUrl);
    expect(introspection.status).toBe(400);
    expect(introspection.json.errors).toHaveLength(1);
    expect(introspection.json.errors?.[0]?.extensions).toMatchObject({
      code: 'BAD_USER_INPUT',
      reason: 'INTROSPECTION_DISABLED',
    });
    expect(
      (await post(gateway.graphqlUrl, { query: '{ __type(name: "Query") { name } }' })).status,
    ).toBe(400);
    // __typename is not introspection.
    const typename = await post(gateway.graphqlUrl, {
      query: '{ __typename circleWalletsGateway { version } }',
    });
    expect(typename.json.errors).toBeUndefined();

    const response = await page(gateway.graphqlUrl);
    expect(response.headers.get('content-type') ?? '').not.toMatch(/text\/html/);
    expect(await response.text()).not.toContain('GraphiQL');

    const suggestion = await typo(gateway.graphqlUrl);
    expect(suggestion.json.errors?.[0]?.message).toBe(
      'Cannot query field "versio" on type "CircleWalletsGatewayInfo".',
    );
    expect(suggestion.text).not.toContain('Did you mean');
  });

  it('keeps errors masked: an upstream failure says nothing of the upstream beyond the contract', async () => {
    const gateway = await start();
    rig.upstream.simulator.injectFault({ path: 'refresh', status: 500, count: 3 });
    const answer = await post(gateway.graphqlUrl, {
      query: REFRESH_MUTATION,
      variables: { input: { user: { userToken: jwtLike({}) }, deviceId: 'd', refreshToken: 'r' } },
    });
    rig.upstream.simulator.clearFaults();
    const error = answer.json.errors?.[0];
    expect(error?.extensions.code).toBe('UPSTREAM_UNAVAILABLE');
    expect(Object.keys(error?.extensions ?? {}).sort()).toEqual([
      'code',
      'idempotencyKey',
      'retryable',
      'upstream',
    ]);
    expect(answer.text).not.toMatch(/stack|originalError|127\.0\.0\.1/);
  });

  it('turns each back on when its setting says so', async () => {
    const gateway = await start({
      ALLOW_INTROSPECTION: 'true',
      GRAPHIQL: 'true',
      FIELD_SUGGESTIONS: 'true',
    });
    const introspection = await introspect(gateway.graphqlUrl);
    expect(introspection.status).toBe(200);
    expect(introspection.json.errors).toBeUndefined();
    const response = await page(gateway.graphqlUrl);
    expect(response.headers.get('content-type')).toMatch(/^text\/html/);
    expect((await typo(gateway.graphqlUrl)).json.errors?.[0]?.message).toContain(
      'Did you mean "version"?',
    );
  });

  it('has all three on in development', async () => {
    const gateway = await startTestGateway({ LOG_LEVEL: 'silent' });
    rig.gateways.push(gateway);
    expect((await introspect(gateway.graphqlUrl)).status).toBe(200);
    expect((await page(gateway.graphqlUrl)).headers.get('content-type')).toMatch(/^text\/html/);
    expect((await typo(gateway.graphqlUrl)).json.errors?.[0]?.message).toContain('Did you mean');
  });

  it('can turn each off in development too', async () => {
    const gateway = await startTestGateway({
      LOG_LEVEL: 'silent',
      ALLOW_INTROSPECTION: 'false',
      GRAPHIQL: 'false',
      FIELD_SUGGESTIONS: 'false',
    });
    rig.gateways.push(gateway);
    expect((await introspect(gateway.graphqlUrl)).status).toBe(400);
    expect((await page(gateway.graphqlUrl)).headers.get('content-type') ?? '').not.toMatch(
      /text\/html/,
    );
    expect((await typo(gateway.graphqlUrl)).text).not.toContain('Did you mean');
  });
});
