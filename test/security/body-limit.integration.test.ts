import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  chunk,
  rawExchange,
  startTestGateway,
  type TestGateway,
} from '../support/loopback-gateway.js';
import { post } from '../support/requests.js';

/** MAX_BODY_BYTES over a real socket: by Content-Length, and by counting a chunked body. */
describe('the request body limit', () => {
  let gateway: TestGateway;
  beforeAll(async () => {
    gateway = await startTestGateway({ LOG_LEVEL: 'silent', MAX_BODY_BYTES: '4096' });
  });
  afterAll(async () => {
    await gateway?.close();
  });

  const head = (headers: string) =>
    `POST /graphql HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n${headers}\r\n`;

  it('lets a body under the limit through', async () => {
    const padding = ' '.repeat(3_000);
    const answer = await post(
      gateway.graphqlUrl,
      `{"query":"{ circleWalletsGateway { version } }"${padding}}`,
    );
    expect(answer.status).toBe(200);
    expect(answer.json.errors).toBeUndefined();
  });

  it('answers 413 from the Content-Length alone, without waiting for the body', async () => {
    const started = performance.now();
    const { status, raw } = await rawExchange(
      gateway.graphqlUrl,
      head('Content-Length: 10000000\r\n'),
      ['{"query":"{ circleWalletsGateway { version } }"'],
      { timeoutMs: 3_000 },
    );
    expect(status).toBe(413);
    expect(performance.now() - started).toBeLessThan(2_000);
    const body = JSON.parse(raw.slice(raw.indexOf('\r\n\r\n') + 4).replace(/^[0-9a-f]+\r\n/, ''));
    expect(body.errors[0].extensions).toMatchObject({
      code: 'BAD_USER_INPUT',
      reason: 'BODY_TOO_LARGE',
    });
  });

  it('answers 413 to a chunked body once the bytes streamed pass the limit', async () => {
    const piece = ' '.repeat(1_024);
    const chunks = [
      chunk('{"query":"{ circleWalletsGateway { version } }"'),
      ...Array(64).fill(chunk(piece)),
    ];
    chunks.push(chunk('}'), '0\r\n\r\n');
    const { status, raw } = await rawExchange(
      gateway.graphqlUrl,
      head('Transfer-Encoding: chunked\r\n'),
      chunks,
      { pauseMs: 2, timeoutMs: 5_000 },
    );
    expect(status).toBe(413);
    expect(raw).toContain('BODY_TOO_LARGE');
  });

  it('lets a chunked body under the limit through', async () => {
    const chunks = [
      chunk('{"query":"{ circleWalletsGateway { version } }"'),
      chunk(' '.repeat(1_000)),
      chunk('}'),
    ];
    chunks.push('0\r\n\r\n');
    const { status, raw } = await rawExchange(
      gateway.graphqlUrl,
      head('Transfer-Encoding: chunked\r\nConnection: close\r\n'),
      chunks,
    );
    expect(status).toBe(200);
    expect(raw).toContain('"version"');
  });
});
