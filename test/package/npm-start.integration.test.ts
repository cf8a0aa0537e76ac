import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { afterEach, describe, expect, it } from 'vitest';
import { jwtLike } from '../support/jwt.js';
import { answer, startRecordingUpstream } from '../support/recording-upstream.js';
import { postJson as post } from '../support/requests.js';

/** `npm start` as an operator runs it: a separate process, configured by its environment. */
const ROOT = new URL('../../', import.meta.url).pathname;
const API_KEY = 'TEST_API_KEY:7d1e2f3a:9b8c7d6e5f4a';

interface Started {
  child: ChildProcess;
  stdout: string[];
  stderr: string[];
  graphqlUrl: Promise<string>;
  exited: Promise<number | null>;
}

const children: ChildProcess[] = [];
afterEach(() => {
  for (const child of children.splice(0)) child.kill('SIGKILL');
});

function start(env: Record<string, string>): Started {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/index.ts'], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', PORT: '0', SIMULATOR_PORT: '0', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  const stdout: string[] = [];
  const stderr: string[] = [];
  let resolveUrl: (url: string) => void;
  const graphqlUrl = new Promise<string>((resolve) => {
    resolveUrl = resolve;
  });
  child.stdout?.on('data', (chunk: Buffer) => stdout.push(chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr.push(chunk.toString());
    const match = stderr.join('').match(/GraphQL:\s+(http:\/\/\S+\/graphql)/);
    if (match?.[1]) resolveUrl(match[1]);
  });
  const exited = once(child, 'exit').then(([code]) => code as number | null);
  return { child, stdout, stderr, graphqlUrl, exited };
}

const mutation = (refreshToken: string) => ({
  query:
    'mutation($input: RefreshUserTokenInput!) { refreshUserToken(input: $input) { userToken refreshToken } }',
  variables: {
    input: { user: { userToken: jwtLike({ sub: 'u' }) }, deviceId: 'device-1', refreshToken },
  },
});

describe('npm start', () => {
  it('serves the mutation against the upstream named by CIRCLE_BASE_URL, and stops on SIGTERM', async () => {
    const upstream = await startRecordingUpstream((call, res) =>
      answer(res, call, 200, { data: { userToken: 'new-user-token', refreshToken: 'rt-2' } }),
    );
    try {
      const gateway = start({ CIRCLE_API_KEY: API_KEY, CIRCLE_BASE_URL: upstream.url });
      const url = await gateway.graphqlUrl;
      expect(gateway.stderr.join('')).toContain(`Upstream:   ${upstream.url}`);
      const response = await post(url, mutation('rt-1'));
      expect(await response.json()).toEqual({
        data: { refreshUserToken: { userToken: 'new-user-token', refreshToken: 'rt-2' } },
      });
      expect(upstream.calls[0]?.headers.authorization).toBe(`Bearer ${API_KEY}`);

      gateway.child.kill('SIGTERM');
      expect(await gateway.exited).toBe(0);
      const output = gateway.stdout.join('') + gateway.stderr.join('');
      for (const secret of [API_KEY, '9b8c7d6e5f4a', 'new-user-token', 'rt-1', 'rt-2']) {
        expect(output).not.toContain(secret);
      }
    } finally {
      await upstream.close();
    }
  });

  it('finishes a request in flight on SIGTERM and refuses new ones', async () => {
    let release: () => void = () => {};
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    const upstream = await startRecordingUpstream(async (call, res) => {
      await held;
      answer(res, call, 200, { data: { userToken: 'late-token' } });
    });
    try {
      const gateway = start({ CIRCLE_API_KEY: API_KEY, CIRCLE_BASE_URL: upstream.url });
      const url = await gateway.graphqlUrl;
      const inFlight = post(url, mutation('rt-1'));
      while (upstream.calls.length === 0) await new Promise((r) => setTimeout(r, 10));
      gateway.child.kill('SIGTERM');
      await new Promise((r) => setTimeout(r, 200));
      // A new request is refused: the listener is closed.
      await expect(post(url, mutation('rt-2'))).rejects.toThrow();
      release();
      const response = await inFlight;
      expect(response.status).toBe(200);
      expect(await response.json()).toEqual({
        data: { refreshUserToken: { userToken: 'late-token', refreshToken: null } },
      });
      expect(await gateway.exited).toBe(0);
    } finally {
      release();
      await upstream.close();
    }
  });

  it('serves from several worker processes with WORKERS=2, and all stop on SIGTERM', async () => {
    const upstream = await startRecordingUpstream((call, res) =>
      answer(res, call, 200, { data: { userToken: 'worker-token' } }),
    );
    try {
      const gateway = start({
        CIRCLE_API_KEY: API_KEY,
        CIRCLE_BASE_URL: upstream.url,
        WORKERS: '2',
        PORT: '0',
      });
      const url = await gateway.graphqlUrl;
      expect(gateway.stderr.join('').match(/GraphQL:/g)).toHaveLength(1);
      // Two processes started a gateway each (one log line apiece).
      const started = () => gateway.stdout.join('').match(/"msg":"gateway started"/g)?.length ?? 0;
      for (let i = 0; i < 100 && started() < 2; i += 1) await new Promise((r) => setTimeout(r, 50));
      expect(started()).toBe(2);
      const answers = await Promise.all(
        Array.from({ length: 6 }, (_, i) => post(url, mutation(`rt-${i}`)).then((r) => r.json())),
      );
      for (const body of answers) {
        expect(body).toEqual({
          data: { refreshUserToken: { userToken: 'worker-token', refreshToken: null } },
        });
      }
      gateway.child.kill('SIGTERM');
      expect(await gateway.exited).toBe(0);
    } finally {
      await upstream.close();
    }
  });

  it('refuses WORKERS > 1 without a key (the simulator lives in one process)', async () => {
    const gateway = start({ WORKERS: '2' });
    expect(await gateway.exited).toBe(1);
    expect(gateway.stderr.join('')).toContain('WORKERS > 1 needs CIRCLE_API_KEY');
  });

  it('runs on the embedded simulator without a key, and says so', async () => {
    const gateway = start({});
    const url = await gateway.graphqlUrl;
    const banner = gateway.stderr.join('');
    expect(banner).toContain('embedded Circle simulator');
    expect(banner).toMatch(/GraphiQL:\s+open http/);
    const info = await post(url, { query: '{ circleWalletsGateway { simulated } }' });
    expect(await info.json()).toEqual({ data: { circleWalletsGateway: { simulated: true } } });
    gateway.child.kill('SIGTERM');
    expect(await gateway.exited).toBe(0);
  });

  it('refuses to start in production without a key, with a clear message', async () => {
    const gateway = start({ NODE_ENV: 'production' });
    expect(await gateway.exited).toBe(1);
    expect(gateway.stderr.join('')).toContain(
      'CIRCLE_API_KEY is required when NODE_ENV=production',
    );
  });

  it('reports every bad setting at once and never echoes the key', async () => {
    const gateway = start({
      CIRCLE_API_KEY: 'sk_live_very_secret',
      PORT: 'eighty',
      MUTATION_DEADLINE_MS: '-5',
    });
    expect(await gateway.exited).toBe(1);
    const message = gateway.stderr.join('');
    expect(message).toContain('PORT');
    expect(message).toContain('MUTATION_DEADLINE_MS');
    expect(message).toContain('CIRCLE_API_KEY must have the form');
    expect(message).not.toContain('sk_live_very_secret');
  });
});
