import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, type TestGateway } from '../support/loopback-gateway.js';
import { REFRESH_MUTATION } from '../support/refresh.js';
import { post } from '../support/requests.js';

// What a caller put where a token goes: it must never come back in an error.
const CANARY = 'CANARY-7f3a-SECRET';

const VALID = { user: { userToken: 'a.b.c' }, deviceId: 'device-1', refreshToken: 'refresh-1' };

/** Variables whose value at one field is of the wrong shape, the canary inside it. */
const variableCases: Array<[string, Record<string, unknown>, string]> = [
  ['an object for a String', { ...VALID, refreshToken: { value: CANARY } }, 'input.refreshToken'],
  ['a list for a String', { ...VALID, refreshToken: [CANARY] }, 'input.refreshToken'],
  [
    'an object for a deviceId',
    { ...VALID, deviceId: { deep: { deeper: CANARY } } },
    'input.deviceId',
  ],
  [
    'an object for an ID',
    { ...VALID, user: { userId: { userToken: CANARY } } },
    'input.user.userId',
  ],
  [
    'a list for a userToken',
    { ...VALID, user: { userToken: [1, CANARY] } },
    'input.user.userToken',
  ],
  ['a bad UUID', { ...VALID, idempotencyKey: CANARY }, 'input.idempotencyKey'],
  [
    'a value holding "; " and a fake path',
    { ...VALID, refreshToken: { v: `${CANARY}; at "x"` } },
    'input.refreshToken',
  ],
  ['a key that is not a GraphQL name', { ...VALID, [`tok.${CANARY}`]: 1 }, ''],
  ['both oneOf keys', { ...VALID, user: { userToken: CANARY, userId: CANARY } }, 'input.user'],
];

const literalCases: Array<[string, string, string]> = [
  [
    'an object literal for a String',
    `user: {userToken: {value: "${CANARY}"}}, deviceId: "d", refreshToken: "r"`,
    'input.user.userToken',
  ],
  [
    'a list literal for a String',
    `user: {userToken: "t"}, deviceId: ["${CANARY}"], refreshToken: "r"`,
    'input.deviceId',
  ],
  [
    'a literal bad UUID',
    `user: {userToken: "t"}, deviceId: "d", refreshToken: "r", idempotencyKey: "${CANARY}"`,
    '',
  ],
];

describe.each([
  ['Yoga (FAST_PATH=false)', 'false'],
  ['the default (fast path on)', 'true'],
])('no error message quotes an input value: %s', (_name, fastPath) => {
  let gateway: TestGateway;
  beforeAll(async () => {
    gateway = await startTestGateway({ LOG_LEVEL: 'silent', FAST_PATH: fastPath });
  });
  afterAll(() => gateway.close());

  it.each(variableCases)(
    'names the field and the type for %s in variables',
    async (_c, input, field) => {
      // Twice: the first request teaches the fast path the document, the second is served by it.
      for (const round of [1, 2]) {
        const before = gateway.gateway.fastPathStats().served;
        const answer = await post(gateway.graphqlUrl, {
          query: REFRESH_MUTATION,
          variables: { input },
        });
        expect(answer.text, `round ${round}`).not.toContain(CANARY);
        const error = answer.json.errors?.[0];
        expect(error?.extensions.code).toBe('BAD_USER_INPUT');
        if (field) expect(error?.message).toContain(`"${field}"`);
        if (fastPath === 'true' && round === 2) {
          expect(gateway.gateway.fastPathStats().served, 'served by the fast path').toBe(
            before + 1,
          );
        }
      }
    },
  );

  it('says which type was expected', async () => {
    const answer = await post(gateway.graphqlUrl, {
      query: REFRESH_MUTATION,
      variables: { input: { ...VALID, refreshToken: { value: CANARY } } },
    });
    expect(answer.json.errors?.[0]?.message).toBe(
      'Variable "$input" has an invalid value at "input.refreshToken": expected String.',
    );
  });

  it.each(literalCases)('names the field and the type for %s', async (_c, fields, field) => {
    const answer = await post(gateway.graphqlUrl, {
      query: `mutation { refreshUserToken(input: {${fields}}) { userToken } }`,
    });
    expect(answer.text).not.toContain(CANARY);
    expect(answer.json.errors?.[0]?.extensions.code).toBe('BAD_USER_INPUT');
    if (field) expect(answer.json.errors?.[0]?.message).toContain(`"${field}"`);
  });

  it.each([
    [
      'a string where a name belongs',
      `mutation { refreshUserToken(input: {user: {userToken "${CANARY}"}}) { userToken } }`,
      'Syntax Error: Expected ":", found String.',
    ],
    [
      'an unexpected name',
      `{ circleWalletsGateway { version } } ${CANARY.replace(/-/g, '_')}`,
      'Syntax Error: Unexpected Name.',
    ],
    ['a bad escape in a string', `{ gateway(x: "\\u${CANARY}") { version } }`, undefined],
  ])('names only the kind of token in a syntax error: %s', async (_c, query, message) => {
    const answer = await post(gateway.graphqlUrl, { query });
    expect(answer.text).not.toContain(CANARY.replace(/-/g, '_'));
    expect(answer.text).not.toContain(CANARY);
    if (message) expect(answer.json.errors?.[0]?.message).toBe(message);
  });

  it('does not print the literal argument when a variable inside it is null', async () => {
    const answer = await post(gateway.graphqlUrl, {
      query: `mutation ($id: ID) { refreshUserToken(input: {user: {userId: $id}, deviceId: "${CANARY}", refreshToken: "r"}) { userToken } }`,
      variables: { id: null },
    });
    expect(answer.text).not.toContain(CANARY);
    expect(answer.json.errors?.[0]?.message).toMatch(/^Argument "input" has an invalid value/);
  });
});
