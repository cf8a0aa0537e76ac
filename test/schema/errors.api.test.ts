import { describe, expect, it } from 'vitest';
import {
  API_KEY,
  createApiGateway,
  createBrokenGateway,
  type GraphQLErrorBody,
  type UpstreamAnswer,
} from '../support/api-gateway.js';
import { jwtLike } from '../support/jwt.js';
import { REFRESH_MUTATION } from '../support/refresh.js';
import { postJson } from '../support/requests.js';

const USER_TOKEN = jwtLike({ sub: 'user-token-SENT-0001' });
const REFRESH_TOKEN = 'refresh-token-SENT-0001';
const SECRETS = [API_KEY, 'gw-test-key-secret', USER_TOKEN, REFRESH_TOKEN];

const byToken = {
  input: {
    user: { userToken: USER_TOKEN },
    deviceId: 'device-0001',
    refreshToken: REFRESH_TOKEN,
  },
};

const circle = (status: number, code: number, message: string): UpstreamAnswer => ({
  status,
  body: { code, message },
  headers: { 'x-request-id': `circle-${status}-${code}` },
});

/** A retryable error names the idempotency key the mutation used, so a retry can reuse it. */
const UUID_V4 = expect.stringMatching(
  /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
);

function expectNoSecret(text: string) {
  for (const secret of SECRETS) expect(text).not.toContain(secret);
}

async function onlyError(
  api: ReturnType<typeof createApiGateway>,
  variables: Record<string, unknown> = byToken,
): Promise<GraphQLErrorBody> {
  const { body, text, headers } = await api.graphql(REFRESH_MUTATION, variables);
  expectNoSecret(text);
  expect(headers.get('cache-control')).toBe('no-store');
  expect(body.data).toBeNull();
  expect(body.errors).toHaveLength(1);
  return body.errors?.[0] as GraphQLErrorBody;
}

describe('errors Circle answers', () => {
  it.each([
    [403, 155104, 'The userToken is expired.', 'USER_TOKEN_EXPIRED'],
    [401, 155103, 'Invalid userToken.', 'USER_TOKEN_INVALID'],
    [403, 155105, 'Malformed userToken.', 'USER_TOKEN_INVALID'],
    [409, 155109, 'The user is disabled.', 'USER_DISABLED'],
    [400, 155113, 'Invalid deviceId.', 'DEVICE_INVALID'],
    [400, 155137, 'deviceId does not match.', 'DEVICE_INVALID'],
    [400, 2, 'API parameter invalid.', 'REFRESH_REJECTED'],
    [400, -1, 'Something went wrong.', 'REFRESH_REJECTED'],
    [418, 999_999, 'I am a teapot.', 'REFRESH_REJECTED'],
  ])(
    'answers %i / %i as %s, not retryable, with the upstream details',
    async (status, code, message, expected) => {
      const api = createApiGateway();
      api.onRefresh(circle(status, code, message), { persist: true });

      const error = await onlyError(api);

      expect(error.path).toEqual(['refreshUserToken']);
      expect(error.extensions).toEqual({
        code: expected,
        retryable: false,
        upstream: { status, code, requestId: `circle-${status}-${code}`, message },
      });
      expect(api.requests).toHaveLength(1);
    },
  );

  it('answers REFRESH_REJECTED for an unknown 4xx with no readable body', async () => {
    const api = createApiGateway();
    api.onRefresh({ status: 422, body: '<html>no</html>', headers: { 'x-request-id': 'r-422' } });

    const error = await onlyError(api);

    expect(error.message).toBe('Circle rejected the request (HTTP 422).');
    expect(error.extensions).toEqual({
      code: 'REFRESH_REJECTED',
      retryable: false,
      upstream: { status: 422, code: null, requestId: 'r-422', message: null },
    });
  });

  it('answers USER_NOT_FOUND when the mint says 404 / 155102', async () => {
    const api = createApiGateway();
    api.onMint(circle(404, 155102, 'Cannot find the user.'));

    const error = await onlyError(api, {
      input: {
        user: { userId: 'user-0404' },
        deviceId: 'device-0001',
        refreshToken: REFRESH_TOKEN,
      },
    });

    expect(error.extensions).toEqual({
      code: 'USER_NOT_FOUND',
      retryable: false,
      upstream: {
        status: 404,
        code: 155102,
        requestId: 'circle-404-155102',
        message: 'Cannot find the user.',
      },
    });
  });

  it('answers RATE_LIMITED with retryAfter 1 after every allowed attempt got a 429', async () => {
    const api = createApiGateway();
    api.onRefresh(
      { status: 429, body: '', headers: { 'x-request-id': 'r-429' } },
      { persist: true },
    );

    const error = await onlyError(api);

    expect(error.extensions).toEqual({
      code: 'RATE_LIMITED',
      retryable: true,
      idempotencyKey: UUID_V4,
      retryAfter: 1,
      upstream: { status: 429, code: null, requestId: 'r-429', message: null },
    });
    expect(api.requests).toHaveLength(3);
  });

  it("answers RATE_LIMITED with Circle's Retry-After when it is longer than the deadline", async () => {
    const api = createApiGateway();
    api.onRefresh(
      { status: 429, body: '', headers: { 'x-request-id': 'r-429', 'retry-after': '30' } },
      { persist: true },
    );

    const error = await onlyError(api);

    expect(error.extensions).toMatchObject({
      code: 'RATE_LIMITED',
      retryable: true,
      idempotencyKey: UUID_V4,
      retryAfter: 30,
    });
    expect(error.message).toBe('Circle is rate limiting these calls. Retry after 30 s.');
    expect(api.requests).toHaveLength(1);
  });

  it.each([
    [
      401,
      401,
      `Malformed authorization. Is the authorization type missing? Key ${API_KEY.slice(0, 12)}`,
    ],
    [403, 3, 'Forbidden: the API key has no access to this resource.'],
  ])(
    'answers %i / %i as UPSTREAM_AUTH_FAILED with a generic message',
    async (status, code, text) => {
      const api = createApiGateway();
      api.onRefresh(circle(status, code, text), { persist: true });

      const error = await onlyError(api);

      expect(error.message).toBe(
        "The gateway could not authenticate with Circle. This is not your request's fault.",
      );
      expect(error.message).not.toContain(text);
      expect(error.extensions).toMatchObject({
        code: 'UPSTREAM_AUTH_FAILED',
        retryable: false,
        upstream: { status, code, requestId: `circle-${status}-${code}` },
      });
      expect(api.requests).toHaveLength(1);
    },
  );

  it('answers UPSTREAM_TIMEOUT when the deadline passes before Circle answers', async () => {
    const api = createApiGateway({ gateway: { mutationDeadlineMs: 100 } });
    api.onRefresh({ body: { data: { userToken: 'late' } } }, { delayMs: 2_000, persist: true });
    const started = Date.now();

    const error = await onlyError(api);

    expect(Date.now() - started).toBeLessThan(1_500);
    expect(error.extensions).toEqual({
      code: 'UPSTREAM_TIMEOUT',
      retryable: true,
      idempotencyKey: UUID_V4,
    });
  });

  it.each([500, 502, 503, 504])(
    'answers UPSTREAM_UNAVAILABLE when Circle keeps answering %i',
    async (status) => {
      const api = createApiGateway();
      api.onRefresh(circle(status, -1, 'Internal error.'), { persist: true });

      const error = await onlyError(api);

      expect(error.extensions).toEqual({
        code: 'UPSTREAM_UNAVAILABLE',
        retryable: true,
        idempotencyKey: UUID_V4,
        upstream: {
          status,
          code: -1,
          requestId: `circle-${status}--1`,
          message: 'Internal error.',
        },
      });
      expect(api.requests).toHaveLength(3);
    },
  );

  it('answers UPSTREAM_UNAVAILABLE when the connection fails on every attempt', async () => {
    const api = createApiGateway();
    api.upstream
      .intercept({ path: '/v1/w3s/users/token/refresh', method: 'POST' })
      .replyWithError(Object.assign(new Error(`ECONNRESET ${API_KEY}`), { code: 'ECONNRESET' }))
      .times(3);

    const error = await onlyError(api);

    expect(error.message).toBe('Circle could not be reached.');
    expect(error.extensions).toEqual({
      code: 'UPSTREAM_UNAVAILABLE',
      retryable: true,
      idempotencyKey: UUID_V4,
    });
    expect(api.requests).toHaveLength(3);
  });

  it('answers UPSTREAM_UNAVAILABLE when Circle answers 200 with a body it cannot read', async () => {
    const api = createApiGateway();
    api.onRefresh(
      {
        body: `{"data":{"refreshToken":"${REFRESH_TOKEN}"}}`,
        headers: { 'x-request-id': 'r-bad' },
      },
      { persist: true },
    );

    const error = await onlyError(api);

    expect(error.extensions).toEqual({
      code: 'UPSTREAM_UNAVAILABLE',
      retryable: true,
      idempotencyKey: UUID_V4,
      upstream: { status: 200, code: null, requestId: 'r-bad', message: null },
    });
  });

  it('answers UPSTREAM_UNAVAILABLE without calling Circle while the circuit is open', async () => {
    const api = createApiGateway({
      client: { retry: { maxAttempts: 1 }, circuitBreaker: { failureThreshold: 1 } },
    });
    api.onRefresh(circle(503, -1, 'down'));
    await api.graphql(REFRESH_MUTATION, byToken);

    const error = await onlyError(api);

    expect(error.extensions).toEqual({
      code: 'UPSTREAM_UNAVAILABLE',
      retryable: true,
      idempotencyKey: UUID_V4,
    });
    expect(api.requests).toHaveLength(1);
  });
});

describe('a bug in the gateway', () => {
  it('answers INTERNAL_SERVER_ERROR with "Unexpected error." and nothing of the cause', async () => {
    const { gateway, lines } = createBrokenGateway(
      new TypeError(`Cannot read properties of undefined (${API_KEY} ${USER_TOKEN})`),
    );

    const response = await postJson(
      'http://localhost/graphql',
      { query: REFRESH_MUTATION, variables: byToken },
      {},
      { fetch: gateway.yoga.fetch },
    );
    const text = await response.text();
    const body = JSON.parse(text) as { errors: GraphQLErrorBody[] };

    expectNoSecret(text);
    expect(text).not.toContain('Cannot read properties');
    expect(body.errors).toHaveLength(1);
    expect(body.errors[0]?.message).toBe('Unexpected error.');
    expect(body.errors[0]?.extensions?.code).toBe('INTERNAL_SERVER_ERROR');
    for (const line of lines) expectNoSecret(line);
  });
});
