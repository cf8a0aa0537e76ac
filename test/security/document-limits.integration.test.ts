import { getIntrospectionQuery } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jwtLike } from '../support/jwt.js';
import { startTestGateway, type TestGateway } from '../support/loopback-gateway.js';
import { REFRESH_MUTATION } from '../support/refresh.js';
import { post } from '../support/requests.js';

/** Document limits, through the real HTTP gateway: each refused before execution with 400. */
describe('document limits', () => {
  let gateway: TestGateway;
  beforeAll(async () => {
    gateway = await startTestGateway({ LOG_LEVEL: 'silent' });
  });
  afterAll(async () => {
    await gateway?.close();
  });

  const refused = async (body: unknown, reason: string) => {
    const before = gateway.simulator!.simulator.requests.length;
    const answer = await post(gateway.graphqlUrl, body);
    expect(answer.status).toBe(400);
    expect(answer.json.data ?? null).toBeNull();
    expect(answer.json.errors?.[0]?.extensions).toMatchObject({
      code: 'BAD_USER_INPUT',
      reason,
      retryable: false,
    });
    expect(answer.json.errors?.[0]?.message).not.toMatch(/^Syntax Error/);
    expect(gateway.simulator!.simulator.requests.length).toBe(before);
    return answer;
  };

  it('lets the contract operations and GraphiQL-sized queries through', async () => {
    const answer = await post(gateway.graphqlUrl, {
      query: '{ circleWalletsGateway { version simulated } }',
    });
    expect(answer.status).toBe(200);
    expect(answer.json.errors).toBeUndefined();
    const introspection = await post(gateway.graphqlUrl, {
      query: getIntrospectionQuery({
        descriptions: true,
        inputValueDeprecation: true,
        oneOf: true,
      }),
    });
    expect(introspection.status).toBe(200);
    expect(introspection.json.errors).toBeUndefined();
  });

  it('refuses a document deeper than MAX_DEPTH with reason MAX_DEPTH', async () => {
    // Fragment spreads count as a level each: 3 + 5 spreads = depth 8 > 6.
    const query = `
      query { circleWalletsGateway { ...A } }
      fragment A on CircleWalletsGatewayInfo { ...B }
      fragment B on CircleWalletsGatewayInfo { ...C }
      fragment C on CircleWalletsGatewayInfo { ...D }
      fragment D on CircleWalletsGatewayInfo { ...E }
      fragment E on CircleWalletsGatewayInfo { version }`;
    const answer = await refused({ query }, 'MAX_DEPTH');
    expect(answer.json.errors?.[0]?.message).toMatch(/depth limit of 6/);
  });

  it('refuses more aliases than MAX_ALIASES with reason MAX_ALIASES', async () => {
    const aliases = Array.from(
      { length: 11 },
      (_, i) => `a${i}: circleWalletsGateway { version }`,
    ).join(' ');
    await refused({ query: `{ ${aliases} }` }, 'MAX_ALIASES');
    const ten = Array.from(
      { length: 10 },
      (_, i) => `a${i}: circleWalletsGateway { version }`,
    ).join(' ');
    expect((await post(gateway.graphqlUrl, { query: `{ ${ten} }` })).status).toBe(200);
  });

  it('refuses more tokens than MAX_TOKENS with reason MAX_TOKENS, before parsing', async () => {
    const fields = 'version '.repeat(1_100);
    await refused({ query: `{ circleWalletsGateway { ${fields} } }` }, 'MAX_TOKENS');
  });

  it('refuses more directives than MAX_DIRECTIVES with reason MAX_DIRECTIVES', async () => {
    const directives = '@include(if: true) '.repeat(11);
    await refused(
      { query: `{ circleWalletsGateway { version ${directives} } }` },
      'MAX_DIRECTIVES',
    );
  });

  it('refuses a document over MAX_COST with reason MAX_COST', async () => {
    // Width within the token limit: repeated fields merge at execution but are costed one by one.
    const fields = Array.from({ length: 150 }, () => 'version simulated').join(' ');
    const query = `{ circleWalletsGateway { ${fields} } circleWalletsGateway { ${fields} } circleWalletsGateway { ${fields} } }`;
    const tokens = query.split(/\s+/).length;
    expect(tokens).toBeLessThan(1_000);
    await refused({ query }, 'MAX_COST');
  });

  it('refuses two refreshUserToken calls in one operation with reason TOO_MANY_MUTATIONS', async () => {
    const input = '{ user: { userToken: "t" }, deviceId: "d", refreshToken: "r" }';
    const query = `mutation {
      a: refreshUserToken(input: ${input}) { userToken }
      b: refreshUserToken(input: ${input}) { userToken }
    }`;
    const answer = await refused({ query }, 'TOO_MANY_MUTATIONS');
    expect(answer.json.errors?.[0]?.message).toMatch(/at most once/);
  });

  it('counts refreshUserToken calls hidden in fragments', async () => {
    const query = `
      mutation ($i: RefreshUserTokenInput!) { ...One ... on Mutation { two: refreshUserToken(input: $i) { userToken } } }
      fragment One on Mutation { refreshUserToken(input: $i) { userToken } }`;
    await refused({ query, variables: { input: {} } }, 'TOO_MANY_MUTATIONS');
  });

  it('lets one refreshUserToken through to the resolver', async () => {
    const answer = await post(gateway.graphqlUrl, {
      query: REFRESH_MUTATION,
      variables: { input: { user: { userToken: jwtLike({}) }, deviceId: 'd', refreshToken: 'r' } },
    });
    // Not a limit: Circle (the simulator) answers, with its own error for a bogus token.
    expect(answer.json.errors?.[0]?.extensions.reason).toBeUndefined();
    expect(answer.json.errors?.[0]?.extensions.code).toBe('USER_TOKEN_INVALID');
  });

  it('refuses a batch (a JSON array body)', async () => {
    const answer = await post(gateway.graphqlUrl, [
      { query: '{ circleWalletsGateway { version } }' },
      { query: '{ circleWalletsGateway { version } }' },
    ]);
    expect(answer.status).toBe(400);
    expect(answer.json.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT' });
    expect(answer.json.errors?.[0]?.message).toMatch(/Batching is not supported/);
  });
});
