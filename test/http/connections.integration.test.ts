import { Agent, request as httpRequest } from 'node:http';
import { connect, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { jwtLike } from '../support/jwt.js';
import { rawExchange, startTestGateway, type TestGateway } from '../support/loopback-gateway.js';
import { answer, startRecordingUpstream } from '../support/recording-upstream.js';
import { REFRESH_MUTATION } from '../support/refresh.js';

const body = (refreshToken: string) =>
  JSON.stringify({
    query: REFRESH_MUTATION,
    variables: {
      input: { user: { userToken: jwtLike({ sub: 'u' }) }, deviceId: 'd', refreshToken },
    },
  });

/** One POST through a keep-alive agent: status, headers, and the error when the socket failed. */
function send(url: string, agent: Agent, payload: string) {
  return new Promise<{ status?: number; connection?: string; error?: string }>((resolve) => {
    const req = httpRequest(
      `${url}/graphql`,
      {
        method: 'POST',
        agent,
        headers: {
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(payload),
        },
      },
      (res) => {
        res.resume();
        res.on('end', () =>
          resolve({ status: res.statusCode, connection: res.headers.connection }),
        );
      },
    );
    req.on('error', (error: NodeJS.ErrnoException) =>
      resolve({ error: error.code ?? error.message }),
    );
    req.end(payload);
  });
}

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function gatewayOn(env: Record<string, string>, delayMs = 0) {
  const upstream = await startRecordingUpstream(async (call, res) => {
    await new Promise((resolve) => setTimeout(resolve, delayMs));
    answer(res, call, 200, { data: { userToken: jwtLike({ sub: 'new' }), refreshToken: 'r2' } });
  });
  cleanups.push(upstream.close);
  const gateway = await startTestGateway({
    LOG_LEVEL: 'silent',
    CIRCLE_API_KEY: 'TEST_API_KEY:conn-test:conn-test-secret',
    CIRCLE_BASE_URL: upstream.url,
    ...env,
  });
  cleanups.push(gateway.close);
  return { gateway, upstream };
}

const waitFor = async (check: () => boolean) => {
  for (let i = 0; i < 200 && !check(); i += 1) await new Promise((r) => setTimeout(r, 10));
  expect(check()).toBe(true);
};

describe.each([
  ['Yoga (FAST_PATH=false)', 'false'],
  ['the default (fast path on)', 'true'],
])('draining with keep-alive clients: %s', (_name, fastPath) => {
  it('answers an in-flight request with Connection: close, so the client never reuses the socket', async () => {
    const { gateway, upstream } = await gatewayOn({ FAST_PATH: fastPath }, 300);
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    cleanups.push(() => agent.destroy());
    // The socket stays open for the next request.
    const first = await send(gateway.url, agent, body('r-0'));
    expect(first).toMatchObject({ status: 200, connection: 'keep-alive' });

    const inFlight = send(gateway.url, agent, body('r-1'));
    await waitFor(() => upstream.calls.length === 2);
    const closing = gateway.close();
    const answered = await inFlight;
    expect(answered).toMatchObject({ status: 200, connection: 'close' });
    // Both requests took the fast path (no first pass through Yoga since it runs on envelop).
    if (fastPath === 'true') expect(gateway.gateway.fastPathStats().served).toBe(2);

    // The next request opens a new connection, which the closed listener refuses: never a reset.
    const next = await send(gateway.url, agent, body('r-2'));
    expect(next.error).toBe('ECONNREFUSED');
    await closing;
  });

  it('does not wait for a stalled upload: it is answered 503 at once and the drain ends', async () => {
    const { gateway, upstream } = await gatewayOn({
      FAST_PATH: fastPath,
      SHUTDOWN_TIMEOUT_MS: '10000',
    });
    const payload = body('r-stalled');
    const { port } = new URL(gateway.url);
    const socket: Socket = connect(Number(port), '127.0.0.1');
    cleanups.push(() => void socket.destroy());
    let raw = '';
    socket.on('data', (data) => {
      raw += data.toString('utf8');
    });
    socket.on('error', () => {});
    socket.write(
      `POST /graphql HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(payload)}\r\n\r\n${payload.slice(0, 20)}`,
    );
    await new Promise((r) => setTimeout(r, 200));
    const started = performance.now();
    await gateway.close();
    expect(performance.now() - started).toBeLessThan(1_500);
    await waitFor(() => raw.includes('\r\n\r\n'));
    expect(raw).toMatch(/^HTTP\/1\.1 503 /);
    expect(raw.toLowerCase()).toContain('connection: close');
    expect(upstream.calls).toEqual([]);
  });
});

describe('slow clients and connection count', () => {
  let gateway: TestGateway;

  it('closes a client that takes longer than HEADERS_TIMEOUT_MS to send its headers', async () => {
    ({ gateway } = await gatewayOn({ HEADERS_TIMEOUT_MS: '1000', REQUEST_TIMEOUT_MS: '2000' }));
    const started = performance.now();
    const result = await rawExchange(gateway.url, 'POST /graphql HTTP/1.1\r\nHost: x\r\n', [], {
      timeoutMs: 8_000,
    });
    expect(result.status).toBe(408);
    expect(performance.now() - started).toBeLessThan(3_000);
  });

  it('closes a client whose body takes longer than REQUEST_TIMEOUT_MS', async () => {
    ({ gateway } = await gatewayOn({ HEADERS_TIMEOUT_MS: '1000', REQUEST_TIMEOUT_MS: '2000' }));
    const started = performance.now();
    const result = await rawExchange(
      gateway.url,
      'POST /graphql HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 500\r\n\r\n',
      ['{"query":'],
      { timeoutMs: 8_000 },
    );
    expect(result.status).toBe(408);
    const elapsed = performance.now() - started;
    expect(elapsed).toBeGreaterThan(1_500);
    expect(elapsed).toBeLessThan(4_000);
  });

  it('holds at most MAX_CONNECTIONS sockets open, and serves again once one goes', async () => {
    ({ gateway } = await gatewayOn({ MAX_CONNECTIONS: '5' }));
    const { port } = new URL(gateway.url);
    const open = (): Promise<{ socket: Socket; closed: Promise<void> }> =>
      new Promise((resolve) => {
        const socket = connect(Number(port), '127.0.0.1');
        socket.on('error', () => {});
        const closed = new Promise<void>((done) => socket.once('close', () => done()));
        socket.once('connect', () => resolve({ socket, closed }));
      });
    const held: Array<{ socket: Socket; closed: Promise<void> }> = [];
    for (let i = 0; i < 5; i += 1) held.push(await open());
    cleanups.push(() => {
      for (const { socket } of held) socket.destroy();
    });
    const extra = await open();
    const dropped = await Promise.race([
      extra.closed.then(() => true),
      new Promise((r) => setTimeout(() => r(false), 1_000)),
    ]);
    expect(dropped).toBe(true);
    held.shift()?.socket.destroy();
    await new Promise((r) => setTimeout(r, 50));
    const served = await fetch(`${gateway.url}/health`);
    expect(served.status).toBe(200);
  });
});
