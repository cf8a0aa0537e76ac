/**
 * Helpers for the suites that drive the whole product on a real loopback socket
 * (startTestGateway): the security controls, and the connection, upstream-expiry and metrics-port
 * suites. Requests shaped the way a hostile or a careless client shapes them; well-formed ones
 * are ./requests.ts's.
 */
import { request as httpRequest } from 'node:http';
import { connect } from 'node:net';
import { afterAll, beforeAll } from 'vitest';
import { type RunningSimulator, startCircleSimulator } from '../../src/simulator/index.js';
import { startTestGateway } from './gateway-server.js';

export type TestGateway = Awaited<ReturnType<typeof startTestGateway>>;

export { startTestGateway };

/**
 * For a suite of production gateways (`NODE_ENV=production`, the given key) in front of one
 * simulator: registers the suite's beforeAll/afterAll, so call it inside `describe`. Every gateway
 * started, or pushed on `gateways`, is closed after the suite, then the simulator.
 */
export function productionGateways(apiKey: string) {
  const rig = {
    upstream: undefined as unknown as RunningSimulator,
    gateways: [] as TestGateway[],
    async start(env: Record<string, string> = {}): Promise<TestGateway> {
      const gateway = await startTestGateway({
        NODE_ENV: 'production',
        CIRCLE_API_KEY: apiKey,
        CIRCLE_BASE_URL: rig.upstream.url,
        LOG_LEVEL: 'silent',
        ...env,
      });
      rig.gateways.push(gateway);
      return gateway;
    },
  };
  beforeAll(async () => {
    rig.upstream = await startCircleSimulator({ port: 0, fast: true });
  });
  afterAll(async () => {
    await Promise.all(rig.gateways.map((gateway) => gateway.close()));
    await rig.upstream?.close();
  });
  return rig;
}

/**
 * Writes `head` and then each chunk to a raw socket (pausing `pauseMs` between chunks) and
 * returns everything the server sent until it closed or `timeoutMs` passed. Writes after the
 * server gave up are allowed to fail: what matters is its answer.
 */
export function rawExchange(
  url: string,
  head: string,
  chunks: Array<string | Buffer>,
  options: { pauseMs?: number; timeoutMs?: number } = {},
): Promise<{ raw: string; status: number; closedEarly: boolean }> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const socket = connect(Number(port), hostname);
    let raw = '';
    let sent = 0;
    let done = false;
    const finish = () => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.destroy();
      const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(raw)?.[1] ?? 0);
      resolve({ raw, status, closedEarly: sent < chunks.length });
    };
    const timer = setTimeout(finish, options.timeoutMs ?? 5_000);
    socket.on('data', (data) => {
      raw += data.toString('utf8');
    });
    socket.on('error', finish);
    socket.on('close', finish);
    socket.on('connect', async () => {
      socket.write(head);
      for (const chunk of chunks) {
        if (done || socket.destroyed) return;
        socket.write(chunk);
        sent += 1;
        if (options.pauseMs) await new Promise((r) => setTimeout(r, options.pauseMs));
      }
    });
  });
}

/** One chunk of a chunked HTTP/1.1 body. */
export const chunk = (data: string) => `${Buffer.byteLength(data).toString(16)}\r\n${data}\r\n`;

/** What a raw POST got back: the status, node:http's headers but Date, the body as text. */
export interface RawAnswer {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** A POST over node:http with exactly these headers and a Content-Length: nothing a fetch client would add. */
export function rawPost(
  url: string,
  headers: Record<string, string>,
  body: string | Uint8Array,
): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      url,
      {
        method: 'POST',
        headers: { 'content-length': String(Buffer.byteLength(body)), ...headers },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => {
          const { date: _date, ...rest } = res.headers as Record<string, string>;
          resolve({
            status: res.statusCode ?? 0,
            headers: rest,
            body: Buffer.concat(chunks).toString(),
          });
        });
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}
