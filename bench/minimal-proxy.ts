/**
 * The floor any Node gateway pays: node:http in, one undici Pool call to the same upstream
 * refresh endpoint, the same JSON out as the gateway's `data.refreshUserToken`. No GraphQL, no
 * validation beyond reading four fields, no retries, no logging.
 *
 * Env: UPSTREAM_URL (required), CIRCLE_API_KEY, PORT (0 = a free one). Prints `{"url": ...}`
 * on stdout once it listens.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Pool } from 'undici';

const upstream = new URL(process.env.UPSTREAM_URL ?? '');
const apiKey = process.env.CIRCLE_API_KEY ?? 'TEST_API_KEY:bench:secret';
const pool = new Pool(upstream.origin, {
  connections: 64,
  pipelining: 1,
  keepAliveTimeout: 30_000,
});

interface ProxyInput {
  userToken: string;
  deviceId: string;
  refreshToken: string;
  idempotencyKey: string;
}

function send(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
    'cache-control': 'no-store',
  });
  res.end(text);
}

function expiryOf(token: string): string | null {
  const payload = token.split('.')[1];
  if (!payload) return null;
  try {
    const exp = (JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as { exp?: number })
      .exp;
    return typeof exp === 'number' ? new Date(exp * 1000).toISOString() : null;
  } catch {
    return null;
  }
}

async function refresh(input: ProxyInput, res: ServerResponse): Promise<void> {
  const requestId = randomUUID();
  const answer = await pool.request({
    path: '/v1/w3s/users/token/refresh',
    method: 'POST',
    headers: {
      authorization: `Bearer ${apiKey}`,
      'content-type': 'application/json',
      accept: 'application/json',
      'x-user-token': input.userToken,
      'x-request-id': requestId,
    },
    body: JSON.stringify({
      idempotencyKey: input.idempotencyKey,
      refreshToken: input.refreshToken,
      deviceId: input.deviceId,
    }),
  });
  const json = (await answer.body.json()) as {
    data?: { userToken: string; encryptionKey?: string; refreshToken?: string; userID?: string };
    code?: number;
  };
  if (answer.statusCode !== 200 || !json.data) {
    send(res, 502, { error: 'upstream', status: answer.statusCode, code: json.code ?? null });
    return;
  }
  const header = answer.headers['x-request-id'];
  const data = json.data;
  send(res, 200, {
    userToken: data.userToken,
    refreshToken: data.refreshToken ?? null,
    encryptionKey: data.encryptionKey ?? null,
    userId: data.userID ?? null,
    expiresAt: expiryOf(data.userToken),
    idempotencyKey: input.idempotencyKey,
    requestId: (Array.isArray(header) ? header[0] : header) ?? requestId,
  });
}

const server = createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (chunk: Buffer) => chunks.push(chunk));
  req.on('end', () => {
    let input: ProxyInput;
    try {
      input = JSON.parse(Buffer.concat(chunks).toString('utf8')) as ProxyInput;
    } catch {
      send(res, 400, { error: 'body is not JSON' });
      return;
    }
    refresh(input, res).catch(() => send(res, 502, { error: 'upstream unreachable' }));
  });
});
server.keepAliveTimeout = 5_000;

server.listen(Number(process.env.PORT || 0), '127.0.0.1', () => {
  const address = server.address() as AddressInfo;
  process.stdout.write(`${JSON.stringify({ url: `http://127.0.0.1:${address.port}` })}\n`);
});

const stop = () => {
  server.close(() => {
    pool.close().then(() => process.exit(0));
  });
  server.closeAllConnections();
};
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
