import { printSubgraphSchema } from '@apollo/subgraph';
import { createGatewayRuntime } from '@graphql-hive/gateway';
import { composeServices } from '@theguild/federation-composition';
import { buildSchema, isInputObjectType, isSpecifiedScalarType, parse, printSchema } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { schema } from '../../src/schema/index.js';
import { subgraphSchema, subgraphSdl } from '../../src/subgraph.js';
import { REFRESH_MUTATION } from '../support/refresh.js';
import { refreshInput } from '../support/session.js';
import { post, startAccountSubgraph, startGatewayOnSimulator } from './support.js';

const ONE_OF_INPUT = /input UserIdentityInput\b[^{]*@oneOf[^{]*\{/;

describe('the gateway as a federation v2 subgraph', () => {
  it('answers _service { sdl } with the @link and @oneOf on UserIdentityInput', async () => {
    const tokens = await startGatewayOnSimulator({ subgraph: true });
    try {
      const { body } = await post(fetch, tokens.url, '{ _service { sdl } }');
      const sdl = (body.data!._service as { sdl: string }).sdl;
      expect(sdl).toBe(subgraphSdl);
      expect(sdl).toMatch(
        /extend schema @link\(url: "https:\/\/specs\.apollo\.dev\/federation\/v2\.\d+"/,
      );
      expect(sdl).toMatch(ONE_OF_INPUT);
    } finally {
      await tokens.close();
    }
  });

  it('has the same types and fields as the public schema, plus _service', () => {
    const fromSdl = buildSchema(subgraphSdl, { assumeValidSDL: true });
    for (const type of Object.values(schema.getTypeMap())) {
      if (type.name.startsWith('__') || isSpecifiedScalarType(type)) continue;
      const ours = fromSdl.getType(type.name);
      expect(ours, type.name).toBeDefined();
      if ('getFields' in type && ours && 'getFields' in ours) {
        const names = Object.keys(ours.getFields()).filter((name) => name !== '_service');
        expect(names.sort(), type.name).toEqual(Object.keys(type.getFields()).sort());
      }
      if (isInputObjectType(type))
        expect(isInputObjectType(ours) && ours.isOneOf).toBe(type.isOneOf);
    }
    expect(Object.keys(subgraphSchema.getQueryType()!.getFields()).sort()).toEqual([
      '_service',
      'circleWalletsGateway',
    ]);
  });

  it('leaves the public schema alone: no _service, no @link', () => {
    const printed = printSchema(schema);
    expect(printed).not.toContain('_service');
    expect(printed).not.toContain('@link');
  });
});

describe('composed with a second subgraph, behind Hive Gateway', () => {
  let tokens: Awaited<ReturnType<typeof startGatewayOnSimulator>>;
  let accounts: Awaited<ReturnType<typeof startAccountSubgraph>>;
  let supergraphSdl: string;
  let runtime: ReturnType<typeof createGatewayRuntime>;
  const send = (query: string, variables?: Record<string, unknown>) =>
    post(
      (url, init) => Promise.resolve(runtime.fetch(url, init)),
      'http://gateway.test/graphql',
      query,
      variables,
    );

  beforeAll(async () => {
    tokens = await startGatewayOnSimulator({ subgraph: true });
    accounts = await startAccountSubgraph();
    // What a schema registry does: fetch each subgraph's SDL, compose, hand out the supergraph.
    const { body } = await post(fetch, tokens.url, '{ _service { sdl } }');
    const result = composeServices([
      {
        name: 'tokens',
        typeDefs: parse((body.data!._service as { sdl: string }).sdl),
        url: tokens.url,
      },
      { name: 'accounts', typeDefs: parse(accounts.typeDefs), url: accounts.url },
    ]);
    expect(result.errors).toBeUndefined();
    supergraphSdl = result.supergraphSdl!;
    runtime = createGatewayRuntime({ supergraph: supergraphSdl, logging: false });
  });
  afterAll(async () => {
    await runtime?.[Symbol.asyncDispose]();
    await accounts?.close();
    await tokens?.close();
  });

  it('composes without errors and the supergraph keeps @oneOf on UserIdentityInput', () => {
    expect(supergraphSdl).toMatch(ONE_OF_INPUT);
    expect(supergraphSdl).toMatch(/type Account\b/);
  });

  it('would lose @oneOf with the SDL @apollo/subgraph prints (why _service is post-processed)', () => {
    const result = composeServices([
      { name: 'tokens', typeDefs: parse(printSubgraphSchema(subgraphSchema)), url: tokens.url },
      { name: 'accounts', typeDefs: parse(accounts.typeDefs), url: accounts.url },
    ]);
    expect(result.errors).toBeUndefined();
    expect(result.supergraphSdl).toMatch(/input UserIdentityInput\b/);
    expect(result.supergraphSdl).not.toMatch(ONE_OF_INPUT);
  });

  it('answers fields of both subgraphs in one query', async () => {
    const { body } = await send(
      '{ account(id: "acct-1") { displayName } circleWalletsGateway { simulated } }',
    );
    expect(body).toEqual({
      data: { account: { displayName: 'Ada' }, circleWalletsGateway: { simulated: true } },
    });
  });

  it('runs refreshUserToken through the federation gateway to Circle and back', async () => {
    const session = tokens.simulator.createSession();
    const before = tokens.upstreamCalls();
    const { body } = await send(REFRESH_MUTATION, {
      input: refreshInput(session),
    });
    expect(body.errors).toBeUndefined();
    const payload = body.data?.refreshUserToken as Record<string, string>;
    expect(payload.userId).toBe(session.userId);
    expect(payload.userToken).not.toBe(session.userToken);
    const upstream = tokens.simulator.requests.slice(before);
    expect(upstream.map((call) => call.path)).toEqual(['/v1/w3s/users/token/refresh']);
    expect(upstream[0]!.headers['x-request-id']).toBe(payload.requestId);
  });

  it('rejects a broken oneOf in variables (both keys) without calling the subgraph or Circle', async () => {
    const session = tokens.simulator.createSession();
    const before = tokens.upstreamCalls();
    const { status, body } = await send(REFRESH_MUTATION, {
      input: {
        user: { userId: session.userId, userToken: session.userToken },
        deviceId: session.deviceId,
        refreshToken: session.refreshToken,
      },
    });
    expect(status).toBe(400);
    expect(body.data ?? null).toBeNull();
    expect(body.errors?.[0]?.message).toContain('Exactly one key must be specified');
    expect(tokens.upstreamCalls()).toBe(before);
  });

  it('rejects a broken oneOf in the document (neither key) at validation', async () => {
    const before = tokens.upstreamCalls();
    const { body } = await send(
      'mutation { refreshUserToken(input: { user: {}, deviceId: "device", refreshToken: "r" }) { userToken } }',
    );
    expect(body.data ?? null).toBeNull();
    expect(body.errors?.[0]?.message).toMatch(/must specify exactly one key/);
    expect(tokens.upstreamCalls()).toBe(before);
  });

  it('keeps the upstream error code: a rotated refresh token reused is REFRESH_REJECTED', async () => {
    const session = tokens.simulator.createSession();
    const input = refreshInput(session);
    const first = await send(REFRESH_MUTATION, { input });
    expect(first.body.errors).toBeUndefined();
    const again = await send(REFRESH_MUTATION, { input });
    expect(again.body.data ?? null).toBeNull();
    expect(again.body.errors?.[0]?.extensions).toMatchObject({
      code: 'REFRESH_REJECTED',
      retryable: false,
      upstream: { status: 400 },
    });
  });
});
