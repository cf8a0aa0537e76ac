/**
 * Soak: the gateway as `npm start` runs it (a child process, so its memory is its own), in front
 * of the Circle simulator (in this process, fast mode), under a bounded mixed load with faults
 * injected periodically. Loopback only; stops by itself.
 *
 *   npm run soak -- [--duration 30] [--concurrency 16] [--fault-every 500]
 *
 * Prints a table and writes bench/results/soak.json.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  createCircleSimulator,
  type SimulatorFault,
  type SimulatorSession,
} from '../src/simulator/index.js';
import { quantile, round, rssMiB, table } from './soak-stats.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const API_KEY = 'TEST_API_KEY:soak:secret';

const MUTATION = `mutation Soak($input: RefreshUserTokenInput!) {
  refreshUserToken(input: $input) { userToken refreshToken idempotencyKey }
}`;

/** The gateway's settings for the soak: short enough that faults play out within a second or so. */
const GATEWAY_ENV = {
  UPSTREAM_ATTEMPT_TIMEOUT_MS: '1000',
  MUTATION_DEADLINE_MS: '3000',
  UPSTREAM_RETRY_BASE_DELAY_MS: '20',
  UPSTREAM_RETRY_MAX_DELAY_MS: '200',
  CIRCUIT_FAILURE_THRESHOLD: '5',
  CIRCUIT_RESET_MS: '1000',
  UPSTREAM_QUEUE_TIMEOUT_MS: '500',
  // The load generator is one loopback address standing in for many clients, and each worker
  // chains one device's refreshes far faster than any real client (one refresh an hour): the
  // gateway's own per-address and per-device limits would turn the soak into a test of them.
  RATE_LIMIT_ADDRESS_RATE: '0',
  RATE_LIMIT_DEVICE_RATE: '0',
  RATE_LIMIT_UPSTREAM_RATE: '0',
  // Production serves /metrics on a port of its own; a free one, so runs never collide.
  METRICS_PORT: '0',
  LOG_LEVEL: 'error',
};

/** The faults injected in turn, one every `--fault-every` ms. */
const FAULTS: Array<{ name: string; fault: SimulatorFault }> = [
  { name: '503 x3', fault: { path: 'refresh', status: 503, count: 3 } },
  {
    name: '429 Retry-After 1 x2',
    fault: { path: 'refresh', status: 429, retryAfter: 1, count: 2 },
  },
  { name: 'latency 200 ms x5', fault: { path: 'any', latencyMs: 200, count: 5 } },
  { name: '429 x2', fault: { path: 'refresh', status: 429, count: 2 } },
  { name: 'drop x2', fault: { path: 'refresh', drop: true, count: 2 } },
  { name: 'latency 1500 ms x2', fault: { path: 'refresh', latencyMs: 1500, count: 2 } },
  { name: 'mint 503 x2', fault: { path: 'mint', status: 503, count: 2 } },
  { name: 'hang x3', fault: { path: 'refresh', hang: true, count: 3 } },
  // A short outage: enough consecutive failures to open the circuit for CIRCUIT_RESET_MS.
  { name: 'outage: 503 x40', fault: { path: 'any', status: 503, count: 40 } },
  {
    name: 'lost answer (503 after processing)',
    fault: { path: 'refresh', status: 503, afterProcessing: true },
  },
];

interface Options {
  durationS: number;
  concurrency: number;
  faultEveryMs: number;
}

function parseArgs(argv: string[]): Options {
  const options: Options = { durationS: 30, concurrency: 16, faultEveryMs: 500 };
  const flags: Record<string, keyof Options> = {
    '--duration': 'durationS',
    '--concurrency': 'concurrency',
    '--fault-every': 'faultEveryMs',
  };
  for (let i = 0; i < argv.length; i += 1) {
    const [flag, inline] = argv[i]!.split('=', 2);
    const key = flags[flag!];
    if (!key)
      throw new Error(`Unknown argument ${argv[i]} (known: ${Object.keys(flags).join(', ')})`);
    const raw = inline ?? argv[++i];
    const value = Number(raw);
    if (!Number.isFinite(value) || value <= 0) throw new Error(`${flag} needs a positive number`);
    options[key] = value;
  }
  if (options.durationS > 600) throw new Error('--duration is at most 600 seconds');
  if (options.concurrency > 256) throw new Error('--concurrency is at most 256');
  return options;
}

/** The simulator on loopback, counting every call it receives (its own record is bounded). */
async function startUpstream() {
  const simulator = createCircleSimulator({ fast: true, maxRecordedRequests: 100 });
  const calls = { refresh: 0, mint: 0 };
  const server = createServer((req, res) => {
    if (req.url?.startsWith('/v1/w3s/users/token/refresh')) calls.refresh += 1;
    else if (req.url?.startsWith('/v1/w3s/users/token')) calls.mint += 1;
    simulator.handle(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    simulator,
    calls,
    close: () =>
      new Promise<void>((resolve) => {
        simulator.abortPending();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** The production build (`node dist/index.js`) with a real-looking key: no embedded simulator. */
async function startGateway(upstreamUrl: string): Promise<{ child: ChildProcess; url: string }> {
  // Production runs the compiled build; tsx's loader alone would hold ~100 MiB of the figures.
  const built = spawnSync('npm', ['run', 'build', '--silent'], { cwd: ROOT, stdio: 'inherit' });
  if (built.status !== 0) throw new Error('npm run build failed');
  const child = spawn(process.execPath, ['dist/index.js'], {
    cwd: ROOT,
    env: {
      ...process.env,
      ...GATEWAY_ENV,
      NODE_ENV: 'production',
      CIRCLE_API_KEY: API_KEY,
      CIRCLE_BASE_URL: upstreamUrl,
      HOST: '127.0.0.1',
      PORT: '0',
    },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const url = await new Promise<string>((resolve, reject) => {
    let seen = '';
    const timer = setTimeout(() => reject(new Error(`gateway did not start:\n${seen}`)), 30_000);
    child.stderr!.on('data', (chunk: Buffer) => {
      seen += chunk.toString('utf8');
      const match = /GraphQL:\s+(http:\/\/\S+)/.exec(seen);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]!.replace(/\/graphql$/, ''));
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`gateway exited with ${code}:\n${seen}`));
    });
  });
  return { child, url };
}

async function stopGateway(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(timer);
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface Outcome {
  code: string;
  ms: number;
  payload?: { userToken: string; refreshToken: string | null };
}

async function refresh(graphqlUrl: string, input: Record<string, unknown>): Promise<Outcome> {
  const started = performance.now();
  try {
    const response = await fetch(graphqlUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify({ query: MUTATION, variables: { input } }),
      signal: AbortSignal.timeout(10_000),
    });
    const text = await response.text();
    const ms = performance.now() - started;
    let body: {
      data?: { refreshUserToken?: { userToken: string; refreshToken: string | null } } | null;
      errors?: Array<{ extensions?: { code?: string } }>;
    };
    try {
      body = JSON.parse(text);
    } catch {
      return { code: `HTTP_${response.status}_NOT_JSON`, ms };
    }
    if (response.status >= 500) return { code: `HTTP_${response.status}`, ms };
    const code = body.errors?.[0]?.extensions?.code;
    if (code) return { code, ms };
    const payload = body.data?.refreshUserToken;
    return payload ? { code: 'ok', ms, payload } : { code: 'NO_DATA', ms };
  } catch {
    return { code: 'FETCH_FAILED', ms: performance.now() - started };
  }
}

async function main(): Promise<void> {
  const options = parseArgs(process.argv.slice(2));
  const upstream = await startUpstream();
  const { child, url } = await startGateway(upstream.url);
  const graphqlUrl = `${url}/graphql`;
  const pid = child.pid!;
  process.stderr.write(
    `soak: gateway pid ${pid} at ${url}, simulator at ${upstream.url}, ${options.durationS} s, ` +
      `${options.concurrency} workers, a fault every ${options.faultEveryMs} ms\n`,
  );

  try {
    // Warm-up: JIT, connections, caches; then the baseline memory sample.
    for (let i = 0; i < 20; i += 1) {
      const session = upstream.simulator.createSession();
      await refresh(graphqlUrl, byToken(session));
    }
    await sleep(500);
    const rssBefore = await rssMiB(pid);

    const counts = new Map<string, number>();
    const latencies: number[] = [];
    const faultsInjected = new Map<string, number>();
    let sessionsCreated = 0;
    let rssPeak = rssBefore ?? 0;
    const end = Date.now() + options.durationS * 1000;
    const upstreamBefore = { ...upstream.calls };

    // RSS a third into the run: the heap has grown to its working size by then, so growth from
    // here to the end (not from the idle start) is what a leak would show.
    let rssWarm: number | undefined;
    const warmMark = setTimeout(
      () => {
        void rssMiB(pid).then((rss) => {
          rssWarm = rss;
        });
      },
      (options.durationS * 1000) / 3,
    );
    const sampler = setInterval(() => {
      void rssMiB(pid).then((rss) => {
        if (rss !== undefined) rssPeak = Math.max(rssPeak, rss);
      });
    }, 250);
    let faultIndex = 0;
    const injector = setInterval(() => {
      const { name, fault } = FAULTS[faultIndex % FAULTS.length]!;
      faultIndex += 1;
      upstream.simulator.injectFault(fault);
      faultsInjected.set(name, (faultsInjected.get(name) ?? 0) + 1);
    }, options.faultEveryMs);

    const newSession = (): SimulatorSession => {
      sessionsCreated += 1;
      return upstream.simulator.createSession();
    };

    const started = performance.now();
    await Promise.all(
      Array.from({ length: options.concurrency }, async (_, worker) => {
        let session = newSession();
        for (let turn = 0; Date.now() < end; turn += 1) {
          // Two in five refreshes go by userId (mint, cached, then refresh).
          const byId = (worker + turn) % 5 < 2;
          const outcome = await refresh(graphqlUrl, byId ? byUserId(session) : byToken(session));
          counts.set(outcome.code, (counts.get(outcome.code) ?? 0) + 1);
          latencies.push(outcome.ms);
          if (outcome.payload?.refreshToken) {
            // The refresh token rotated: chain the new pair.
            session = {
              ...session,
              userToken: outcome.payload.userToken,
              refreshToken: outcome.payload.refreshToken,
            };
          } else {
            // The session's state is unknown after a failure: a client would sign in again.
            session = newSession();
          }
        }
      }),
    );
    const elapsedS = (performance.now() - started) / 1000;
    clearInterval(injector);
    clearInterval(sampler);
    clearTimeout(warmMark);
    upstream.simulator.clearFaults();

    const ready = (await (await fetch(`${url}/ready`)).json()) as unknown;
    await sleep(2000);
    const rssAfter = await rssMiB(pid);
    await sleep(1000);
    const rssAfterSecond = await rssMiB(pid);

    latencies.sort((a, b) => a - b);
    const served = latencies.length;
    const result = {
      when: new Date().toISOString(),
      node: process.version,
      options,
      gatewayEnv: GATEWAY_ENV,
      requests: {
        served,
        perSecond: round(served / elapsedS),
        byCode: Object.fromEntries([...counts].sort((a, b) => b[1] - a[1])),
      },
      latencyMs: {
        p50: round(quantile(latencies, 0.5)),
        p90: round(quantile(latencies, 0.9)),
        p99: round(quantile(latencies, 0.99)),
        max: round(latencies.at(-1) ?? Number.NaN),
      },
      upstreamCalls: {
        refresh: upstream.calls.refresh - upstreamBefore.refresh,
        mint: upstream.calls.mint - upstreamBefore.mint,
      },
      faultsInjected: Object.fromEntries(faultsInjected),
      sessionsCreated,
      rssMiB: {
        before: round(rssBefore ?? Number.NaN),
        warm: round(rssWarm ?? Number.NaN),
        peak: round(rssPeak),
        after: round(rssAfter ?? Number.NaN),
        afterSecondSample: round(rssAfterSecond ?? Number.NaN),
      },
      readyAfterLoad: ready,
    };

    const rows: Array<Array<string | number>> = [
      ['what', 'value'],
      ['duration (s)', round(elapsedS)],
      ['requests served', served],
      ['requests/s', result.requests.perSecond],
      ...[...counts]
        .sort((a, b) => b[1] - a[1])
        .map(([code, count]) => [`  ${code}`, `${count} (${round((100 * count) / served)} %)`]),
      ['latency p50 (ms)', result.latencyMs.p50],
      ['latency p90 (ms)', result.latencyMs.p90],
      ['latency p99 (ms)', result.latencyMs.p99],
      ['latency max (ms)', result.latencyMs.max],
      ['upstream refresh calls', result.upstreamCalls.refresh],
      ['upstream mint calls', result.upstreamCalls.mint],
      ['faults injected', [...faultsInjected.values()].reduce((a, b) => a + b, 0)],
      ['RSS before (MiB)', result.rssMiB.before],
      ['RSS a third into the run (MiB)', result.rssMiB.warm],
      ['RSS peak (MiB)', result.rssMiB.peak],
      ['RSS after 2 s idle (MiB)', result.rssMiB.after],
      ['RSS after 3 s idle (MiB)', result.rssMiB.afterSecondSample],
    ];
    process.stdout.write(`\n${table(rows)}\n\n`);

    const out = join(ROOT, 'bench', 'results', 'soak.json');
    await mkdir(dirname(out), { recursive: true });
    await writeFile(out, `${JSON.stringify(result, null, 2)}\n`);
    process.stdout.write(`written: ${out}\n`);
  } finally {
    await stopGateway(child);
    await upstream.close();
  }
}

function byToken(session: SimulatorSession): Record<string, unknown> {
  return {
    user: { userToken: session.userToken },
    deviceId: session.deviceId,
    refreshToken: session.refreshToken,
  };
}

function byUserId(session: SimulatorSession): Record<string, unknown> {
  return {
    user: { userId: session.userId },
    deviceId: session.deviceId,
    refreshToken: session.refreshToken,
  };
}

main().catch((error: unknown) => {
  process.stderr.write(`soak failed: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
