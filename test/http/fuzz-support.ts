/**
 * Arbitraries and the input oracle shared by the fuzzers. The oracle restates the gateway's
 * published input rules (GraphQL coercion, then the bounds of the contract) independently of the
 * code under test, so "should this reach Circle?" is decided without asking the gateway.
 */
import fc from 'fast-check';
import { expect } from 'vitest';
import { isWellFormedJwt } from '../../src/circle/jwt.js';
import { readConfig } from '../../src/settings.js';
import { API_KEY, CONTRACT_CODES, MINT_PATH } from '../circle/support.js';
import { startTestGateway } from '../support/gateway-server.js';
import { jwtLike } from '../support/jwt.js';
import { answer, startRecordingUpstream } from '../support/recording-upstream.js';
import { REFRESH_MUTATION } from '../support/refresh.js';

/** Fixed unless FUZZ_SEED says otherwise; fast-check prints seed and path on a failure. */
export const FUZZ = {
  seed: Number(process.env.FUZZ_SEED ?? 20_261_127),
  numRuns: Number(process.env.FUZZ_RUNS ?? 200),
};

/** The gateway's default body limit: a larger request is refused before it is read. */
export const MAX_BODY_BYTES = readConfig({}).maxBodyBytes;

// ── the oracle ───────────────────────────────────────────────────────────────────────────────

const CONTROL = /\p{Cc}/u;
const HEADER_SAFE = /^[\x21-\x7e]+$/;
// Canonical 8-4-4-4-12 hex with an RFC 9562 version and variant, or the nil / max UUID.
const UUID =
  /^(?:[0-9a-f]{8}-[0-9a-f]{4}-[1-8][0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}|0{8}-0{4}-0{4}-0{4}-0{12}|f{8}-f{4}-f{4}-f{4}-f{12})$/i;

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const bounded = (value: unknown, min: number, max: number): value is string =>
  typeof value === 'string' &&
  value.trim().length > 0 &&
  value.length >= min &&
  value.length <= max &&
  !CONTROL.test(value);

const INPUT_FIELDS = new Set(['user', 'deviceId', 'refreshToken', 'idempotencyKey']);

/**
 * Whether `variables` (as the gateway receives them, i.e. after a JSON round trip) make a refresh
 * that must reach Circle: GraphQL coercion passes (types, oneOf, no unknown fields) and the
 * gateway's bounds hold (userId 5–50, userToken printable ASCII up to 4096, deviceId up to 256,
 * refreshToken up to 2048, none blank or with control characters, idempotencyKey a UUID), and a
 * userToken is a well-formed JWT (else USER_TOKEN_INVALID, see `refusedCode`).
 */
export function reachesCircle(variables: unknown): boolean {
  if (!isObject(variables)) return false;
  const input = variables.input;
  if (!isObject(input) || Object.keys(input).some((key) => !INPUT_FIELDS.has(key))) return false;
  const user = input.user;
  if (!isObject(user)) return false;
  const keys = Object.keys(user);
  if (keys.length !== 1) return false;
  const [field] = keys;
  const value = user[field!];
  if (field === 'userId') {
    const id =
      typeof value === 'string'
        ? value
        : typeof value === 'number' && Number.isInteger(value)
          ? String(value)
          : undefined;
    if (!bounded(id, 5, 50)) return false;
  } else if (field === 'userToken') {
    if (!bounded(value, 1, 4096) || !HEADER_SAFE.test(value)) return false;
  } else {
    return false;
  }
  if (!bounded(input.deviceId, 1, 256) || !bounded(input.refreshToken, 1, 2048)) return false;
  const key = input.idempotencyKey;
  if (!(key === undefined || key === null || (typeof key === 'string' && UUID.test(key)))) {
    return false;
  }
  return field !== 'userToken' || isWellFormedJwt(value as string);
}

/** The code of a refresh that does not reach Circle: a malformed JWT is the last rule checked. */
export function refusedCode(variables: unknown): string {
  const input = isObject(variables) && isObject(variables.input) ? variables.input : undefined;
  const user = input && isObject(input.user) ? input.user : undefined;
  const wouldPass =
    user !== undefined &&
    typeof user.userToken === 'string' &&
    reachesCircle({ input: { ...input, user: { userToken: jwtLike({}) } } });
  return wouldPass && !isWellFormedJwt(user.userToken as string)
    ? 'USER_TOKEN_INVALID'
    : 'BAD_USER_INPUT';
}

// ── arbitraries ──────────────────────────────────────────────────────────────────────────────

const loneSurrogate = fc.integer({ min: 0xd800, max: 0xdfff }).map((c) => String.fromCharCode(c));
const printable = fc.integer({ min: 0x21, max: 0x7e }).map((c) => String.fromCharCode(c));

export const asciiToken = fc.string({ unit: printable, minLength: 1, maxLength: 80 });
const unicodeText = fc
  .array(
    fc.oneof(
      fc.string({ unit: 'grapheme', maxLength: 8 }),
      fc.string({ unit: 'binary', maxLength: 8 }),
      loneSurrogate,
    ),
    { maxLength: 8 },
  )
  .map((parts) => parts.join(''));
const huge = fc
  .tuple(fc.integer({ min: 2_000, max: 20_000 }), fc.constantFrom('a', 'é', '😀', '\u0000', ' '))
  .map(([length, unit]) => unit.repeat(length));
const edgeStrings = fc.constantFrom(
  '',
  ' ',
  ' \t ',
  '\n',
  'a\u0000b',
  'abcd',
  'abcde',
  'x'.repeat(50),
  'x'.repeat(51),
  'x'.repeat(256),
  'x'.repeat(257),
  'x'.repeat(2048),
  'x'.repeat(2049),
  '\u00a0\u00a0\u00a0\u00a0\u00a0',
  '\ufeff\ufeff\ufeff\ufeff\ufeff',
  'ab\u0085cd',
  'tok en',
  'tökén',
  'null',
  '\ud800\udc00\ud800',
);
export const stringish = fc.oneof(
  { weight: 4, arbitrary: asciiToken },
  { weight: 2, arbitrary: unicodeText },
  { weight: 1, arbitrary: huge },
  { weight: 2, arbitrary: edgeStrings },
);
export const wrongType = fc.oneof(
  fc.constant(null),
  fc.integer(),
  fc.integer({ min: 10_000, max: 2 ** 40 }),
  fc.double(),
  fc.boolean(),
  fc.constant({}),
  fc.array(fc.string({ maxLength: 5 }), { maxLength: 2 }),
  fc.dictionary(fc.string({ maxLength: 5 }), fc.string({ maxLength: 5 }), { maxKeys: 2 }),
);
const anyValue = fc.oneof({ weight: 5, arbitrary: stringish }, { weight: 1, arbitrary: wrongType });

const uuidish = fc.oneof(
  fc.uuid({ version: 4 }),
  fc.uuid(),
  fc.uuid().map((u) => u.toUpperCase()),
  fc.uuid().map((u) => u.replace(/-/g, '')),
  fc.uuid().map((u) => `{${u}}`),
  fc.uuid().map((u) => ` ${u}`),
  fc.constantFrom(
    '00000000-0000-0000-0000-000000000000',
    'ffffffff-ffff-ffff-ffff-ffffffffffff',
    '00000000-0000-0000-0000-00000000000g',
    'urn:uuid:9b2c1a3e-4f5d-4c6b-8a7e-1f2d3c4b5a69',
  ),
  anyValue,
);

const validUser = fc.oneof(
  fc.record({ userToken: asciiToken.map((sub) => jwtLike({ sub })) }),
  fc.record({ userToken: asciiToken }),
  fc.record({ userId: fc.string({ unit: 'grapheme', minLength: 5, maxLength: 20 }) }),
  fc.record({ userId: fc.integer({ min: 10_000, max: 2 ** 40 }) }),
);
const anyUser = fc.oneof(
  validUser,
  fc.record({ userId: anyValue }),
  fc.record({ userToken: anyValue }),
  fc.record({ userId: anyValue, userToken: anyValue }),
  fc.record({ userToken: asciiToken, extra: anyValue }),
  fc.constant({}),
  fc.constant({ userId: null }),
  fc.constant({ userToken: null }),
  wrongType,
);

const nearlyValidInput = fc.record(
  {
    user: validUser,
    deviceId: asciiToken,
    refreshToken: asciiToken,
    idempotencyKey: fc.option(fc.uuid({ version: 4 }), { nil: undefined }),
  },
  { requiredKeys: ['user', 'deviceId', 'refreshToken'] },
);
const randomInput = fc.record(
  {
    user: anyUser,
    deviceId: anyValue,
    refreshToken: anyValue,
    idempotencyKey: uuidish,
    unexpected: anyValue,
  },
  { requiredKeys: [] },
);

/** The variables of the refresh mutation: valid, nearly valid, or anything but. */
export const refreshVariables: fc.Arbitrary<Record<string, unknown>> = fc.oneof(
  { weight: 3, arbitrary: nearlyValidInput.map((input) => ({ input })) },
  {
    weight: 3,
    arbitrary: fc
      .tuple(
        nearlyValidInput,
        fc.constantFrom('user', 'deviceId', 'refreshToken', 'idempotencyKey'),
        anyValue,
      )
      .map(([input, field, value]) => ({ input: { ...input, [field]: value } })),
  },
  { weight: 4, arbitrary: randomInput.map((input) => ({ input })) },
  { weight: 1, arbitrary: fc.record({ input: nearlyValidInput, other: anyValue }) },
  { weight: 1, arbitrary: fc.constantFrom({}, { input: null }) },
  { weight: 1, arbitrary: wrongType.map((input) => ({ input })) },
);

// ── the gateway under fuzz ───────────────────────────────────────────────────────────────────

/** The gateway in process on a real socket, in front of a recording upstream that says yes. */
export async function startFuzzTarget() {
  const upstream = await startRecordingUpstream((call, res) => {
    answer(
      res,
      call,
      200,
      call.path === MINT_PATH
        ? { data: { userToken: 'minted-user-token', encryptionKey: 'ek' } }
        : {
            data: {
              userToken: 'new-user-token',
              encryptionKey: 'ek',
              userID: 'user-1',
              refreshToken: 'new-refresh-token',
            },
          },
    );
  });
  const gateway = await startTestGateway({
    CIRCLE_API_KEY: API_KEY,
    CIRCLE_BASE_URL: upstream.url,
    // Hundreds of requests a second, some from one deviceId: the per-device limit would make the
    // oracle depend on timing. Everything else runs with the gateway's defaults.
    RATE_LIMIT_DEVICE_RATE: '0',
    LOG_LEVEL: 'error',
  });
  return {
    upstream,
    gateway,
    async close() {
      await gateway.close();
      await upstream.close();
    },
  };
}

/**
 * A well-formed GraphQL response: JSON with `data` and/or `errors`, every error with a message
 * and a contract code. Returns the parsed body.
 */
export function expectGraphQLResponse(text: string): {
  data?: unknown;
  errors?: Array<{ message: string; extensions?: { code?: string } }>;
} {
  const body = JSON.parse(text) as Record<string, unknown>;
  expect(isObject(body)).toBe(true);
  expect('data' in body || 'errors' in body).toBe(true);
  const errors = (body.errors ?? []) as Array<{ message: string; extensions?: { code?: string } }>;
  expect(Array.isArray(errors)).toBe(true);
  for (const error of errors) {
    expect(typeof error.message).toBe('string');
    expect(CONTRACT_CODES.has(String(error.extensions?.code))).toBe(true);
  }
  return body as ReturnType<typeof expectGraphQLResponse>;
}

// ── raw requests ─────────────────────────────────────────────────────────────────────────────

/** A raw HTTP request for the endpoint: any bytes, any content type. */
export interface RawRequest {
  body: string | Uint8Array;
  contentType: string | undefined;
  accept: string | undefined;
}

export const JSON_TYPES = [
  'application/json',
  'application/json; charset=utf-8',
  'application/graphql+json',
];
const contentType = fc.constantFrom(
  ...JSON_TYPES,
  'application/json; charset=latin1',
  'text/plain',
  'application/x-www-form-urlencoded',
  'multipart/form-data',
  'multipart/form-data; boundary=fuzz',
  'application/graphql',
  'application/octet-stream',
  'garbage',
  undefined,
);
// Media types the gateway can answer in; the others are a separate finding below.
const accept = fc.constantFrom(
  undefined,
  'application/json',
  'application/graphql-response+json',
  '*/*',
  'application/json, */*;q=0.5',
);

export const nest = (depth: number, open: string, close: string, core = '1') =>
  `${open.repeat(depth)}${core}${close.repeat(depth)}`;

const deepJson = fc
  .tuple(
    fc.integer({ min: 1, max: 50_000 }),
    fc.constantFrom('array', 'object'),
    fc.constantFrom('body', 'variables', 'input', 'user', 'extensions'),
  )
  .map(([depth, kind, where]) => {
    const deep = kind === 'array' ? nest(depth, '[', ']') : nest(depth, '{"a":', '}');
    const query = JSON.stringify(REFRESH_MUTATION);
    switch (where) {
      case 'body':
        return deep;
      case 'variables':
        return `{"query":${query},"variables":${deep}}`;
      case 'input':
        return `{"query":${query},"variables":{"input":${deep}}}`;
      case 'user':
        return `{"query":${query},"variables":{"input":{"user":${deep},"deviceId":"d","refreshToken":"r"}}}`;
      default:
        return `{"query":"{ circleWalletsGateway { version } }","extensions":${deep}}`;
    }
  });

const longString = fc
  .tuple(
    fc.integer({ min: 1_000, max: 1_000_000 }),
    fc.constantFrom('query', 'userToken', 'refreshToken', 'deviceId', 'operationName', 'raw'),
  )
  .map(([length, where]) => {
    const long = 'x'.repeat(length);
    if (where === 'raw') return long;
    if (where === 'query') return JSON.stringify({ query: long });
    if (where === 'operationName')
      return JSON.stringify({ query: REFRESH_MUTATION, operationName: long });
    const input: Record<string, unknown> = {
      user: { userToken: where === 'userToken' ? long : jwtLike({}) },
      deviceId: where === 'deviceId' ? long : 'device',
      refreshToken: where === 'refreshToken' ? long : 'refresh',
    };
    return JSON.stringify({ query: REFRESH_MUTATION, variables: { input } });
  });

const graphqlShaped = fc
  .record(
    {
      query: fc.oneof(
        { weight: 4, arbitrary: fc.constant(REFRESH_MUTATION) },
        { weight: 1, arbitrary: fc.string({ maxLength: 200 }) },
        {
          weight: 1,
          arbitrary: fc.constantFrom(
            '{ circleWalletsGateway { version simulated } }',
            'mutation { refreshUserToken }',
            'subscription { x }',
            '{ __schema { types { name } } }',
            'query Q { circleWalletsGateway { version } } query Q { circleWalletsGateway { version } }',
          ),
        },
        { weight: 1, arbitrary: wrongType },
      ),
      variables: fc.oneof(refreshVariables, fc.anything({ maxDepth: 3 })),
      operationName: fc.oneof(fc.constantFrom('RefreshUserToken', 'Other', null), wrongType),
      extensions: fc.oneof(fc.constant({}), fc.anything({ maxDepth: 2 })),
    },
    { requiredKeys: ['query'] },
  )
  .map((request) => JSON.stringify(request));

const truncatedValid = fc
  .tuple(refreshVariables, fc.double({ min: 0, max: 1, noNaN: true }))
  .map(([variables, at]) => {
    const whole = JSON.stringify({ query: REFRESH_MUTATION, variables });
    return whole.slice(0, Math.floor(whole.length * at));
  });

/** Raw requests: GraphQL-shaped and not, JSON and not, deep, huge and truncated. */
export const rawRequest: fc.Arbitrary<RawRequest> = fc.record({
  body: fc.oneof(
    { weight: 4, arbitrary: graphqlShaped },
    {
      weight: 2,
      arbitrary: refreshVariables.map((variables) =>
        JSON.stringify({ query: REFRESH_MUTATION, variables }),
      ),
    },
    { weight: 2, arbitrary: fc.json({ maxDepth: 4 }) },
    { weight: 2, arbitrary: fc.uint8Array({ maxLength: 512 }) },
    { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 300 }) },
    { weight: 1, arbitrary: deepJson },
    { weight: 1, arbitrary: longString },
    { weight: 1, arbitrary: truncatedValid },
  ),
  contentType,
  accept,
});
