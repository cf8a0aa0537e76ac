import { describe, expect, it } from 'vitest';
import {
  API_KEY,
  type ApiGateway,
  createApiGateway,
  createBrokenGateway,
  type UpstreamAnswer,
} from '../support/api-gateway.js';
import { jwtLike } from '../support/jwt.js';
import { REFRESH_MUTATION } from '../support/refresh.js';
import { postJson } from '../support/requests.js';

const SENT_USER_TOKEN = jwtLike({ sub: 'sent-user-token-LOGCHECK' });
const SENT_REFRESH_TOKEN = 'sent-refresh-token-LOGCHECK';
const MINTED_TOKEN = 'minted-user-token-LOGCHECK';
const MINTED_KEY = 'minted-encryption-key-LOGCHECK';
const RECEIVED_TOKEN = jwtLike({ sub: 'received-user-token-LOGCHECK', exp: 1_893_456_000 });
const RECEIVED_REFRESH = 'received-refresh-token-LOGCHECK';
const RECEIVED_KEY = 'received-encryption-key-LOGCHECK';
const SECRETS = [
  API_KEY,
  'gw-test-key-secret',
  SENT_USER_TOKEN,
  SENT_REFRESH_TOKEN,
  MINTED_TOKEN,
  MINTED_KEY,
  RECEIVED_TOKEN,
  RECEIVED_REFRESH,
  RECEIVED_KEY,
  // A distinctive part of the received JWT (its payload) as well.
  RECEIVED_TOKEN.split('.')[1] ?? '',
];

const byToken = {
  input: {
    user: { userToken: SENT_USER_TOKEN },
    deviceId: 'device-0001',
    refreshToken: SENT_REFRESH_TOKEN,
  },
};
const byId = {
  input: {
    user: { userId: 'user-0001' },
    deviceId: 'device-0001',
    refreshToken: SENT_REFRESH_TOKEN,
  },
};
const success: UpstreamAnswer = {
  body: {
    data: {
      userToken: RECEIVED_TOKEN,
      encryptionKey: RECEIVED_KEY,
      userID: 'user-0001',
      refreshToken: RECEIVED_REFRESH,
    },
  },
  headers: { 'x-request-id': 'circle-ok' },
};
const circleError = (status: number, code: number): UpstreamAnswer => ({
  status,
  // Circle's message text echoing a token must not reach a log line either.
  body: { code, message: `refused ${SENT_USER_TOKEN}` },
  headers: { 'x-request-id': `circle-${code}` },
});

interface Scenario {
  name: string;
  setup(api: ApiGateway): void;
  variables: Record<string, unknown>;
}

const scenarios: Scenario[] = [
  { name: 'success by token', setup: (api) => api.onRefresh(success), variables: byToken },
  {
    name: 'success by userId',
    setup: (api) => {
      api.onMint({ body: { data: { userToken: MINTED_TOKEN, encryptionKey: MINTED_KEY } } });
      api.onRefresh(success);
    },
    variables: byId,
  },
  {
    name: 'stale minted token, re-mint',
    setup: (api) => {
      api.onMint({ body: { data: { userToken: MINTED_TOKEN, encryptionKey: MINTED_KEY } } });
      api.onRefresh(circleError(403, 155104));
      api.onMint({ body: { data: { userToken: MINTED_TOKEN, encryptionKey: MINTED_KEY } } });
      api.onRefresh(circleError(403, 155104));
    },
    variables: byId,
  },
  ...(
    [
      [403, 155104],
      [401, 155103],
      [403, 155105],
      [409, 155109],
      [400, 155113],
      [400, 155137],
      [400, 2],
      [400, -1],
      [418, 7],
      [401, 401],
      [403, 3],
      [503, -1],
    ] as const
  ).map(([status, code]) => ({
    name: `${status}/${code}`,
    setup: (api: ApiGateway) => api.onRefresh(circleError(status, code), { persist: true }),
    variables: byToken,
  })),
  {
    name: 'mint 404',
    setup: (api) => api.onMint(circleError(404, 155102)),
    variables: byId,
  },
  {
    name: '429',
    setup: (api) => api.onRefresh({ status: 429, body: '' }, { persist: true }),
    variables: byToken,
  },
  {
    name: 'connection error',
    setup: (api) =>
      api.upstream
        .intercept({ path: '/v1/w3s/users/token/refresh', method: 'POST' })
        .replyWithError(
          Object.assign(new Error(`reset ${API_KEY} ${SENT_USER_TOKEN}`), { code: 'ECONNRESET' }),
        )
        .times(3),
    variables: byToken,
  },
  {
    name: 'malformed body',
    setup: (api) =>
      api.onRefresh(
        { body: `{"data":{"refreshToken":"${RECEIVED_REFRESH}","key":"${RECEIVED_KEY}"}}` },
        { persist: true },
      ),
    variables: byToken,
  },
  {
    name: 'bad input',
    setup: () => {},
    variables: { input: { ...byToken.input, deviceId: '' } },
  },
];

function expectSafeJsonLines(lines: string[]) {
  for (const line of lines) {
    for (const secret of SECRETS) expect(line).not.toContain(secret);
    expect(() => JSON.parse(line)).not.toThrow();
    const entry = JSON.parse(line) as Record<string, unknown>;
    expect(entry).toMatchObject({ level: expect.any(String), msg: expect.any(String) });
    expect(Number.isNaN(Date.parse(String(entry.time)))).toBe(false);
  }
}

describe('the log lines', () => {
  it.each(scenarios.map((s) => [s.name, s] as const))(
    'hold no key or token and are JSON (%s)',
    async (_name, scenario) => {
      const api = createApiGateway();
      scenario.setup(api);

      const { text } = await api.graphql(REFRESH_MUTATION, scenario.variables);

      expect(text).not.toContain(API_KEY);
      expectSafeJsonLines(api.logs);
    },
  );

  it('hold no key or token for a timeout', async () => {
    const api = createApiGateway({ gateway: { mutationDeadlineMs: 50 } });
    api.onRefresh(success, { delayMs: 1_000, persist: true });

    await api.graphql(REFRESH_MUTATION, byToken);

    expect(api.logs.length).toBeGreaterThan(0);
    expectSafeJsonLines(api.logs);
  });

  it('carry the request id of the request they are about', async () => {
    const api = createApiGateway();
    api.onRefresh(success);
    api.onRefresh(circleError(403, 155104));
    const ok = 'aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa';
    const failed = 'bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbbb';

    await api.graphql(REFRESH_MUTATION, byToken, { 'x-request-id': ok });
    await api.graphql(REFRESH_MUTATION, byToken, { 'x-request-id': failed });

    const entries = api.logs.map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(entries).toEqual([
      expect.objectContaining({
        level: 'info',
        msg: 'refreshUserToken',
        requestId: ok,
        path: 'userToken',
        outcome: 'ok',
        upstreamRequestId: 'circle-ok',
      }),
      expect.objectContaining({
        level: 'warn',
        msg: 'refreshUserToken',
        requestId: failed,
        outcome: 'CIRCLE_HTTP_ERROR',
      }),
    ]);
  });

  it('hold no key or token, and carry the request id, when a resolver fails unexpectedly', async () => {
    const { gateway, lines } = createBrokenGateway(
      new TypeError(`oops ${API_KEY} ${SENT_USER_TOKEN}`),
    );
    const requestId = 'cccccccc-cccc-4ccc-8ccc-cccccccccccc';

    await postJson(
      'http://localhost/graphql',
      { query: REFRESH_MUTATION, variables: byToken },
      { 'x-request-id': requestId },
      { fetch: gateway.yoga.fetch },
    );

    expect(lines.length).toBeGreaterThan(0);
    expectSafeJsonLines(lines);
    const entries = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(entries[0]).toMatchObject({ requestId, outcome: 'UNEXPECTED' });
  });

  // Yoga's own line for a resolver bug would carry neither the request id nor the cause's name.
  it('carry the request id on every line when a resolver fails unexpectedly', async () => {
    const { gateway, lines } = createBrokenGateway(new TypeError('oops'));
    const requestId = 'dddddddd-dddd-4ddd-8ddd-dddddddddddd';

    await postJson(
      'http://localhost/graphql',
      { query: REFRESH_MUTATION, variables: byToken },
      { 'x-request-id': requestId },
      { fetch: gateway.yoga.fetch },
    );

    expect(lines.length).toBeGreaterThan(1);
    for (const line of lines) expect(JSON.parse(line)).toMatchObject({ requestId });
  });
});
