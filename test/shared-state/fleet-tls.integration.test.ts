import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type RunningSimulator, startCircleSimulator } from '../../src/simulator/index.js';
import { startTestRedis, type TestRedis } from '../support/redis-server.js';
import { requires } from '../support/requires.js';
import { type GatewayProcess, post, startGatewayProcess } from './fleet-support.js';

/**
 * `rediss://` end to end: a TLS-only redis-server with a password, a database in the URL, and a
 * gateway process that trusts the server's certificate the standard Node way
 * (NODE_EXTRA_CA_CERTS).
 */
const dir = mkdtempSync(join(tmpdir(), 'gateway-redis-tls-'));
const certFile = join(dir, 'cert.pem');
const keyFile = join(dir, 'key.pem');
let redis: TestRedis;
let circle: RunningSimulator;
let gateway: GatewayProcess;

beforeAll(async () => {
  execFileSync('openssl', [
    ...['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1'],
    ...['-keyout', keyFile, '-out', certFile, '-subj', '/CN=127.0.0.1'],
    ...['-addext', 'subjectAltName=IP:127.0.0.1'],
  ]);
  redis = await startTestRedis(['--requirepass', 'tls-redis-password'], { certFile, keyFile });
  circle = await startCircleSimulator({ rateLimits: false });
  gateway = await startGatewayProcess({
    CIRCLE_API_KEY: 'TEST_API_KEY:tls-key-id:tls-key-secret',
    CIRCLE_BASE_URL: circle.url,
    REDIS_URL: `rediss://:tls-redis-password@127.0.0.1:${redis.port}/2`,
    NODE_EXTRA_CA_CERTS: certFile,
    RATE_LIMIT_EXEMPT: 'none',
    // A bucket lives until it would be full again: at 1/s, a second after the request.
    RATE_LIMIT_ADDRESS_RATE: '1',
  });
}, 120_000);

afterAll(async () => {
  await gateway?.stop();
  await circle?.close();
  await redis?.close();
  rmSync(dir, { recursive: true, force: true });
});

requires('redis-server').describe('REDIS_URL with rediss://', () => {
  it('keeps the rate-limit buckets in the database of the URL, over TLS with the password', async () => {
    const answer = await post(gateway, { query: '{ __typename }' }, '127.0.0.1');
    expect(answer.status).toBe(200);
    const ready = (await (await fetch(`${gateway.url}/ready`)).json()) as {
      redis?: { state: string };
    };
    expect(ready.redis?.state).toBe('up');
    const client = new Redis(`rediss://:tls-redis-password@127.0.0.1:${redis.port}/2`, {
      tls: { ca: readFileSync(certFile) },
    });
    try {
      expect((await client.keys('cwg:rl:*')).length).toBeGreaterThan(0);
    } finally {
      client.disconnect();
    }
    expect(gateway.output()).not.toContain('tls-redis-password');
  });
});
