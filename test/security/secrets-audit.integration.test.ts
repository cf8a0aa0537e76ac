import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GATEWAY_ERROR_CODES } from '../../src/schema/errors.js';
import type { SimulatorFault } from '../../src/simulator/index.js';
import { type RunningSimulator, startCircleSimulator } from '../../src/simulator/index.js';
import { startTestGateway, type TestGateway } from '../support/loopback-gateway.js';
import { REFRESH_MUTATION } from '../support/refresh.js';
import { postJson } from '../support/requests.js';
import { refreshInput, refreshInputByUserId } from '../support/session.js';

/**
 * Every path a caller can take, through the real HTTP gateway in front of the Circle simulator
 * on loopback: both success paths, each error row of the contract (made by the simulator's
 * faults), the gateway's own refusals. Every response body and header, every log line and every
 * write to stdout/stderr is then searched for the API key (and its secret part) and for every
 * user token, refresh token and encryption key that was sent or received. A success response may
 * carry the tokens it issues, in its payload; nothing else may carry any of them.
 */
const API_KEY = 'TEST_API_KEY:audit-key-id:audit-key-s3cr3t-4f9a2c';
const API_KEY_SECRET = 'audit-key-s3cr3t-4f9a2c';

interface Exchange {
  path: string;
  code: string;
  text: string;
  headers: string;
  /** The tokens this response issued (its payload): the only ones it may carry. */
  issued: string[];
}

describe('secrets audit', () => {
  let upstream: RunningSimulator;
  let gateway: TestGateway;
  let noUserId: TestGateway;
  const secrets = new Set<string>([API_KEY, API_KEY_SECRET]);
  const exchanges: Exchange[] = [];
  const written: string[] = [];
  const restore: Array<() => void> = [];

  const capture = (stream: NodeJS.WriteStream) => {
    const original = stream.write.bind(stream);
    stream.write = ((chunk: unknown, ...rest: unknown[]) => {
      written.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk as Uint8Array).toString());
      return (original as (...args: unknown[]) => boolean)(chunk, ...rest);
    }) as typeof stream.write;
    restore.push(() => {
      stream.write = original as typeof stream.write;
    });
  };

  beforeAll(async () => {
    capture(process.stdout);
    capture(process.stderr);
    upstream = await startCircleSimulator({ port: 0, fast: true });
    const env = {
      CIRCLE_API_KEY: API_KEY,
      CIRCLE_BASE_URL: upstream.url,
      LOG_LEVEL: 'debug',
      UPSTREAM_ATTEMPT_TIMEOUT_MS: '300',
      MUTATION_DEADLINE_MS: '1500',
      UPSTREAM_RETRY_BASE_DELAY_MS: '10',
      UPSTREAM_RETRY_MAX_DELAY_MS: '40',
      UPSTREAM_RETRY_BUDGET_RATIO: '1',
      CIRCUIT_FAILURE_THRESHOLD: '0',
      RATE_LIMIT_EXEMPT: 'none',
      RATE_LIMIT_DEVICE_RATE: '1',
      RATE_LIMIT_DEVICE_BURST: '3',
      // Every path runs from one address: its share of Circle's quota would refuse most of them.
      RATE_LIMIT_UPSTREAM_RATE: '0',
    };
    gateway = await startTestGateway(env);
    noUserId = await startTestGateway({ ...env, USER_ID_PATH: 'disabled' });
  });
  afterAll(async () => {
    for (const undo of restore) undo();
    await Promise.all([gateway?.close(), noUserId?.close()]);
    await upstream?.close();
  });

  const session = () => {
    const created = upstream.simulator.createSession();
    secrets.add(created.userToken);
    secrets.add(created.refreshToken);
    secrets.add(created.encryptionKey);
    return created;
  };

  /** Sends a request through `target`, keeps its whole answer, returns the first error code. */
  const send = async (
    path: string,
    init: { body: string; headers?: Record<string, string> },
    target = gateway,
  ) => {
    const response = await postJson(target.graphqlUrl, init.body, init.headers);
    const text = await response.text();
    const headers = [...response.headers].map(([name, value]) => `${name}: ${value}`).join('\n');
    let code = 'OK';
    const issued: string[] = [];
    try {
      const json = JSON.parse(text);
      code = json.errors?.[0]?.extensions?.code ?? 'OK';
      const payload = json.data?.refreshUserToken;
      for (const key of ['userToken', 'refreshToken', 'encryptionKey']) {
        if (typeof payload?.[key] === 'string') {
          issued.push(payload[key]);
          secrets.add(payload[key]);
        }
      }
    } catch {
      code = `HTTP ${response.status}`;
    }
    exchanges.push({ path, code, text, headers, issued });
    return { code, status: response.status, text };
  };

  const refresh = (path: string, input: Record<string, unknown>, target = gateway) =>
    send(path, { body: JSON.stringify({ query: REFRESH_MUTATION, variables: { input } }) }, target);

  const withFault = async (
    path: string,
    fault: SimulatorFault,
    input: Record<string, unknown>,
    expected: string,
  ) => {
    upstream.simulator.clearFaults();
    upstream.simulator.injectFault(fault);
    const { code } = await refresh(path, input);
    upstream.simulator.clearFaults();
    expect(code, path).toBe(expected);
  };

  it('runs every path', async () => {
    // Success, both user paths; then the rotated refresh token is refused.
    const a = session();
    expect((await refresh('success by userToken', refreshInput(a))).code).toBe('OK');
    expect((await refresh('used refresh token', refreshInput(a))).code).toBe('REFRESH_REJECTED');
    expect((await refresh('success by userId', refreshInputByUserId(session()))).code).toBe('OK');

    // Every error row of the contract, from Circle's answers.
    const rows: Array<[string, SimulatorFault, string, boolean?]> = [
      ['155104', { path: 'refresh', status: 403, code: 155104 }, 'USER_TOKEN_EXPIRED'],
      ['155103', { path: 'refresh', status: 401, code: 155103 }, 'USER_TOKEN_INVALID'],
      ['155105', { path: 'refresh', status: 403, code: 155105 }, 'USER_TOKEN_INVALID'],
      ['155102', { path: 'mint', status: 404, code: 155102 }, 'USER_NOT_FOUND', true],
      ['155109', { path: 'refresh', status: 409, code: 155109 }, 'USER_DISABLED'],
      ['155113', { path: 'refresh', status: 400, code: 155113 }, 'DEVICE_INVALID'],
      ['155137', { path: 'refresh', status: 400, code: 155137 }, 'DEVICE_INVALID'],
      ['code 2', { path: 'refresh', status: 400, code: 2 }, 'REFRESH_REJECTED'],
      ['429', { path: 'refresh', status: 429, retryAfter: 0, count: 5 }, 'RATE_LIMITED'],
      ['key 401', { path: 'refresh', status: 401, code: 401 }, 'UPSTREAM_AUTH_FAILED'],
      ['key 403', { path: 'refresh', status: 403, code: 3 }, 'UPSTREAM_AUTH_FAILED'],
      ['hang', { path: 'refresh', hang: true, count: 5 }, 'UPSTREAM_TIMEOUT'],
      ['5xx', { path: 'refresh', status: 503, count: 5 }, 'UPSTREAM_UNAVAILABLE'],
      ['drop', { path: 'refresh', drop: true, count: 5 }, 'UPSTREAM_UNAVAILABLE'],
      ['malformed', { path: 'refresh', malformed: 'not-json', count: 5 }, 'UPSTREAM_UNAVAILABLE'],
      [
        'wrong shape',
        { path: 'refresh', malformed: 'wrong-shape', count: 5 },
        'UPSTREAM_UNAVAILABLE',
      ],
      ['truncated', { path: 'refresh', truncated: true, count: 5 }, 'UPSTREAM_UNAVAILABLE'],
      ['lost answer', { path: 'refresh', drop: true, afterProcessing: true }, 'OK'],
    ];
    for (const [name, fault, expected, userId] of rows) {
      const s = session();
      await withFault(name, fault, userId ? refreshInputByUserId(s) : refreshInput(s), expected);
    }
    upstream.simulator.abortPending();

    // Bad input, with real tokens in it: broken oneOf, an oversized field, a body that is not
    // JSON, a syntax error, a refused document.
    const b = session();
    expect(
      (
        await refresh('oneOf both', {
          ...refreshInput(b),
          user: { userId: b.userId, userToken: b.userToken },
        })
      ).code,
    ).toBe('BAD_USER_INPUT');
    expect(
      (
        await refresh('oversized', {
          ...refreshInput(b),
          deviceId: `${b.refreshToken}${'x'.repeat(300)}`,
        })
      ).code,
    ).toBe('BAD_USER_INPUT');
    expect(
      (await refresh('unknown field', { ...refreshInput(b), secret: b.encryptionKey })).code,
    ).toBe('BAD_USER_INPUT');
    const notJson = `{"query":"${REFRESH_MUTATION.replace(/\n/g, ' ')}","variables":{"input":{"user":{"userToken":"${b.userToken}"},"deviceId":"${b.deviceId}","refreshToken":"${b.refreshToken}"}}`;
    expect((await send('not JSON', { body: notJson })).code).toBe('BAD_USER_INPUT');
    const inline = `mutation { refreshUserToken(input: { user: { userToken: "${b.userToken}" }, deviceId: "${b.deviceId}", refreshToken: "${b.refreshToken}" }) { userToken wrong } }`;
    expect((await send('inline literal', { body: JSON.stringify({ query: inline }) })).code).toBe(
      'BAD_USER_INPUT',
    );
    expect(
      (
        await send('syntax', {
          body: JSON.stringify({
            query: `mutation { refreshUserToken(input: { user: { userToken: "${b.userToken}" `,
          }),
        })
      ).code,
    ).toBe('BAD_USER_INPUT');
    const twice = `mutation ($i: RefreshUserTokenInput!) { a: refreshUserToken(input: $i) { userToken } b: refreshUserToken(input: $i) { userToken } }`;
    expect(
      (
        await send('two refreshes', {
          body: JSON.stringify({ query: twice, variables: { i: refreshInput(b) } }),
        })
      ).code,
    ).toBe('BAD_USER_INPUT');
    const big = JSON.stringify({
      query: REFRESH_MUTATION,
      variables: { input: refreshInput(b), pad: 'x'.repeat(70_000) },
    });
    expect((await send('too large', { body: big })).code).toBe('BAD_USER_INPUT');
    expect(
      (
        await send('csrf', {
          body: `query=${encodeURIComponent(REFRESH_MUTATION)}&variables=${encodeURIComponent(JSON.stringify({ input: refreshInput(b) }))}`,
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
        })
      ).code,
    ).toBe('BAD_USER_INPUT');

    // The gateway's own refusals: a device over its limit, the userId path turned off.
    const c = session();
    const codes = [];
    for (let i = 0; i < 5; i += 1)
      codes.push((await refresh('device limit', refreshInput(c))).code);
    expect(codes).toContain('RATE_LIMITED');
    expect((await refresh('forbidden', refreshInputByUserId(session()), noUserId)).code).toBe(
      'FORBIDDEN',
    );

    // Everything Circle was sent is a secret too (minted tokens travel only gateway → Circle).
    for (const call of upstream.simulator.requests) {
      const token = call.headers['x-user-token'];
      if (token) secrets.add(token);
      const body = call.body as { refreshToken?: unknown } | undefined;
      if (typeof body?.refreshToken === 'string') secrets.add(body.refreshToken);
    }
    const seen = new Set(exchanges.map((e) => e.code));
    // Every code the gateway can answer was exercised, so a new code needs a path here. No
    // setting makes INTERNAL_SERVER_ERROR happen over HTTP; test/schema/errors.api.test.ts covers it in process.
    for (const code of [
      'OK',
      ...GATEWAY_ERROR_CODES.filter((code) => code !== 'INTERNAL_SERVER_ERROR'),
    ]) {
      expect(seen, code).toContain(code);
    }
  }, 60_000);

  it('finds no secret in any response body or header', () => {
    expect(secrets.size).toBeGreaterThan(40);
    const hits: string[] = [];
    for (const exchange of exchanges) {
      for (const secret of secrets) {
        if (exchange.issued.includes(secret)) continue;
        if (exchange.text.includes(secret))
          hits.push(`${exchange.path}: body has ${secret.slice(0, 12)}…`);
        if (exchange.headers.includes(secret))
          hits.push(`${exchange.path}: headers have ${secret.slice(0, 12)}…`);
      }
      // A success body carries its own tokens once each, in the payload, and nowhere else.
      for (const token of exchange.issued) {
        expect(exchange.text.split(token).length - 1, exchange.path).toBe(1);
        expect(exchange.headers).not.toContain(token);
      }
    }
    expect(hits).toEqual([]);
  });

  it('finds no secret in any log line or in anything written to stdout or stderr', () => {
    const lines = [...gateway.logs, ...noUserId.logs];
    expect(lines.length).toBeGreaterThan(exchanges.length);
    const hits: string[] = [];
    for (const [where, texts] of [
      ['log', lines],
      ['stdout/stderr', written],
    ] as const) {
      for (const text of texts) {
        for (const secret of secrets) {
          if (text.includes(secret))
            hits.push(`${where}: ${secret.slice(0, 12)}… in ${text.slice(0, 120)}`);
        }
      }
    }
    expect(hits).toEqual([]);
  });
});
