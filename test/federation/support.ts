/**
 * Real loopback servers for the "in a larger graph" suites: the simulator, the gateway (as a
 * subgraph or not) on a Circle client pointed at it, and a small second service.
 */
import { createServer, type RequestListener, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { buildSubgraphSchema } from '@apollo/subgraph';
import { parse } from 'graphql';
import { createYoga } from 'graphql-yoga';
import { createCircleClient } from '../../src/circle/client.js';
import { createGateway } from '../../src/http/gateway.js';
import { SIMULATOR_API_KEY } from '../../src/http/server.js';
import { createLogger } from '../../src/observability/logger.js';
import { startCircleSimulator } from '../../src/simulator/index.js';
import { postJson } from '../support/requests.js';

/** Listens on 127.0.0.1, port 0. */
export async function listen(handler: RequestListener) {
  const server: Server = createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** The simulator and the gateway on it, both listening on loopback. */
export async function startGatewayOnSimulator(options: { subgraph?: boolean } = {}) {
  const simulator = await startCircleSimulator({ rateLimits: false });
  const client = createCircleClient({ apiKey: SIMULATOR_API_KEY, baseUrl: simulator.url });
  const gateway = createGateway({
    client,
    logger: createLogger({ level: 'silent' }),
    graphiql: false,
    simulated: true,
    subgraph: options.subgraph ?? false,
  });
  const server = await listen(gateway.yoga);
  return {
    url: `${server.url}/graphql`,
    gateway,
    simulator: simulator.simulator,
    /** The calls Circle received (refresh and mint). */
    upstreamCalls: () => simulator.simulator.requests.length,
    async close() {
      await server.close();
      await client.close();
      await simulator.close();
    },
  };
}

/** A second, unrelated service: accounts by id. */
export const ACCOUNT_TYPE_DEFS = /* GraphQL */ `
  extend schema @link(url: "https://specs.apollo.dev/federation/v2.6", import: ["@key"])

  type Account @key(fields: "id") {
    id: ID!
    displayName: String!
  }

  type Query {
    account(id: ID!): Account
  }
`;

const ACCOUNTS: Record<string, { id: string; displayName: string }> = {
  'acct-1': { id: 'acct-1', displayName: 'Ada' },
};

/** The account service as a federation subgraph, listening on loopback. */
export async function startAccountSubgraph() {
  const schema = buildSubgraphSchema({
    typeDefs: parse(ACCOUNT_TYPE_DEFS),
    resolvers: {
      Query: { account: (_root: unknown, { id }: { id: string }) => ACCOUNTS[id] ?? null },
    },
  });
  const yoga = createYoga({ schema, logging: false, landingPage: false, graphiql: false });
  const server = await listen(yoga);
  return { url: `${server.url}/graphql`, typeDefs: ACCOUNT_TYPE_DEFS, close: server.close };
}

/** A JSON POST of one GraphQL operation to `fetchFn`. */
export async function post(
  fetchFn: (url: string, init: RequestInit) => Promise<Response>,
  url: string,
  query: string,
  variables: Record<string, unknown> = {},
) {
  const response = await postJson(
    url,
    { query, variables },
    { accept: 'application/json' },
    { fetch: fetchFn },
  );
  return {
    status: response.status,
    body: (await response.json()) as {
      data?: Record<string, unknown> | null;
      errors?: Array<{ message: string; extensions?: Record<string, unknown> }>;
    },
  };
}
