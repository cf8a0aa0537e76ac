import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REFRESH_PATH } from '../circle/support.js';
import { jwtLike } from '../support/jwt.js';
import { REFRESH_MUTATION } from '../support/refresh.js';
import { postJson } from '../support/requests.js';
import {
  expectGraphQLResponse,
  FUZZ,
  MAX_BODY_BYTES,
  nest,
  type RawRequest,
  rawRequest,
  reachesCircle,
  refreshVariables,
  refusedCode,
  startFuzzTarget,
} from './fuzz-support.js';

/*
 * Both fuzzers run with a fixed seed (FUZZ_SEED to change it, FUZZ_RUNS for the run count);
 * fast-check prints the seed and the shrunk counterexample on a failure.
 */

/**
 * The refresh mutation's variables, fuzzed, sent through the gateway's real HTTP endpoint. Every
 * answer is a well-formed GraphQL response or a clean 4xx, never a 5xx; input the gateway's rules
 * refuse never reaches Circle, and input they accept reaches it unchanged.
 */
describe('the refresh mutation under fuzzed variables', () => {
  let target: Awaited<ReturnType<typeof startFuzzTarget>>;
  beforeAll(async () => {
    target = await startFuzzTarget();
  });
  afterAll(async () => {
    await target?.close();
  });

  it('answers every variables object well, and calls Circle only for valid input', async () => {
    let valid = 0;
    await fc.assert(
      fc.asyncProperty(refreshVariables, async (variables) => {
        // What the gateway receives is the JSON round trip: undefined and NaN do not survive it.
        const sent = JSON.parse(JSON.stringify(variables)) as Record<string, unknown>;
        const before = target.upstream.calls.length;
        const request = JSON.stringify({ query: REFRESH_MUTATION, variables: sent });
        const response = await postJson(target.gateway.graphqlUrl, request, {
          accept: 'application/json',
        });
        const text = await response.text();

        expect(response.status === 200 || (response.status >= 400 && response.status < 500)).toBe(
          true,
        );
        const body = expectGraphQLResponse(text);
        const calls = target.upstream.calls.slice(before);
        if (reachesCircle(sent) && Buffer.byteLength(request) <= MAX_BODY_BYTES) {
          valid += 1;
          expect(body.errors).toBeUndefined();
          const refresh = calls.find((call) => call.path === REFRESH_PATH);
          expect(refresh).toBeDefined();
          const input = sent.input as Record<string, unknown>;
          const user = input.user as Record<string, unknown>;
          const upstreamBody = JSON.parse(refresh!.body) as Record<string, unknown>;
          expect(upstreamBody.deviceId).toBe(input.deviceId);
          expect(upstreamBody.refreshToken).toBe(input.refreshToken);
          if (typeof input.idempotencyKey === 'string') {
            expect(upstreamBody.idempotencyKey).toBe(input.idempotencyKey);
          }
          if (user.userToken !== undefined) {
            expect(refresh!.headers['x-user-token']).toBe(user.userToken);
          }
        } else {
          expect(calls).toEqual([]);
          expect(body.errors?.[0]?.extensions?.code).toBe(refusedCode(sent));
        }
      }),
      FUZZ,
    );
    // The generator is meant to hit both sides of the line; a drift would hollow the test out.
    expect(valid).toBeGreaterThan(FUZZ.numRuns / 10);
    expect(valid).toBeLessThan(FUZZ.numRuns * 0.9);
  });
});

/**
 * Raw HTTP bodies, fuzzed, at the gateway's real endpoint: random JSON, bytes that are not JSON,
 * wrong content types, deep nesting, strings up to about 1 MB. Never a 5xx; a JSON answer is a
 * well-formed GraphQL response with contract codes; nothing but a valid refresh reaches Circle.
 */

/** Whether the request is a refresh the gateway must carry out, by the contract's rules. */
function isValidRefresh(request: RawRequest): boolean {
  if (typeof request.body !== 'string' || Buffer.byteLength(request.body) > MAX_BODY_BYTES) {
    return false;
  }
  // JSON has no charset but UTF-8 (RFC 8259): a charset parameter does not change the media type.
  if (!/^application\/(json|graphql\+json)\s*(;|$)/i.test(request.contentType ?? '')) return false;
  let parsed: unknown;
  try {
    parsed = JSON.parse(request.body);
  } catch {
    return false;
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return false;
  const { query, variables, operationName, extensions } = parsed as Record<string, unknown>;
  return (
    query === REFRESH_MUTATION &&
    (operationName === undefined ||
      operationName === null ||
      operationName === 'RefreshUserToken') &&
    (extensions === undefined ||
      (typeof extensions === 'object' && extensions !== null && !Array.isArray(extensions))) &&
    reachesCircle(variables)
  );
}

describe('the GraphQL endpoint under fuzzed HTTP bodies', () => {
  let target: Awaited<ReturnType<typeof startFuzzTarget>>;
  beforeAll(async () => {
    target = await startFuzzTarget();
  });
  afterAll(async () => {
    await target?.close();
  });

  const send = (request: RawRequest) => {
    const headers: Record<string, string> = {};
    if (request.contentType !== undefined) headers['content-type'] = request.contentType;
    if (request.accept !== undefined) headers.accept = request.accept;
    const body = typeof request.body === 'string' ? request.body : new Uint8Array(request.body);
    return fetch(target.gateway.graphqlUrl, { method: 'POST', headers, body });
  };

  it('never answers 5xx, answers JSON in GraphQL shape, and calls Circle only for a valid refresh', async () => {
    let valid = 0;
    await fc.assert(
      fc.asyncProperty(rawRequest, async (request) => {
        const before = target.upstream.calls.length;
        const response = await send(request);
        const text = await response.text();

        expect(response.status).toBeLessThan(500);
        const type = response.headers.get('content-type') ?? '';
        if (response.status < 300 || type.includes('json')) {
          expect(type).toMatch(/^application\/(graphql-response\+)?json/);
          expectGraphQLResponse(text);
        } else {
          expect(response.status).toBeGreaterThanOrEqual(400);
        }
        const calls = target.upstream.calls.length - before;
        if (isValidRefresh(request)) {
          valid += 1;
          expect(response.status).toBe(200);
          expect(calls).toBeGreaterThan(0);
        } else {
          expect(calls).toBe(0);
        }
      }),
      FUZZ,
    );
    expect(valid).toBeGreaterThan(0);
  });

  it('still serves a valid refresh after the fuzzing', async () => {
    const response = await send({
      body: JSON.stringify({
        query: REFRESH_MUTATION,
        variables: {
          input: { user: { userToken: jwtLike({}) }, deviceId: 'd', refreshToken: 'r' },
        },
      }),
      contentType: 'application/json',
      accept: 'application/json',
    });
    const body = expectGraphQLResponse(await response.text());
    expect(body.errors).toBeUndefined();
  });
});

describe('findings of the fuzzers', () => {
  let target: Awaited<ReturnType<typeof startFuzzTarget>>;
  beforeAll(async () => {
    target = await startFuzzTarget();
  });
  afterAll(async () => {
    await target?.close();
  });
  const post = (body: string, headers: Record<string, string> = {}) =>
    postJson(target.gateway.graphqlUrl, body, headers);
  const validBody = JSON.stringify({
    query: REFRESH_MUTATION,
    variables: { input: { user: { userToken: jwtLike({}) }, deviceId: 'd', refreshToken: 'r' } },
  });

  // Found by this fuzzer (a selection set ~2,000 deep overflowed graphql-js's recursive parser:
  // 500 INTERNAL_SERVER_ERROR); src/security/document-limits.ts and the body limit now refuse
  // such documents first. Kept as regression tests.
  it.each([
    [
      'a selection set nested 5,000 deep',
      `{${'circleWalletsGateway {'.repeat(5_000)}version${'}'.repeat(5_000)}}`,
    ],
    [
      'a list literal nested 5,000 deep',
      `mutation { refreshUserToken(input: ${nest(5_000, '[', ']', '')}) { userToken } }`,
    ],
    ['1 MB of nested selections', `{${' a {'.repeat(250_000)}${'}'.repeat(250_000)}}`],
  ])('answers %s with 400 BAD_USER_INPUT, not 500', async (_name, query) => {
    const response = await post(JSON.stringify({ query }));
    const body = expectGraphQLResponse(await response.text());
    expect(response.status).toBeLessThan(500);
    expect(body.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
  });

  // A refresh the gateway could not answer in an acceptable type must not run: Circle would
  // rotate the refresh token and the caller would lose the new pair.
  it.each(['text/html', 'application/xml'])(
    'does not call Circle for a refresh it cannot answer in the accepted type (%s)',
    async (mediaType) => {
      const before = target.upstream.calls.length;
      const response = await post(validBody, { accept: mediaType });
      expect(response.status).toBe(406);
      expect(target.upstream.calls.length).toBe(before);
    },
  );

  // Found while writing this suite (Yoga put the V8 SyntaxError, which quotes the body, into
  // `extensions.originalError`); src/http/error-codes-plugin.ts now allow-lists extensions. Kept as a
  // regression test.
  it('refuses a body that is not JSON without echoing its tokens', async () => {
    const broken = validBody
      .replace('"token"', '"SECRET-USER-TOKEN"')
      .replace('"r"', '"SECRET-REFRESH-TOKEN"')
      .replace(/}}}$/, ',}}}');
    const response = await post(broken);
    const text = await response.text();
    expect(response.status).toBeLessThan(500);
    expect(expectGraphQLResponse(text).errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(text).not.toContain('SECRET-USER-TOKEN');
    expect(text).not.toContain('SECRET-REFRESH-TOKEN');
  });
});
