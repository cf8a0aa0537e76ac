import { buildHTTPExecutor } from '@graphql-tools/executor-http';
import { stitchSchemas } from '@graphql-tools/stitch';
import {
  buildClientSchema,
  type GraphQLSchema,
  getIntrospectionQuery,
  type IntrospectionQuery,
  isInputObjectType,
  parse,
} from 'graphql';
import { createSchema, createYoga } from 'graphql-yoga';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { schema } from '../../src/schema/index.js';
import { REFRESH_MUTATION } from '../support/refresh.js';
import { refreshInput } from '../support/session.js';
import { post, startGatewayOnSimulator } from './support.js';

type Executor = ReturnType<typeof buildHTTPExecutor>;

/** Another team's small schema, stitched beside the gateway's. */
const greetings = createSchema({
  typeDefs: 'type Query { greeting: String! }',
  resolvers: { Query: { greeting: () => 'hello' } },
});

async function introspect(executor: Executor, options: { oneOf: boolean }) {
  const result = (await executor({
    document: parse(getIntrospectionQuery({ oneOf: options.oneOf })),
  })) as { data: IntrospectionQuery };
  return buildClientSchema(result.data);
}

type Setup = (gateway: Awaited<ReturnType<typeof startGatewayOnSimulator>>) => Promise<{
  executor: Executor;
  subschema: GraphQLSchema;
}>;

const SETUPS: Array<[string, Setup]> = [
  [
    'in process (yoga.fetch, the schema object)',
    async (gateway) => ({
      executor: buildHTTPExecutor({
        endpoint: 'http://gateway.in-process/graphql',
        fetch: gateway.gateway.yoga.fetch,
      }),
      subschema: schema,
    }),
  ],
  [
    'over HTTP (loopback, introspected with oneOf: true)',
    async (gateway) => {
      const executor = buildHTTPExecutor({ endpoint: gateway.url });
      return { executor, subschema: await introspect(executor, { oneOf: true }) };
    },
  ],
];

describe.each(SETUPS)('the gateway stitched with another schema, %s', (_name, setup) => {
  let gateway: Awaited<ReturnType<typeof startGatewayOnSimulator>>;
  let stitched: ReturnType<typeof createYoga>;
  const send = (query: string, variables?: Record<string, unknown>) =>
    post(
      (url, init) => Promise.resolve(stitched.fetch(url, init)),
      'http://stitched.test/graphql',
      query,
      variables,
    );

  beforeAll(async () => {
    gateway = await startGatewayOnSimulator();
    const { executor, subschema } = await setup(gateway);
    const stitchedSchema = stitchSchemas({
      subschemas: [{ schema: subschema, executor }, { schema: greetings }],
    });
    stitched = createYoga({ schema: stitchedSchema, logging: false });
  });
  afterAll(async () => {
    await gateway?.close();
  });

  it('keeps UserIdentityInput a oneOf input in the stitched schema', () => {
    const type = stitched.getEnveloped().schema.getType('UserIdentityInput');
    expect(isInputObjectType(type) && type.isOneOf).toBe(true);
  });

  it('answers fields of both schemas in one query', async () => {
    const { body } = await send('{ greeting circleWalletsGateway { simulated } }');
    expect(body).toEqual({
      data: { greeting: 'hello', circleWalletsGateway: { simulated: true } },
    });
  });

  it('refreshes, then reports the reused refresh token as REFRESH_REJECTED with its upstream details', async () => {
    const session = gateway.simulator.createSession();
    const input = refreshInput(session);
    const first = await send(REFRESH_MUTATION, { input });
    expect(first.body.errors).toBeUndefined();
    expect((first.body.data!.refreshUserToken as { userId: string }).userId).toBe(session.userId);

    const again = await send(REFRESH_MUTATION, { input });
    expect(again.body.data ?? null).toBeNull();
    expect(again.body.errors?.[0]).toMatchObject({
      path: ['refreshUserToken'],
      extensions: { code: 'REFRESH_REJECTED', retryable: false, upstream: { status: 400 } },
    });
  });

  it('rejects both userId and userToken in variables before any upstream call', async () => {
    const session = gateway.simulator.createSession();
    const before = gateway.upstreamCalls();
    const { status, body } = await send(REFRESH_MUTATION, {
      input: {
        user: { userId: session.userId, userToken: session.userToken },
        deviceId: session.deviceId,
        refreshToken: session.refreshToken,
      },
    });
    expect(status).toBe(400);
    expect(body.errors?.[0]?.message).toContain('Exactly one key must be specified');
    expect(gateway.upstreamCalls()).toBe(before);
  });

  it('rejects an empty oneOf literal at validation', async () => {
    const before = gateway.upstreamCalls();
    const { body } = await send(
      'mutation { refreshUserToken(input: { user: {}, deviceId: "d", refreshToken: "r" }) { userToken } }',
    );
    expect(body.data ?? null).toBeNull();
    expect(body.errors?.[0]?.message).toMatch(/must specify exactly one key/);
    expect(gateway.upstreamCalls()).toBe(before);
  });
});

describe('stitched over HTTP from a plain introspection (no oneOf: true)', () => {
  let gateway: Awaited<ReturnType<typeof startGatewayOnSimulator>>;
  let stitched: ReturnType<typeof createYoga>;

  beforeAll(async () => {
    gateway = await startGatewayOnSimulator();
    const executor = buildHTTPExecutor({ endpoint: gateway.url });
    const subschema = await introspect(executor, { oneOf: false });
    stitched = createYoga({
      schema: stitchSchemas({
        subschemas: [{ schema: subschema, executor }, { schema: greetings }],
      }),
      logging: false,
    });
  });
  afterAll(async () => {
    await gateway?.close();
  });

  it('loses @oneOf in the stitched schema, and the gateway still answers BAD_USER_INPUT', async () => {
    const type = stitched.getEnveloped().schema.getType('UserIdentityInput');
    expect(isInputObjectType(type) && type.isOneOf).toBe(false);
    const session = gateway.simulator.createSession();
    const before = gateway.upstreamCalls();
    const { body } = await post(
      (url, init) => Promise.resolve(stitched.fetch(url, init)),
      'http://stitched.test/graphql',
      REFRESH_MUTATION,
      {
        input: {
          user: { userId: session.userId, userToken: session.userToken },
          deviceId: session.deviceId,
          refreshToken: session.refreshToken,
        },
      },
    );
    expect(body.data ?? null).toBeNull();
    expect(body.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT' });
    expect(gateway.upstreamCalls()).toBe(before);
  });
});
