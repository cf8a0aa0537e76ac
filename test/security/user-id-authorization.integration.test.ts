import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiGateway } from '../support/api-gateway.js';
import { jwtLike } from '../support/jwt.js';
import { startTestGateway, type TestGateway } from '../support/loopback-gateway.js';
import { REFRESH_MUTATION, type RefreshPayload } from '../support/refresh.js';
import { post } from '../support/requests.js';
import { newSession, refreshInput, refreshInputByUserId } from '../support/session.js';

const byUserId = (userId: string) => ({
  input: { user: { userId }, deviceId: 'device-0001', refreshToken: 'refresh-token-0001' },
});
const minted = { body: { data: { userToken: 'minted', encryptionKey: 'k' } } };
const refreshed = { body: { data: { userToken: 'new-user-token', refreshToken: 'rt-2' } } };

describe('the authorizeUserId hook', () => {
  // A stand-in for the caller's own authentication: "Bearer user:<id>" says who the caller is.
  const ownUserOnly = ({ request, userId }: { request: Request; userId: string }) =>
    request.headers.get('authorization') === `Bearer user:${userId}`;

  it('refuses a userId the caller is not, with FORBIDDEN (403) and no upstream call', async () => {
    const api = createApiGateway({ gateway: { authorizeUserId: ownUserOnly } });
    const answer = await api.graphql(REFRESH_MUTATION, byUserId('user-0001'), {
      authorization: 'Bearer user:user-0002',
    });
    expect(answer.status).toBe(403);
    expect(answer.body.data).toBeNull();
    expect(answer.body.errors?.[0]?.extensions).toMatchObject({
      code: 'FORBIDDEN',
      reason: 'USER_ID_NOT_AUTHORIZED',
      retryable: false,
    });
    expect(api.requests).toEqual([]);
    expect(api.logs.some((line) => line.includes('"outcome":"FORBIDDEN"'))).toBe(true);
  });

  it("lets the caller's own userId through to the mint and the refresh", async () => {
    const api = createApiGateway({ gateway: { authorizeUserId: ownUserOnly } });
    api.onMint(minted);
    api.onRefresh(refreshed);
    const answer = await api.graphql<RefreshPayload>(REFRESH_MUTATION, byUserId('user-0001'), {
      authorization: 'Bearer user:user-0001',
    });
    expect(answer.body.errors).toBeUndefined();
    expect(answer.body.data?.refreshUserToken.userToken).toBe('new-user-token');
    expect(api.requests).toHaveLength(2);
  });

  it('waits for an async hook, and does not consult it for the userToken path', async () => {
    const asked: string[] = [];
    const api = createApiGateway({
      gateway: {
        authorizeUserId: async ({ userId }) => {
          asked.push(userId);
          await new Promise((resolve) => setTimeout(resolve, 5));
          return false;
        },
      },
    });
    api.onRefresh(refreshed);
    expect((await api.graphql(REFRESH_MUTATION, byUserId('user-0001'))).status).toBe(403);
    const byToken = await api.graphql(REFRESH_MUTATION, {
      input: { user: { userToken: jwtLike({ sub: 'u' }) }, deviceId: 'd', refreshToken: 'r' },
    });
    expect(byToken.body.errors).toBeUndefined();
    expect(asked).toEqual(['user-0001']);
  });

  it('does not call Circle when the hook throws (the error is masked)', async () => {
    const api = createApiGateway({
      gateway: {
        authorizeUserId: () => {
          throw new Error('session store down: token=abc');
        },
      },
    });
    const answer = await api.graphql(REFRESH_MUTATION, byUserId('user-0001'));
    expect(answer.body.errors?.[0]).toMatchObject({
      message: 'Unexpected error.',
      extensions: { code: 'INTERNAL_SERVER_ERROR' },
    });
    expect(answer.text).not.toContain('token=abc');
    expect(api.requests).toEqual([]);
  });
});

describe('USER_ID_PATH', () => {
  let enabled: TestGateway;
  let disabled: TestGateway;
  beforeAll(async () => {
    enabled = await startTestGateway({ LOG_LEVEL: 'silent' });
    disabled = await startTestGateway({ LOG_LEVEL: 'silent', USER_ID_PATH: 'disabled' });
  });
  afterAll(async () => {
    await Promise.all([enabled?.close(), disabled?.close()]);
  });

  it('is enabled by default: a userId refresh mints and refreshes', async () => {
    const session = await newSession(enabled.simulator!.url);
    const answer = await post(enabled.graphqlUrl, {
      query: REFRESH_MUTATION,
      variables: {
        input: refreshInputByUserId(session),
      },
    });
    expect(answer.json.errors).toBeUndefined();
  });

  it('disabled: every userId refresh is FORBIDDEN without an upstream call; userToken works', async () => {
    const session = await newSession(disabled.simulator!.url);
    const upstream = disabled.simulator!.simulator;
    const before = upstream.requests.length;
    const refused = await post(disabled.graphqlUrl, {
      query: REFRESH_MUTATION,
      variables: {
        input: refreshInputByUserId(session),
      },
    });
    expect(refused.status).toBe(403);
    expect(refused.json.errors?.[0]?.extensions).toMatchObject({
      code: 'FORBIDDEN',
      reason: 'USER_ID_PATH_DISABLED',
    });
    expect(upstream.requests.length).toBe(before);
    const byToken = await post(disabled.graphqlUrl, {
      query: REFRESH_MUTATION,
      variables: {
        input: refreshInput(session),
      },
    });
    expect(byToken.json.errors).toBeUndefined();
  });
});
