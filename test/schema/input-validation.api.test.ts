import { beforeEach, describe, expect, it } from 'vitest';
import { type ApiGateway, createApiGateway, type GraphQLBody } from '../support/api-gateway.js';
import { REFRESH_MUTATION } from '../support/refresh.js';

const VALID = {
  user: { userToken: 'user-token-0001' },
  deviceId: 'device-0001',
  refreshToken: 'refresh-token-0001',
};

let api: ApiGateway;
beforeEach(() => {
  api = createApiGateway();
  // Circle would answer if asked: the tests show it is not.
  api.onRefresh({ body: { data: { userToken: 'never' } } }, { persist: true });
  api.onMint({ body: { data: { userToken: 'never' } } }, { persist: true });
});

async function rejected(body: unknown): Promise<Record<string, unknown>> {
  const pending = api.agent.pendingInterceptors().length;
  const response = await api.post(body);
  const result = (await response.json()) as GraphQLBody<unknown>;
  expect(api.requests).toEqual([]);
  expect(api.agent.pendingInterceptors()).toHaveLength(pending);
  expect(result.data ?? null).toBeNull();
  expect(result.errors).toHaveLength(1);
  const extensions = result.errors?.[0]?.extensions ?? {};
  expect(extensions.code).toBe('BAD_USER_INPUT');
  return extensions;
}

const withVariables = (input: unknown) => ({ query: REFRESH_MUTATION, variables: { input } });

const inline = (fields: string) => ({
  query: `mutation { refreshUserToken(input: { ${fields} }) { userToken } }`,
});

describe('the @oneOf user', () => {
  it.each([
    [
      'both keys',
      'user: { userId: "user-0001", userToken: "t" }, deviceId: "d", refreshToken: "r"',
    ],
    ['no key', 'user: {}, deviceId: "d", refreshToken: "r"'],
    ['an explicit null userId', 'user: { userId: null }, deviceId: "d", refreshToken: "r"'],
    ['an explicit null userToken', 'user: { userToken: null }, deviceId: "d", refreshToken: "r"'],
  ])('is BAD_USER_INPUT with %s inline, a validation failure', async (_case, fields) => {
    const extensions = await rejected(inline(fields));
    expect(extensions).toMatchObject({ retryable: false, reason: 'GRAPHQL_VALIDATION_FAILED' });
  });

  it.each([
    ['both keys', { userId: 'user-0001', userToken: 't' }],
    ['no key', {}],
    ['an explicit null', { userToken: null }],
    ['null as the user', null],
  ])('is BAD_USER_INPUT with %s in variables', async (_case, user) => {
    const extensions = await rejected(withVariables({ ...VALID, user }));
    expect(extensions.retryable).toBe(false);
  });

  it('is BAD_USER_INPUT when a nullable variable inside the literal is null', async () => {
    await rejected({
      query: `mutation ($id: ID) {
        refreshUserToken(input: { user: { userId: $id }, deviceId: "d", refreshToken: "r" }) {
          userToken
        }
      }`,
      variables: { id: null },
    });
  });
});

describe('strings', () => {
  it.each([
    ['an empty userToken', { ...VALID, user: { userToken: '' } }, 'input.user.userToken'],
    ['a blank userToken', { ...VALID, user: { userToken: '   ' } }, 'input.user.userToken'],
    ['an empty deviceId', { ...VALID, deviceId: '' }, 'input.deviceId'],
    ['a blank refreshToken', { ...VALID, refreshToken: ' \t ' }, 'input.refreshToken'],
    ['a userId of 4 characters', { ...VALID, user: { userId: 'abcd' } }, 'input.user.userId'],
    [
      'a userId of 51 characters',
      { ...VALID, user: { userId: 'a'.repeat(51) } },
      'input.user.userId',
    ],
    [
      'a userToken of 4097 characters',
      { ...VALID, user: { userToken: 'a'.repeat(4097) } },
      'input.user.userToken',
    ],
    ['a deviceId of 257 characters', { ...VALID, deviceId: 'd'.repeat(257) }, 'input.deviceId'],
    [
      'a refreshToken of 2049 characters',
      { ...VALID, refreshToken: 'r'.repeat(2049) },
      'input.refreshToken',
    ],
    ['a newline in the deviceId', { ...VALID, deviceId: 'dev\nice' }, 'input.deviceId'],
    [
      'a NUL in the refreshToken',
      { ...VALID, refreshToken: 'ref\u0000resh' },
      'input.refreshToken',
    ],
    [
      'a CR LF in the userToken',
      { ...VALID, user: { userToken: 'tok\r\nX-Evil: 1' } },
      'input.user.userToken',
    ],
    ['a non-ASCII userToken', { ...VALID, user: { userToken: 'tökén' } }, 'input.user.userToken'],
  ])('is BAD_USER_INPUT naming the field for %s', async (_case, input, field) => {
    const extensions = await rejected(withVariables(input));
    expect(extensions.field).toBe(field);
  });

  it('is BAD_USER_INPUT naming the field for a short userId given inline', async () => {
    const extensions = await rejected(
      inline('user: { userId: "abcd" }, deviceId: "d", refreshToken: "r"'),
    );
    expect(extensions.field).toBe('input.user.userId');
  });
});

describe('the idempotency key', () => {
  it.each([
    ['not a UUID', 'not-a-uuid'],
    ['without hyphens', '6f1c4f5e4a3b4c2d8e1f0a1b2c3d4e5f'],
    ['in braces', '{6f1c4f5e-4a3b-4c2d-8e1f-0a1b2c3d4e5f}'],
    ['a URN', 'urn:uuid:6f1c4f5e-4a3b-4c2d-8e1f-0a1b2c3d4e5f'],
    ['too long', '6f1c4f5e-4a3b-4c2d-8e1f-0a1b2c3d4e5f0'],
    ['with surrounding spaces', ' 6f1c4f5e-4a3b-4c2d-8e1f-0a1b2c3d4e5f '],
  ])('is BAD_USER_INPUT when it is %s (variables)', async (_case, key) => {
    await rejected(withVariables({ ...VALID, idempotencyKey: key }));
  });

  it.each([
    ['not a UUID', '"not-a-uuid"'],
    ['a number', '42'],
  ])('is BAD_USER_INPUT when it is %s (inline)', async (_case, literal) => {
    await rejected(
      inline(
        `user: { userToken: "t" }, deviceId: "d", refreshToken: "r", idempotencyKey: ${literal}`,
      ),
    );
  });
});

describe('malformed requests', () => {
  it.each([
    ['a number for deviceId', { ...VALID, deviceId: 123 }],
    ['an object for refreshToken', { ...VALID, refreshToken: { token: 'r' } }],
    ['a missing refreshToken', { user: VALID.user, deviceId: 'd' }],
    ['an unknown field', { ...VALID, extra: true }],
    ['a number for the input', 5],
  ])('is BAD_USER_INPUT for variables with %s', async (_case, input) => {
    const extensions = await rejected(withVariables(input));
    expect(extensions.retryable).toBe(false);
  });

  it('is BAD_USER_INPUT for a missing $input', async () => {
    await rejected({ query: REFRESH_MUTATION });
  });

  it("is BAD_USER_INPUT for a body that is not JSON, keeping Yoga's code as the reason", async () => {
    const extensions = await rejected('{"query": "mutation {');
    expect(extensions).toMatchObject({ retryable: false, reason: 'BAD_REQUEST' });
  });

  it('is BAD_USER_INPUT for a syntax error, keeping GRAPHQL_PARSE_FAILED as the reason', async () => {
    const extensions = await rejected({ query: 'mutation { refreshUserToken(input: {' });
    expect(extensions).toMatchObject({ retryable: false, reason: 'GRAPHQL_PARSE_FAILED' });
  });

  it('is BAD_USER_INPUT for a field that does not exist', async () => {
    const extensions = await rejected({ query: '{ circleWalletsGateway { secretKey } }' });
    expect(extensions.reason).toBe('GRAPHQL_VALIDATION_FAILED');
  });

  // V8's JSON.parse message quotes the body, and Yoga would pass it on in originalError.
  it('does not echo the tokens of a body that is not JSON', async () => {
    const response = await api.post(
      `{"query":"${REFRESH_MUTATION.replace(/\n/g, ' ')}","variables":{"input":{"user":{"userToken":"SECRET-USER-TOKEN"},"deviceId":"d","refreshToken":"SECRET-REFRESH-TOKEN"}}`,
    );
    const text = await response.text();
    expect(JSON.parse(text).errors[0].extensions.code).toBe('BAD_USER_INPUT');
    expect(text).not.toContain('SECRET-USER-TOKEN');
    expect(text).not.toContain('SECRET-REFRESH-TOKEN');
  });
});
