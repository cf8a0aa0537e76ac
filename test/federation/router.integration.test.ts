/**
 * The gateway as an operator runs it under a router: started from its settings with
 * SUBGRAPH=true (what `npm start` and the bin do), its `_service { sdl }` composed by Apollo's
 * composer and by the Guild's beside two other subgraphs, one of which has a generic
 * `gateway: GatewayInfo` of its own, and a mutation run through a real router (Hive Gateway) that
 * forwards X-Forwarded-For and X-Request-Id as docs/federation.md says.
 */
import { composeServices as composeWithApollo } from '@apollo/composition';
import { buildSubgraphSchema } from '@apollo/subgraph';
import { createGatewayRuntime } from '@graphql-hive/gateway';
import { composeServices as composeWithGuild } from '@theguild/federation-composition';
import { parse } from 'graphql';
import { createYoga } from 'graphql-yoga';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway } from '../support/gateway-server.js';
import { REFRESH_MUTATION } from '../support/refresh.js';
import { refreshInput } from '../support/session.js';
import { listen, post, startAccountSubgraph } from './support.js';

/** Another team's subgraph with the generic names the gateway used to have. */
const STATUS_TYPE_DEFS = /* GraphQL */ `
  extend schema @link(url: "https://specs.apollo.dev/federation/v2.6", import: ["@key"])

  type GatewayInfo {
    region: String!
  }

  type Query {
    gateway: GatewayInfo!
  }
`;

async function startStatusSubgraph() {
  const schema = buildSubgraphSchema({
    typeDefs: parse(STATUS_TYPE_DEFS),
    resolvers: { Query: { gateway: () => ({ region: 'eu-west' }) } },
  });
  const server = await listen(createYoga({ schema, logging: false, graphiql: false }));
  return { url: `${server.url}/graphql`, close: server.close };
}

const COMPOSERS = [
  ['Apollo (@apollo/composition)', composeWithApollo],
  ['the Guild (@theguild/federation-composition)', composeWithGuild],
] as const;

describe.each(COMPOSERS)('SUBGRAPH=true composed by %s, behind Hive Gateway', (_name, compose) => {
  let tokens: Awaited<ReturnType<typeof startTestGateway>>;
  let accounts: Awaited<ReturnType<typeof startAccountSubgraph>>;
  let status: Awaited<ReturnType<typeof startStatusSubgraph>>;
  let subgraphSdl: string;
  let supergraphSdl: string;
  let router: ReturnType<typeof createGatewayRuntime>;
  const send = (query: string, variables?: Record<string, unknown>, headers = {}) =>
    post(
      (url, init) =>
        Promise.resolve(router.fetch(url, { ...init, headers: { ...init.headers, ...headers } })),
      'http://router.test/graphql',
      query,
      variables,
    );

  beforeAll(async () => {
    tokens = await startTestGateway({
      SUBGRAPH: 'true',
      LOG_LEVEL: 'silent',
      // The router is on loopback here; its X-Forwarded-For names the client.
      TRUST_PROXY: 'loopback',
      RATE_LIMIT_EXEMPT: 'none',
      RATE_LIMIT_ADDRESS_RATE: '1',
      RATE_LIMIT_ADDRESS_BURST: '2',
    });
    accounts = await startAccountSubgraph();
    status = await startStatusSubgraph();
    const { body } = await post(fetch, tokens.graphqlUrl, '{ _service { sdl } }');
    subgraphSdl = (body.data!._service as { sdl: string }).sdl;
    const result = compose([
      { name: 'circle-wallets', typeDefs: parse(subgraphSdl), url: tokens.graphqlUrl },
      { name: 'accounts', typeDefs: parse(accounts.typeDefs), url: accounts.url },
      { name: 'status', typeDefs: parse(STATUS_TYPE_DEFS), url: status.url },
    ]);
    expect(result.errors).toBeUndefined();
    supergraphSdl = result.supergraphSdl!;
    router = createGatewayRuntime({
      supergraph: supergraphSdl,
      logging: false,
      propagateHeaders: {
        fromClientToSubgraphs: ({ request }) => ({
          'x-forwarded-for': request.headers.get('x-forwarded-for'),
          'x-request-id': request.headers.get('x-request-id'),
          traceparent: request.headers.get('traceparent'),
        }),
      },
    });
  });
  afterAll(async () => {
    await router?.[Symbol.asyncDispose]();
    await status?.close();
    await accounts?.close();
    await tokens?.close();
  });

  it('serves an SDL that declares @oneOf and uses it on UserIdentityInput', () => {
    expect(subgraphSdl).toMatch(/^directive @oneOf on INPUT_OBJECT$/m);
    expect(subgraphSdl).toMatch(/input UserIdentityInput\b[^{]*@oneOf/);
    expect(subgraphSdl).toMatch(/circleWalletsGateway: CircleWalletsGatewayInfo!/);
  });

  it("answers the gateway's own field beside another subgraph's generic `gateway`", async () => {
    const { body } = await send(
      '{ gateway { region } circleWalletsGateway { simulated } account(id: "acct-1") { displayName } }',
    );
    expect(body).toEqual({
      data: {
        gateway: { region: 'eu-west' },
        circleWalletsGateway: { simulated: true },
        account: { displayName: 'Ada' },
      },
    });
  });

  it('runs refreshUserToken through the router to Circle, with the X-Request-Id the router forwarded', async () => {
    const session = await tokens.simulator!.simulator.createSession();
    const before = tokens.simulator!.simulator.requests.length;
    const requestId = crypto.randomUUID();
    const { body } = await send(
      REFRESH_MUTATION,
      {
        input: refreshInput(session),
      },
      { 'x-request-id': requestId, 'x-forwarded-for': '203.0.113.10' },
    );
    expect(body.errors).toBeUndefined();
    const payload = body.data?.refreshUserToken as Record<string, string>;
    expect(payload.userId).toBe(session.userId);
    expect(payload.userToken).not.toBe(session.userToken);
    const upstream = tokens.simulator!.simulator.requests.slice(before);
    expect(upstream.map((call) => call.path)).toEqual(['/v1/w3s/users/token/refresh']);
    expect(upstream[0]!.headers['x-request-id']).toBe(requestId);
  });

  it('limits each client address the router forwards, not the router itself', async () => {
    const info = (address: string) =>
      send('{ circleWalletsGateway { version } }', {}, { 'x-forwarded-for': address });
    // A burst of 2 per address: the third request from one client is refused...
    for (let i = 0; i < 2; i += 1) {
      expect((await info('198.51.100.1')).body.errors).toBeUndefined();
    }
    const refused = await info('198.51.100.1');
    expect(refused.body.errors?.[0]?.extensions?.code).toBe('RATE_LIMITED');
    // ...while another client behind the same router still gets through.
    expect((await info('198.51.100.2')).body.errors).toBeUndefined();
  });
});
