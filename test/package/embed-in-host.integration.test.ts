import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import SchemaBuilder from '@pothos/core';
import { createYoga } from 'graphql-yoga';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHostYoga } from '../../examples/embed-in-host.js';
import {
  addRefreshUserToken,
  type CircleClient,
  createCircleClient,
  createLogger,
  type RunningSimulator,
  SIMULATOR_API_KEY,
  startCircleSimulator,
  useRefreshUserToken,
} from '../../src/public-api.js';
import { jwtLike } from '../support/jwt.js';
import { REFRESH_MUTATION } from '../support/refresh.js';
import { postJson } from '../support/requests.js';
import { refreshInput, refreshInputByUserId } from '../support/session.js';

/**
 * A platform team's own Yoga server with its own schema and its own context, adding
 * refreshUserToken with the package's two building blocks, served over a real socket, in front
 * of the Circle simulator on another.
 */

interface HostContext {
  /** The host's own notion of who is calling (here a header; in real life its session). */
  currentUser: string | null;
  /** A field whose name the gateway's context also has: it must stay the host's. */
  log: string;
}

function buildHostSchema() {
  const builder = new SchemaBuilder<{ Context: HostContext }>({});
  builder.queryType({
    fields: (t) => ({
      me: t.string({ nullable: true, resolve: (_root, _args, context) => context.currentUser }),
      hostLog: t.string({ resolve: (_root, _args, context) => context.log }),
    }),
  });
  builder.mutationType({
    fields: (t) => ({ ping: t.string({ resolve: () => 'pong' }) }),
  });
  // The one line that adds the module's types to the host's schema.
  addRefreshUserToken(builder);
  return builder.toSchema();
}

describe('refreshUserToken embedded in a host Yoga server', () => {
  let simulator: RunningSimulator;
  let client: CircleClient;
  let server: Server;
  let url: string;
  const logs: string[] = [];

  beforeAll(async () => {
    simulator = await startCircleSimulator();
    client = createCircleClient({ apiKey: SIMULATOR_API_KEY, baseUrl: simulator.url });
    const yoga = createYoga<Record<string, unknown>, HostContext>({
      schema: buildHostSchema(),
      context: ({ request }) => ({ currentUser: request.headers.get('x-user'), log: 'host-log' }),
      plugins: [
        // The one plugin that supplies the context the resolver needs, with its controls.
        useRefreshUserToken({
          client,
          logger: createLogger({ write: (line) => logs.push(line) }),
          // The host's session decides who may refresh by userId.
          authorizeUserId: ({ request, userId }) => request.headers.get('x-user') === userId,
          // Loopback is not exempt here: the device limit applies to this test's calls. The
          // address's share of Circle's quota is wide (test/security/upstream-fairness covers it),
          // so the refusals below are the controls each test names.
          security: {
            rateLimits: {
              perDevice: { rate: 1, burst: 2 },
              upstreamPerAddress: { rate: 100, burst: 100, refusalCost: 0 },
              exempt: [],
            },
          },
        }),
      ],
    });
    server = createServer(yoga);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`;
  });

  afterAll(async () => {
    await new Promise((resolve) => server?.close(resolve));
    await client?.close();
    await simulator?.close();
  });

  const post = async (body: unknown, headers: Record<string, string> = {}) => {
    const response = await postJson(url, body, headers);
    return {
      status: response.status,
      body: (await response.json()) as {
        data?: Record<string, unknown> | null;
        errors?: Array<{ message: string; extensions: Record<string, unknown> }>;
      },
    };
  };
  const refresh = (input: Record<string, unknown>, headers?: Record<string, string>) =>
    post({ query: REFRESH_MUTATION, variables: { input } }, headers);
  const upstreamCalls = () => simulator.simulator.requests.length;

  it("keeps the host's own fields and context, and refreshes against Circle", async () => {
    const own = await post({ query: '{ me hostLog }' }, { 'x-user': 'alice' });
    expect(own.body).toEqual({ data: { me: 'alice', hostLog: 'host-log' } });

    const session = simulator.simulator.createSession();
    const { body } = await refresh(refreshInput(session));
    expect(body.errors).toBeUndefined();
    const payload = body.data?.refreshUserToken as Record<string, string>;
    expect(payload.userToken).toMatch(/^ey/);
    expect(payload.userToken).not.toBe(session.userToken);
    expect(payload.refreshToken).not.toBe(session.refreshToken);
    expect(payload.userId).toBe(session.userId);
    expect(payload.expiresAt).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/);
    expect(upstreamCalls()).toBeGreaterThan(0);
  });

  it("answers Circle's refusal with the contract's code, then the device limit refuses without calling Circle", async () => {
    const session = simulator.simulator.createSession();
    const input = refreshInput(session);
    expect((await refresh(input)).body.errors).toBeUndefined();
    // The refresh token has rotated: Circle refuses the old one.
    const replay = await refresh(input);
    expect(replay.body.errors?.[0]?.extensions).toMatchObject({
      code: 'REFRESH_REJECTED',
      retryable: false,
    });
    expect(replay.body.errors?.[0]?.message).not.toContain(session.refreshToken);

    // Two calls in this second used the device's burst: the third stops at the gateway.
    const before = upstreamCalls();
    const limited = await refresh(input);
    expect(limited.body.errors?.[0]?.extensions).toMatchObject({
      code: 'RATE_LIMITED',
      retryable: true,
    });
    expect(upstreamCalls()).toBe(before);
  });

  it("refuses a userId the host's session does not vouch for, before any upstream call", async () => {
    const session = simulator.simulator.createSession();
    const input = refreshInputByUserId(session);
    const before = upstreamCalls();
    const refused = await refresh(input, { 'x-user': 'mallory' });
    expect(refused.body.errors?.[0]?.extensions).toMatchObject({ code: 'FORBIDDEN' });
    expect(upstreamCalls()).toBe(before);

    const allowed = await refresh(input, { 'x-user': session.userId });
    expect(allowed.body.errors).toBeUndefined();
    expect(allowed.body.data).toMatchObject({ refreshUserToken: { userId: session.userId } });
  });

  it('applies the input rules and never quotes a token back, before any upstream call', async () => {
    const before = upstreamCalls();
    const empty = await refresh({
      user: { userToken: 'some-user-token' },
      deviceId: ' ',
      refreshToken: 'secret-refresh-token',
    });
    expect(empty.body.errors?.[0]?.extensions).toMatchObject({
      code: 'BAD_USER_INPUT',
      field: 'input.deviceId',
    });
    // Both halves of the oneOf: graphql-js would quote the whole input, tokens included.
    const both = await refresh({
      user: { userId: 'user-12345', userToken: 'secret-user-token' },
      deviceId: 'device-1',
      refreshToken: 'secret-refresh-token',
    });
    expect(both.status).toBe(400);
    expect(both.body.errors).toHaveLength(1);
    expect(JSON.stringify(both.body)).not.toContain('secret-');
    expect(upstreamCalls()).toBe(before);
    expect(logs.join('\n')).not.toContain('secret-');
  });

  it('refuses an Accept it cannot answer before execution: the refresh token is not spent', async () => {
    const session = simulator.simulator.createSession();
    const before = upstreamCalls();
    const response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'image/png' },
      body: JSON.stringify({
        query: REFRESH_MUTATION,
        variables: {
          input: {
            user: { userToken: session.userToken },
            deviceId: session.deviceId,
            refreshToken: session.refreshToken,
          },
        },
      }),
    });
    expect(response.status).toBe(406);
    expect((await response.json()).errors[0].extensions.reason).toBe('NOT_ACCEPTABLE');
    expect(upstreamCalls()).toBe(before);
  });

  it('answers a masked INTERNAL_SERVER_ERROR when the host forgets the plugin', async () => {
    const bare = createYoga({ schema: buildHostSchema(), logging: false });
    const response = await postJson(
      'http://host/graphql',
      {
        query: REFRESH_MUTATION,
        variables: {
          input: {
            user: { userToken: jwtLike({ exp: 4_000_000_000 }) },
            deviceId: 'd',
            refreshToken: 'r',
          },
        },
      },
      {},
      { fetch: bare.fetch },
    );
    const body = (await response.json()) as {
      errors: Array<{ message: string; extensions: object }>;
    };
    expect(body.errors[0]).toMatchObject({
      message: 'Unexpected error.',
      extensions: { code: 'INTERNAL_SERVER_ERROR' },
    });
  });
});

describe('examples/embed-in-host.ts', () => {
  it('is shown as it is in docs/embedding.md', () => {
    const read = (path: string) => readFileSync(new URL(path, import.meta.url), 'utf8');
    expect(read('../../docs/embedding.md')).toContain(
      read('../../examples/embed-in-host.ts').trim(),
    );
  });

  it('refreshes through the example host, and refuses a userId its session does not name', async () => {
    const simulator = await startCircleSimulator();
    const client = createCircleClient({ apiKey: SIMULATOR_API_KEY, baseUrl: simulator.url });
    const server = createServer(createHostYoga(client));
    try {
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`;
      const session = simulator.simulator.createSession();
      const refresh = async (user: Record<string, string>, sessionUser: string) => {
        const response = await postJson(
          url,
          {
            query: REFRESH_MUTATION,
            variables: {
              input: { user, deviceId: session.deviceId, refreshToken: session.refreshToken },
            },
          },
          { 'x-session-user': sessionUser },
        );
        return (await response.json()) as {
          data?: { refreshUserToken: { userId: string } } | null;
          errors?: Array<{ extensions: { code: string } }>;
        };
      };
      const refused = await refresh({ userId: session.userId }, 'someone-else');
      expect(refused.errors?.[0]?.extensions.code).toBe('FORBIDDEN');
      const allowed = await refresh({ userId: session.userId }, session.userId);
      expect(allowed.errors).toBeUndefined();
      expect(allowed.data?.refreshUserToken.userId).toBe(session.userId);
    } finally {
      await new Promise((resolve) => server.close(resolve));
      await client.close();
      await simulator.close();
    }
  });
});
