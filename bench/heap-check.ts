/**
 * Is anything retained per request? RSS saws between major GCs (tens of MiB over 10-40 s), so a
 * flat RSS floor is a weak signal. This runs the production build of the gateway and the
 * simulator (fast mode) in one process started with --expose-gc, sends refreshes (userToken path,
 * the same 32 replayed bodies as the bench) in rounds from 10 connections, and after each round
 * forces two full GCs and prints the heap that is still alive. A leak grows it round after round.
 *
 *   npm run bench:heap                 6 rounds of 20,000 requests
 *   npm run bench:heap -- 10 50000     10 rounds of 50,000
 */

import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { Pool } from 'undici';

const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) {
  process.stderr.write('run with node --expose-gc (npm run bench:heap does)\n');
  process.exit(2);
}
const rounds = Number(process.argv[2] ?? 6);
const perRound = Number(process.argv[3] ?? 20_000);
const CONNECTIONS = 10;

const built = spawnSync('npm', ['run', 'build', '--silent'], { stdio: 'inherit' });
if (built.status !== 0) process.exit(built.status ?? 1);
const dist = new URL('../dist/', import.meta.url);
const { readConfig } = (await import(
  new URL('settings.js', dist).href
)) as typeof import('../src/settings.js');
const { startGatewayServer } = (await import(
  new URL('http/server.js', dist).href
)) as typeof import('../src/http/server.js');
const { startCircleSimulator } = (await import(
  new URL('simulator/index.js', dist).href
)) as typeof import('../src/simulator/index.js');
const { createLogger } = (await import(
  new URL('observability/logger.js', dist).href
)) as typeof import('../src/observability/logger.js');

const simulator = await startCircleSimulator({ fast: true, maxRecordedRequests: 1 });
const gateway = await startGatewayServer(
  readConfig({
    NODE_ENV: 'production',
    CIRCLE_API_KEY: 'TEST_API_KEY:heap-check:secret',
    CIRCLE_BASE_URL: simulator.url,
    HOST: '127.0.0.1',
    PORT: '0',
    RATE_LIMIT_ADDRESS_RATE: '0',
    RATE_LIMIT_DEVICE_RATE: '0',
    RATE_LIMIT_UPSTREAM_RATE: '0',
    METRICS_PORT: '0',
  }),
  { logger: createLogger({ level: 'error' }) },
);

const query =
  'mutation RefreshUserToken($input: RefreshUserTokenInput!) { refreshUserToken(input: $input) { userToken refreshToken encryptionKey userId expiresAt idempotencyKey requestId } }';
const bodies: string[] = [];
for (let i = 0; i < 32; i += 1) {
  const session = await simulator.simulator.createSession();
  bodies.push(
    JSON.stringify({
      query,
      variables: {
        input: {
          user: { userToken: session.userToken },
          deviceId: session.deviceId,
          refreshToken: session.refreshToken,
          idempotencyKey: randomUUID(),
        },
      },
    }),
  );
}

const pool = new Pool(gateway.url, { connections: CONNECTIONS });
let sent = 0;
const worker = async (count: number) => {
  for (let i = 0; i < count; i += 1) {
    const response = await pool.request({
      path: '/graphql',
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: bodies[sent++ % bodies.length],
    });
    const text = await response.body.text();
    if (response.statusCode !== 200 || text.includes('"errors"')) {
      throw new Error(`unexpected answer ${response.statusCode}`);
    }
  }
};
const liveHeapMiB = () => {
  gc();
  gc();
  return process.memoryUsage().heapUsed / 1_048_576;
};

const baseline = liveHeapMiB();
process.stdout.write(`live heap before any request: ${baseline.toFixed(1)} MiB\n`);
const after: number[] = [];
for (let round = 1; round <= rounds; round += 1) {
  await Promise.all(
    Array.from({ length: CONNECTIONS }, () => worker(Math.ceil(perRound / CONNECTIONS))),
  );
  after.push(liveHeapMiB());
  const stats = gateway.gateway.fastPathStats();
  process.stdout.write(
    `after ${sent.toLocaleString('en-US')} requests: live heap ${after.at(-1)!.toFixed(1)} MiB (fast path served ${stats.served.toLocaleString('en-US')})\n`,
  );
}
const first = after[0]!;
const last = after.at(-1)!;
process.stdout.write(
  `live heap from round 1 to round ${rounds}: ${first.toFixed(1)} -> ${last.toFixed(1)} MiB (${(((last - first) / first) * 100).toFixed(1)}%)\n`,
);
await pool.close();
await gateway.close();
await simulator.close();
