import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SIMULATOR_API_KEY } from '../../src/http/server.js';
import { type RunningSimulator, startCircleSimulator } from '../../src/simulator/index.js';
import { createApiGateway } from '../support/api-gateway.js';
import { startTestGateway } from '../support/gateway-server.js';
import { type RawAnswer, rawPost } from '../support/loopback-gateway.js';
import { REFRESH_MUTATION } from '../support/refresh.js';
import {
  FUZZ,
  type RawRequest,
  rawRequest,
  refreshVariables,
  startFuzzTarget,
} from './fuzz-support.js';

/**
 * The fast path (src/http/fast-path.ts) must answer exactly as Yoga does. Two gateways share one
 * upstream: A with FAST_PATH=false (every request through Yoga), B with the fast path on and every
 * document already learned. Each request goes to A, then the same bytes to B; status, headers
 * (but Date) and body must be identical, and B's counter must show it served the request without
 * Yoga. Successful refreshes carry an idempotency key, so B's call is Circle's replay of A's and
 * the tokens match; request ids are fixed by an X-Request-Id header.
 */

type Gateway = Awaited<ReturnType<typeof startTestGateway>>;

const INFO = 'query Info { circleWalletsGateway { version simulated } }';
const TWO_OPERATIONS = `${INFO}\nquery Other { circleWalletsGateway { version } }`;
const JSON_TYPE = { 'content-type': 'application/json' };
const APP_ORIGIN = 'https://app.example.com';

const SHARED_ENV = {
  CIRCLE_API_KEY: SIMULATOR_API_KEY,
  UPSTREAM_MAX_ATTEMPTS: '2',
  UPSTREAM_RETRY_BASE_DELAY_MS: '1',
  UPSTREAM_RETRY_MAX_DELAY_MS: '2',
  UPSTREAM_RETRY_BUDGET_RATIO: '1',
  CIRCUIT_FAILURE_THRESHOLD: '1000',
  LOG_LEVEL: 'error',
};

describe('the fast path answers as Yoga does', () => {
  let upstream: RunningSimulator;
  let yoga: Gateway;
  let fast: Gateway;

  beforeAll(async () => {
    upstream = await startCircleSimulator({ fast: true });
    const env = { ...SHARED_ENV, CIRCLE_BASE_URL: upstream.url, CORS_ORIGINS: APP_ORIGIN };
    yoga = await startTestGateway({ ...env, FAST_PATH: 'false' });
    fast = await startTestGateway(env);
  });
  afterAll(async () => {
    await fast?.close();
    await yoga?.close();
    await upstream?.close();
  });

  /** Sends the same request to both gateways; B must serve it on the fast path. */
  async function both(headers: Record<string, string>, body: string) {
    const before = fast.gateway.fastPathStats().served;
    const a = await rawPost(yoga.graphqlUrl, headers, body);
    const b = await rawPost(fast.graphqlUrl, headers, body);
    expect(fast.gateway.fastPathStats().served, 'served by the fast path').toBe(before + 1);
    expect(yoga.gateway.fastPathStats().served).toBe(0);
    return { a, b };
  }

  const session = () => upstream.simulator.createSession();
  const requestId = () => ({ 'x-request-id': randomUUID() });

  const refreshCases: Array<[string, () => Promise<Record<string, unknown>>]> = [
    [
      'a refresh by userToken (200, new tokens)',
      async () => {
        const s = await session();
        return {
          input: {
            user: { userToken: s.userToken },
            deviceId: s.deviceId,
            refreshToken: s.refreshToken,
            idempotencyKey: randomUUID(),
          },
        };
      },
    ],
    [
      'a refresh by userId (mint, then refresh)',
      async () => {
        const s = await session();
        return {
          input: {
            user: { userId: s.userId },
            deviceId: s.deviceId,
            refreshToken: s.refreshToken,
            idempotencyKey: randomUUID(),
          },
        };
      },
    ],
    [
      'a user token Circle refuses (USER_TOKEN_INVALID)',
      async () => ({
        input: { user: { userToken: 'not.a.jwt' }, deviceId: 'device-1', refreshToken: 'r-1' },
      }),
    ],
    [
      'a blank refresh token (BAD_USER_INPUT, no upstream call)',
      async () => ({ input: { user: { userToken: 't' }, deviceId: 'd', refreshToken: '  ' } }),
    ],
    ['no input variable (coercion error, no data)', async () => ({})],
    [
      'both user fields (oneOf violation)',
      async () => ({
        input: { user: { userToken: 't', userId: randomUUID() }, deviceId: 'd', refreshToken: 'r' },
      }),
    ],
    [
      'no user field (oneOf violation)',
      async () => ({ input: { user: {}, deviceId: 'd', refreshToken: 'r' } }),
    ],
    [
      'a number for a string, and the caller value not echoed',
      async () => ({
        input: { user: { userToken: 'secret-token' }, deviceId: 42, refreshToken: 'r' },
      }),
    ],
    [
      'a misspelled field (with "Did you mean")',
      async () => ({
        input: { user: { userToken: 't' }, deviceID: 'd', refreshToken: 'r' },
      }),
    ],
    [
      'an idempotency key that is not a UUID',
      async () => ({
        input: {
          user: { userToken: 't' },
          deviceId: 'd',
          refreshToken: 'r',
          idempotencyKey: 'not-a-uuid',
        },
      }),
    ],
  ];

  for (const [name, variables] of refreshCases) {
    for (const accept of [undefined, 'application/graphql-response+json']) {
      it(`${name}, Accept ${accept ?? '(none)'}`, async () => {
        const body = JSON.stringify({ query: REFRESH_MUTATION, variables: await variables() });
        const headers = { ...JSON_TYPE, ...requestId(), ...(accept ? { accept } : {}) };
        const { a, b } = await both(headers, body);
        expect(b).toEqual(a);
      });
    }
  }

  it('an upstream that keeps failing (UPSTREAM_UNAVAILABLE after retries, same key)', async () => {
    const s = await session();
    const body = JSON.stringify({
      query: REFRESH_MUTATION,
      variables: {
        input: {
          user: { userToken: s.userToken },
          deviceId: s.deviceId,
          refreshToken: s.refreshToken,
          idempotencyKey: randomUUID(),
        },
      },
    });
    const headers = { ...JSON_TYPE, ...requestId() };
    upstream.simulator.injectFault({ status: 503, count: 2, path: 'refresh' });
    const a = await rawPost(yoga.graphqlUrl, headers, body);
    upstream.simulator.injectFault({ status: 503, count: 2, path: 'refresh' });
    const before = fast.gateway.fastPathStats().served;
    const b = await rawPost(fast.graphqlUrl, headers, body);
    expect(fast.gateway.fastPathStats().served).toBe(before + 1);
    expect(JSON.parse(a.body).errors[0].extensions.code).toBe('UPSTREAM_UNAVAILABLE');
    expect(b).toEqual(a);
  });

  const acceptValues = [
    '*/*',
    'application/json',
    'application/json, */*',
    'application/json, text/plain, */*',
    'application/graphql-response+json',
    'application/graphql-response+json, application/json',
    'application/graphql-response+json, application/json, multipart/mixed',
    'Application/JSON',
  ];
  for (const accept of acceptValues) {
    it(`a query with Accept ${accept}`, async () => {
      const { a, b } = await both(
        { ...JSON_TYPE, accept, ...requestId() },
        JSON.stringify({ query: INFO }),
      );
      expect(b).toEqual(a);
    });
  }

  it('operation names: the right one, a wrong one, none of two; variables null; extensions {}', async () => {
    for (const params of [
      { query: TWO_OPERATIONS, operationName: 'Info' },
      { query: INFO, operationName: 'Info', extensions: {} },
      { query: INFO, variables: null, operationName: null },
    ]) {
      const { a, b } = await both({ ...JSON_TYPE, ...requestId() }, JSON.stringify(params));
      expect(b).toEqual(a);
      expect(JSON.parse(b.body).data.circleWalletsGateway.version).toBeTypeOf('string');
    }
    // No operation to run: refused before execution, on both paths alike.
    for (const params of [
      { query: INFO, operationName: 'RefreshUserToken' },
      { query: TWO_OPERATIONS },
    ]) {
      const { a, b } = await both({ ...JSON_TYPE, ...requestId() }, JSON.stringify(params));
      expect(b).toEqual(a);
      expect(b.status).toBe(400);
    }
  });

  it('a browser origin: CORS headers for an allowed one, none for another', async () => {
    for (const origin of [APP_ORIGIN, 'https://elsewhere.example.com', 'null']) {
      for (const query of [INFO, REFRESH_MUTATION]) {
        const { a, b } = await both(
          { ...JSON_TYPE, origin, ...requestId() },
          JSON.stringify({ query, variables: {} }),
        );
        expect(b).toEqual(a);
        expect(b.headers['access-control-allow-origin']).toBe(
          origin === APP_ORIGIN ? APP_ORIGIN : undefined,
        );
      }
    }
  });

  it('a request id of its own when the caller sends none (or not a UUID)', async () => {
    for (const headers of [JSON_TYPE, { ...JSON_TYPE, 'x-request-id': 'not-a-uuid' }]) {
      const { a, b } = await both(headers, JSON.stringify({ query: INFO }));
      expect(b.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
      expect(b.headers['x-request-id']).not.toBe(a.headers['x-request-id']);
      expect({ ...b, headers: { ...b.headers, 'x-request-id': '' } }).toEqual({
        ...a,
        headers: { ...a.headers, 'x-request-id': '' },
      });
    }
  });

  it('leaves to Yoga what it does not serve, and Yoga answers it; serves new documents itself', async () => {
    const refresh = JSON.stringify({ query: INFO });
    // [headers, body, served by the fast path]
    const cases: Array<[Record<string, string>, string, boolean]> = [
      // Yoga's negotiation ignores q: this is application/json.
      [{ ...JSON_TYPE, accept: 'application/json;q=0.9' }, refresh, true],
      [{ ...JSON_TYPE, accept: 'text/html' }, refresh, false],
      [{ ...JSON_TYPE, accept: 'application/json; charset=iso-8859-1' }, refresh, false],
      [{ ...JSON_TYPE, accept: 'text/event-stream' }, refresh, false],
      [{ 'content-type': 'text/plain' }, refresh, false],
      // Media types are Yoga's exact strings: 415 on both paths.
      [{ 'content-type': 'Application/JSON' }, refresh, false],
      [{ 'content-type': 'application/json; charset=utf-8' }, refresh, true],
      [{ 'content-type': 'application/graphql+json' }, refresh, true],
      [JSON_TYPE, '{"query": ', false],
      [JSON_TYPE, JSON.stringify([{ query: INFO }]), false],
      [JSON_TYPE, JSON.stringify({ query: INFO, documentId: 'x' }), false],
      [JSON_TYPE, JSON.stringify({ query: INFO, extensions: { persistedQuery: {} } }), false],
      // A document never seen before: no learning, the fast path validates it through envelop.
      [
        JSON_TYPE,
        JSON.stringify({ query: `{ circleWalletsGateway { version } } # ${randomUUID()}` }),
        true,
      ],
      // The document key of the old fast path joined name and text with a newline: these two
      // collided. Both are answered on their own terms.
      [
        JSON_TYPE,
        JSON.stringify({ query: 'query\nquery { circleWalletsGateway { version } }' }),
        true,
      ],
      [
        JSON_TYPE,
        JSON.stringify({
          query: 'query { circleWalletsGateway { version } }',
          operationName: 'query',
        }),
        true,
      ],
    ];
    for (const [headers, body, served] of cases) {
      const before = fast.gateway.fastPathStats().served;
      const withId = { ...headers, ...requestId() };
      const a = await rawPost(yoga.graphqlUrl, withId, body);
      const b = await rawPost(fast.graphqlUrl, withId, body);
      expect(fast.gateway.fastPathStats().served, body).toBe(before + (served ? 1 : 0));
      expect(b, `${JSON.stringify(headers)} ${body}`).toEqual(a);
    }
  });

  it('refuses a document a limit refuses, on the fast path as in Yoga', async () => {
    // Eleven aliases: over MAX_ALIASES (10).
    const deep = `{ ${Array.from({ length: 11 }, (_, i) => `a${i}: circleWalletsGateway { version }`).join(' ')} }`;
    for (let i = 0; i < 3; i += 1) {
      const { a, b } = await both(
        { ...JSON_TYPE, ...requestId() },
        JSON.stringify({ query: deep }),
      );
      expect(b).toEqual(a);
      expect(b.status).toBe(400);
    }
  });
});

describe('the fast path keeps the request-level controls', () => {
  let upstream: RunningSimulator;
  let yoga: Gateway;
  let fast: Gateway;

  beforeAll(async () => {
    upstream = await startCircleSimulator({ fast: true });
    const env = {
      ...SHARED_ENV,
      CIRCLE_BASE_URL: upstream.url,
      // Nothing exempt, one refresh per device, eight requests per address for the whole test.
      RATE_LIMIT_EXEMPT: 'none',
      RATE_LIMIT_DEVICE_RATE: '1',
      RATE_LIMIT_DEVICE_BURST: '1',
      RATE_LIMIT_ADDRESS_RATE: '1',
      RATE_LIMIT_ADDRESS_BURST: '8',
      USER_ID_PATH: 'disabled',
      FIELD_SUGGESTIONS: 'false',
      HSTS_MAX_AGE: '600',
    };
    yoga = await startTestGateway({ ...env, FAST_PATH: 'false' });
    fast = await startTestGateway(env);
  });
  afterAll(async () => {
    await fast?.close();
    await yoga?.close();
    await upstream?.close();
  });

  it('device limit, userId switch, hidden suggestions, HSTS, then the address limit', async () => {
    const s = await upstream.simulator.createSession();
    const refresh = (input: Record<string, unknown>) =>
      JSON.stringify({ query: REFRESH_MUTATION, variables: { input } });
    const byToken = {
      user: { userToken: s.userToken },
      deviceId: s.deviceId,
      refreshToken: s.refreshToken,
      idempotencyKey: randomUUID(),
    };
    const bodies = [
      // 1: the device spends its one token.
      refresh(byToken),
      // 2: the same device again: RATE_LIMITED (429 and Retry-After from inside execution).
      refresh({ ...byToken, idempotencyKey: randomUUID() }),
      // 3: userId is switched off: FORBIDDEN (403).
      refresh({ ...byToken, user: { userId: s.userId }, deviceId: 'other-device' }),
      // 4: a misspelled field, without "Did you mean".
      refresh({ user: { userToken: 't' }, deviceID: 'd', refreshToken: 'r' }),
    ];
    // Each gateway gets the same sequence; the device's refill (1/s) needs 1 and 2 back to back.
    const headers = bodies.map(() => ({ ...JSON_TYPE, 'x-request-id': randomUUID() }));
    const send = async (gateway: Gateway) => {
      const answers: RawAnswer[] = [];
      const served: number[] = [];
      for (const [i, body] of bodies.entries()) {
        answers.push(await rawPost(gateway.graphqlUrl, headers[i]!, body));
        served.push(gateway.gateway.fastPathStats().served);
      }
      return { answers, served };
    };
    const a = await send(yoga);
    const b = await send(fast);
    expect(b.answers).toEqual(a.answers);
    const served = b.served;
    const results = a.answers.map((answer, i) => [answer, b.answers[i]!] as [RawAnswer, RawAnswer]);
    expect(served).toEqual([1, 2, 3, 4]);
    const [first, limited, forbidden, misspelled] = results.map(([, b]) => b) as RawAnswer[];
    expect(first!.status).toBe(200);
    expect(first!.headers['strict-transport-security']).toBe('max-age=600');
    expect(limited!.status).toBe(429);
    expect(limited!.headers['retry-after']).toBeDefined();
    expect(JSON.parse(limited!.body).errors[0].extensions.code).toBe('RATE_LIMITED');
    expect(forbidden!.status).toBe(403);
    expect(JSON.parse(forbidden!.body).errors[0].extensions.code).toBe('FORBIDDEN');
    expect(misspelled!.body).not.toContain('Did you mean');

    // Then the address limit (burst 8, 1/s): requests until the first refusal, which comes
    // before the body is read, on each gateway.
    const info = JSON.stringify({ query: INFO });
    const untilRefused = async (gateway: Gateway) => {
      const headers = { ...JSON_TYPE, 'x-request-id': randomUUID() };
      for (let i = 0; i < 50; i += 1) {
        const answer = await rawPost(gateway.graphqlUrl, headers, info);
        if (answer.status !== 200) return { answer, headers };
      }
      throw new Error('never refused');
    };
    const refusedA = await untilRefused(yoga);
    const servedBefore = fast.gateway.fastPathStats().served;
    const refusedB = await untilRefused(fast);
    expect(refusedB.answer.status).toBe(429);
    expect(JSON.parse(refusedB.answer.body).errors[0].extensions.code).toBe('RATE_LIMITED');
    const sameId = (answer: RawAnswer) => ({
      ...answer,
      headers: { ...answer.headers, 'x-request-id': '' },
    });
    expect(sameId(refusedB.answer)).toEqual(sameId(refusedA.answer));
    // B served the INFO requests before the refusal on the fast path.
    expect(fast.gateway.fastPathStats().served).toBeGreaterThan(servedBefore);
  });
});

/**
 * Fuzzed variables of the refresh mutation through both paths, on a recording upstream that
 * answers every call the same way: the answers must be the same whatever the input.
 */
describe('the fast path under fuzzed variables', () => {
  let upstream: Awaited<ReturnType<typeof startFuzzTarget>>['upstream'];
  let yoga: Gateway;
  let fast: Gateway;

  beforeAll(async () => {
    const target = await startFuzzTarget();
    upstream = target.upstream;
    await target.gateway.close();
    const env = {
      CIRCLE_API_KEY: 'TEST_API_KEY:fuzz:secret',
      CIRCLE_BASE_URL: upstream.url,
      RATE_LIMIT_DEVICE_RATE: '0',
      LOG_LEVEL: 'error',
    };
    yoga = await startTestGateway({ ...env, FAST_PATH: 'false' });
    fast = await startTestGateway(env);
    await rawPost(fast.graphqlUrl, JSON_TYPE, JSON.stringify({ query: REFRESH_MUTATION }));
  });
  afterAll(async () => {
    await fast?.close();
    await yoga?.close();
    await upstream?.close();
  });

  // Keys the gateway makes up when the caller sends none differ between two gateways, and the
  // upstream's tokens are not JWTs, so expiresAt is the gateway's clock (a second may tick).
  const madeUp = (answer: RawAnswer) => ({
    ...answer,
    body: answer.body
      .replace(/"idempotencyKey":"[0-9a-f-]{36}"/g, '"idempotencyKey":"*"')
      .replace(/"expiresAt":"[^"]+"/g, '"expiresAt":"*"'),
  });

  it('answers every variables object as Yoga does', async () => {
    const servedBefore = fast.gateway.fastPathStats().served;
    await fc.assert(
      fc.asyncProperty(refreshVariables, async (variables) => {
        const body = JSON.stringify({ query: REFRESH_MUTATION, variables });
        const headers = { ...JSON_TYPE, 'x-request-id': randomUUID() };
        const a = await rawPost(yoga.graphqlUrl, headers, body);
        const b = await rawPost(fast.graphqlUrl, headers, body);
        expect(madeUp(b)).toEqual(madeUp(a));
      }),
      FUZZ,
    );
    // Everything within the body limit is the fast path's (the limit's 413 is Yoga's).
    expect(fast.gateway.fastPathStats().served - servedBefore).toBeGreaterThan(FUZZ.numRuns * 0.9);
  });

  it('answers every raw request as Yoga does: served or passed on', async () => {
    const send = (url: string, request: RawRequest, requestId: string) => {
      const headers: Record<string, string> = { 'x-request-id': requestId };
      if (request.contentType !== undefined) headers['content-type'] = request.contentType;
      if (request.accept !== undefined) headers.accept = request.accept;
      return rawPost(url, headers, request.body);
    };
    await fc.assert(
      fc.asyncProperty(rawRequest, async (request) => {
        const id = randomUUID();
        const a = await send(yoga.graphqlUrl, request, id);
        const b = await send(fast.graphqlUrl, request, id);
        expect(madeUp(b)).toEqual(madeUp(a));
      }),
      { ...FUZZ, numRuns: Math.ceil(FUZZ.numRuns / 2) },
    );
  });
});

describe('the fast path with an authorizeUserId hook', () => {
  it('hands the hook the request, headers and all, and refuses or allows as Yoga does', async () => {
    const asked: Array<[string, string | null]> = [];
    const api = createApiGateway({
      gateway: {
        authorizeUserId: ({ request, userId }) => {
          asked.push([userId, request.headers.get('authorization')]);
          return request.headers.get('authorization') === `Bearer user:${userId}`;
        },
      },
    });
    const server = createServer(api.gateway.handleNodeRequest);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`;
    try {
      const body = JSON.stringify({
        query: REFRESH_MUTATION,
        variables: { input: { user: { userId: 'user-1' }, deviceId: 'd-1', refreshToken: 'r-1' } },
      });
      const as = (who: string) => ({ ...JSON_TYPE, authorization: `Bearer user:${who}` });
      // All three on the fast path: a new document needs no first pass through Yoga.
      const first = await rawPost(url, as('user-2'), body);
      const refused = await rawPost(url, as('user-3'), body);
      api.onMint({ body: { data: { userToken: 'minted', encryptionKey: 'k' } } });
      api.onRefresh({ body: { data: { userToken: 'new-user-token', refreshToken: 'rt-2' } } });
      const allowed = await rawPost(url, as('user-1'), body);

      expect(api.gateway.fastPathStats().served).toBe(3);
      expect(asked).toEqual([
        ['user-1', 'Bearer user:user-2'],
        ['user-1', 'Bearer user:user-3'],
        ['user-1', 'Bearer user:user-1'],
      ]);
      for (const answer of [first, refused]) {
        expect(answer.status).toBe(403);
        expect(JSON.parse(answer.body).errors[0].extensions).toMatchObject({
          code: 'FORBIDDEN',
          reason: 'USER_ID_NOT_AUTHORIZED',
        });
      }
      expect(refused.body.replace(/"requestId":"[^"]+"/, '')).toBe(
        first.body.replace(/"requestId":"[^"]+"/, ''),
      );
      expect(allowed.status).toBe(200);
      expect(JSON.parse(allowed.body).data.refreshUserToken.userToken).toBe('new-user-token');
      expect(api.requests).toHaveLength(2);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });
});

describe('the fast path in production with trusted documents', () => {
  let upstream: RunningSimulator;
  let yoga: Gateway;
  let fast: Gateway;
  const manifest = Object.entries(
    JSON.parse(readFileSync('src/generated/persisted-documents.json', 'utf8')) as Record<
      string,
      string
    >,
  );
  const idOf = (operation: string) => manifest.find(([, text]) => text.includes(operation))![0];

  beforeAll(async () => {
    upstream = await startCircleSimulator({ fast: true });
    const env = {
      ...SHARED_ENV,
      CIRCLE_BASE_URL: upstream.url,
      NODE_ENV: 'production',
      TRUSTED_DOCUMENTS: 'true',
      CORS_ORIGINS: APP_ORIGIN,
    };
    yoga = await startTestGateway({ ...env, FAST_PATH: 'false' });
    fast = await startTestGateway(env);
  });
  afterAll(async () => {
    await fast?.close();
    await yoga?.close();
    await upstream?.close();
  });

  const send = async (headers: Record<string, string>, body: string, served: boolean) => {
    const before = fast.gateway.fastPathStats().served;
    const withId = { ...JSON_TYPE, 'x-request-id': randomUUID(), ...headers };
    const a = await rawPost(yoga.graphqlUrl, withId, body);
    const b = await rawPost(fast.graphqlUrl, withId, body);
    expect(fast.gateway.fastPathStats().served, body).toBe(before + (served ? 1 : 0));
    expect(b, body).toEqual(a);
    return b;
  };

  it('serves documentId requests on the fast path, with an Authorization header too', async () => {
    const s = await upstream.simulator.createSession();
    const refresh = await send(
      { authorization: 'Bearer host-session', origin: APP_ORIGIN },
      JSON.stringify({
        documentId: idOf('RefreshUserToken'),
        variables: {
          input: {
            user: { userToken: s.userToken },
            deviceId: s.deviceId,
            refreshToken: s.refreshToken,
            idempotencyKey: randomUUID(),
          },
        },
      }),
      true,
    );
    expect(refresh.status).toBe(200);
    expect(JSON.parse(refresh.body).data.refreshUserToken.userToken).toBeTypeOf('string');
    const info = await send({}, JSON.stringify({ documentId: idOf('GatewayInfo') }), true);
    expect(JSON.parse(info.body).data.circleWalletsGateway.simulated).toBe(false);
  });

  it('refuses what is not in the manifest as Yoga does', async () => {
    // [body, served by the fast path, status]
    const cases: Array<[string, boolean, number]> = [
      [JSON.stringify({ documentId: 'sha256:0000' }), true, 400],
      [JSON.stringify({ query: '{ circleWalletsGateway { version } }' }), true, 400],
      [JSON.stringify({ query: '{ __schema { types { name } } }' }), true, 400],
      [JSON.stringify({ documentId: 42 }), false, 400],
      // The stored text runs, whatever text came with the id.
      [JSON.stringify({ documentId: idOf('GatewayInfo'), query: '{ __typename }' }), false, 200],
      [
        JSON.stringify({ extensions: { persistedQuery: { sha256Hash: idOf('GatewayInfo') } } }),
        false,
        200,
      ],
    ];
    for (const [body, served, status] of cases) {
      const answer = await send({}, body, served);
      expect(answer.status, body).toBe(status);
    }
  });

  it('passes requests to Yoga while draining, and both answer 503 alike', async () => {
    yoga.gateway.drain();
    fast.gateway.drain();
    const answer = await send({}, JSON.stringify({ documentId: idOf('GatewayInfo') }), false);
    expect(answer.status).toBe(503);
  });
});
