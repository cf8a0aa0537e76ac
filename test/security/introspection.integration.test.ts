import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, type TestGateway } from '../support/loopback-gateway.js';
import { post } from '../support/requests.js';

/** ALLOW_INTROSPECTION=false: what graphql-js's rule finds, answered the gateway's way. */
describe('introspection turned off', () => {
  let gateway: TestGateway;
  beforeAll(async () => {
    gateway = await startTestGateway({ LOG_LEVEL: 'silent', ALLOW_INTROSPECTION: 'false' });
  });
  afterAll(async () => {
    await gateway?.close();
  });

  it('refuses __schema and __type once per document, quoting nothing of the query', async () => {
    const answer = await post(gateway.graphqlUrl, {
      query: '{ a: __schema { queryType { name } } b: __type(name: "Query") { name } }',
    });
    expect(answer.status).toBe(400);
    expect(answer.json.data).toBeUndefined();
    expect(answer.json.errors).toHaveLength(1);
    const [error] = answer.json.errors ?? [];
    expect(error?.message).toBe('Introspection is turned off on this gateway.');
    expect(error?.extensions).toMatchObject({
      code: 'BAD_USER_INPUT',
      reason: 'INTROSPECTION_DISABLED',
    });
    // The first introspection field, `a: __schema`, where its alias starts.
    expect(JSON.parse(answer.text).errors[0].locations).toEqual([{ line: 1, column: 3 }]);
  });

  it('finds introspection inside fragments too', async () => {
    const answer = await post(gateway.graphqlUrl, {
      query: 'query { ...Types } fragment Types on Query { __type(name: "Query") { name } }',
    });
    expect(answer.status).toBe(400);
    expect(answer.json.errors?.[0]?.extensions?.reason).toBe('INTROSPECTION_DISABLED');
  });

  it('answers __typename, which is not introspection', async () => {
    const answer = await post(gateway.graphqlUrl, {
      query: '{ __typename circleWalletsGateway { __typename version } }',
    });
    expect(answer.status).toBe(200);
    expect(answer.json.errors).toBeUndefined();
    expect(answer.json.data).toMatchObject({
      __typename: 'Query',
      circleWalletsGateway: { __typename: 'CircleWalletsGatewayInfo' },
    });
  });
});
