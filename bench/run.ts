/**
 * `npm run bench`: the gateway under load next to two references on the same upstream, in one
 * run, on loopback. Every process is started here and stopped here; nothing outlives the run.
 *
 *   npm run bench                      every scenario and reference, 10 s each
 *   npm run bench -- --quick           3 s each
 *   npm run bench -- --duration 20     20 s each
 *   npm run bench -- --soak60          also 60 s of the userToken scenario: is memory flat?
 *   npm run bench -- --profile         the userToken scenario under --cpu-prof, top functions
 *   npm run bench -- --only proxy,userToken --tool autocannon
 *
 * See bench/README.md for what each scenario measures and how to read the figures.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus } from 'node:os';
import { join, relative } from 'node:path';
import { parseArgs } from 'node:util';
import { readConfig, SETTINGS } from '../src/config.js';
import { renderChart } from './lib/chart.js';
import { formatProfile, type ProfileSummary, summarizeProfile } from './lib/cpu-profile.js';
import {
  type LoadRequest,
  type LoadResult,
  type LoadTool,
  pickLoadTool,
  runLoad,
} from './lib/load.js';
import { cpuTimeMs, memory, sampleMemory, startCpuAccount } from './lib/proc-stats.js';
import {
  freePort,
  type NodeProcess,
  ROOT,
  startNodeProcess,
  waitForHttp,
} from './lib/processes.js';
import { startRedisProcess } from './lib/redis-process.js';
import {
  BENCH_API_KEY,
  graphqlData,
  graphqlError,
  graphqlRequest,
  proxyRequest,
  type Refresh,
  refreshesFor,
  type Session,
  TARGET_IDS,
  type Target,
  type TargetId,
  upstreamRequest,
} from './lib/targets.js';

const USAGE = `npm run bench [-- options]
  --duration S      seconds of load per scenario (default 10)
  --quick           3 s per scenario, 1 s warm-up
  --warmup S        unmeasured load before each scenario (default 2; --quick: 1)
  --connections N   concurrent connections (default 10)
  --only LIST       comma-separated: ${TARGET_IDS.join(',')}
  --tool T          wrk or autocannon (default: wrk when on PATH, else autocannon)
  --wait-quiet S    before each scenario, wait up to S s for other processes to use < 10% CPU
                    (default 20; 0 = never wait)
  --gateway-entry F the gateway's entry (default dist/index.js, the tsc build, made first by
                    npm run build, as production runs it; src/index.ts runs it through tsx)
  --ab F            also start gateway B from entry F and run each gateway scenario on both,
                    back to back (order alternating), then print B/A ratios (B runs without
                    --node-args)
  --ab-env "K=V,…"  gateway B's extra settings; alone, B is A's entry and node flags with them
                    (--ab-env FAST_PATH=false: the fast path against Yoga alone, same run)
  --redis           start a redis-server for the run and give gateway B its REDIS_URL: shared
                    limits, mint cache and coalescing against A's in-memory ones, same run
                    (with --profile: the profiled gateway uses Redis)
  --workers N       the gateway's WORKERS (node:cluster processes; CPU and memory are summed
                    over the process tree; default 1)
  --node-args="A B" the gateway's node flags (default: start:prod's, --max-semi-space-size=4;
                    --node-args="" for none)
  --rounds N        run the whole list of scenarios N times in turn and report, per scenario, the
                    round with the median req/s (default 1); errors count over every round
  --soak60          also run userToken for 60 s and compare the RSS floors of its two halves
  --profile         only the profiled scenario: gateway under --cpu-prof, top 25 self-time functions
  --profile-target  which scenario --profile runs (default userToken)`;

const { values: args } = parseArgs({
  options: {
    duration: { type: 'string' },
    quick: { type: 'boolean', default: false },
    warmup: { type: 'string' },
    connections: { type: 'string', default: '10' },
    only: { type: 'string' },
    tool: { type: 'string' },
    soak60: { type: 'boolean', default: false },
    'wait-quiet': { type: 'string' },
    'gateway-entry': { type: 'string', default: 'dist/index.js' },
    workers: { type: 'string', default: '1' },
    'node-args': { type: 'string' },
    ab: { type: 'string' },
    'ab-env': { type: 'string' },
    redis: { type: 'boolean', default: false },
    rounds: { type: 'string' },
    profile: { type: 'boolean', default: false },
    'profile-target': { type: 'string', default: 'userToken' },
    help: { type: 'boolean', default: false },
  },
});
if (args.help) {
  process.stdout.write(`${USAGE}\n`);
  process.exit(0);
}

/** Gateway B's extra environment (--ab-env), and its entry: --ab, else A's when --ab-env alone. */
const AB_ENV: Record<string, string> = Object.fromEntries(
  (args['ab-env'] ?? '')
    .split(',')
    .map((pair) => pair.trim())
    .filter(Boolean)
    .map((pair) => {
      const at = pair.indexOf('=');
      if (at <= 0) {
        process.stderr.write(`--ab-env takes K=V pairs (got "${pair}")\n`);
        process.exit(2);
      }
      return [pair.slice(0, at), pair.slice(at + 1)];
    }),
);
const AB_ENTRY =
  args.ab ?? (Object.keys(AB_ENV).length > 0 || args.redis ? args['gateway-entry'] : undefined);
const AB_LABEL = AB_ENTRY
  ? `${AB_ENTRY}${[args['ab-env'], args.redis ? 'REDIS_URL (redis-server on loopback)' : undefined]
      .filter(Boolean)
      .map((what) => ` with ${what}`)
      .join('')}`
  : undefined;

// Production runs the compiled build (tsx's loader alone holds ~100 MiB): build it first.
for (const entry of [args['gateway-entry'], AB_ENTRY]) {
  if (entry?.startsWith('dist/')) {
    const built = spawnSync('npm', ['run', 'build', '--silent'], { stdio: 'inherit' });
    if (built.status !== 0) process.exit(built.status ?? 1);
    break;
  }
}

const positive = (name: string, raw: string | undefined, fallback: number): number => {
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value <= 0) {
    process.stderr.write(`--${name} must be a positive number (got "${raw}")\n${USAGE}\n`);
    process.exit(2);
  }
  return value;
};
/** The node flags of `npm run start:prod` (package.json); `--node-args=""` runs without them. */
const PRODUCTION_NODE_ARGS = ['--max-semi-space-size=4'];

const WORKERS = Math.round(positive('workers', args.workers, 1));
const DURATION_S = Math.round(positive('duration', args.duration, args.quick ? 3 : 10));
const ROUNDS = Math.round(positive('rounds', args.rounds, 1));
const WARMUP_S = Math.round(positive('warmup', args.warmup, args.quick ? 1 : 2));
const CONNECTIONS = Math.round(positive('connections', args.connections, 10));
const WAIT_QUIET_S =
  args['wait-quiet'] === '0' ? 0 : Math.round(positive('wait-quiet', args['wait-quiet'], 20));
/** Other processes' share of all cores above which a window's figures are called disturbed. */
const QUIET_SHARE = 0.1;
const SOAK_S = 60;
/** Distinct refreshes per scenario: more than the connections, so none is in flight twice. */
const BODIES = Math.max(32, CONNECTIONS * 3);
const RESULTS_DIR = join(ROOT, 'bench/results');
const PROFILE_DIR = join(RESULTS_DIR, 'profiles');

const selected = (args.only ?? TARGET_IDS.join(',')).split(',').map((s) => s.trim());
for (const id of [...selected, args['profile-target']]) {
  if (!TARGET_IDS.includes(id as TargetId)) {
    process.stderr.write(`Unknown scenario "${id}"; one of ${TARGET_IDS.join(', ')}\n`);
    process.exit(2);
  }
}

const children: NodeProcess[] = [];
const say = (line = '') => process.stdout.write(`${line}\n`);

// ---------------------------------------------------------------------------------------------
// Processes

/** A minimal environment: nothing from the caller's shell (a LOG_LEVEL, say) leaks in. */
function baseEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const key of ['PATH', 'HOME', 'TMPDIR', 'LANG', 'TZ']) {
    const value = process.env[key];
    if (value !== undefined) env[key] = value;
  }
  return env;
}

interface SettingLike {
  env: string;
  description: string;
  default: unknown;
  parse: (raw: string) => unknown;
}

/**
 * The gateway's own rate limits (per address, per device) would turn a load test from one
 * address and one device into a test of the limiter. Whatever such settings src/config.ts
 * declares when the run starts are set off, or as high as their parser accepts.
 */
export function rateLimitOverrides(): Record<string, string> {
  const accepts = (s: SettingLike, raw: string) => {
    const parsed = s.parse(raw);
    return !(parsed && typeof parsed === 'object' && 'problem' in parsed);
  };
  const overrides: Record<string, string> = {};
  for (const s of SETTINGS as unknown as SettingLike[]) {
    // Lists (exempt addresses, trusted proxies) are not limits: left as they are.
    if (!/RATE_?LIMIT/i.test(s.env) || /EXEMPT|ALLOW|TRUST|STORE|REDIS/i.test(s.env)) continue;
    const documentedOff =
      /\b0\s*(=|means|:)?\s*(turns (it |them |the limits? )?off|off|disables?|no limit|unlimited|none)/i;
    const candidates =
      typeof s.default === 'boolean' || /ENABLED$|_ON$/i.test(s.env)
        ? ['false', '0', 'off']
        : documentedOff.test(s.description)
          ? ['0']
          : ['1000000000', '100000000', '10000000', '1000000', '100000', '10000', '1000'];
    const value = candidates.find((raw) => accepts(s, raw));
    if (value !== undefined) overrides[s.env] = value;
  }
  return overrides;
}

async function startUpstream() {
  const proc = await startNodeProcess({
    name: 'simulator',
    script: 'bench/simulator-process.ts',
    env: { ...baseEnv(), NODE_ENV: 'production', SIMULATOR_PORT: '0' },
    waitForUrlLine: true,
  });
  children.push(proc);
  return { proc, url: proc.url! };
}

async function startGateway(
  upstreamUrl: string,
  nodeArgs: string[] = [],
  entry: string = args['gateway-entry'],
  name = 'gateway',
  extraEnv: Record<string, string> = {},
) {
  const port = await freePort();
  const env: Record<string, string> = {
    ...baseEnv(),
    NODE_ENV: 'production',
    CIRCLE_API_KEY: BENCH_API_KEY,
    CIRCLE_BASE_URL: upstreamUrl,
    LOG_LEVEL: 'warn',
    HOST: '127.0.0.1',
    PORT: String(port),
    ...rateLimitOverrides(),
    // Production serves /metrics on a port of its own; a free one, so gateways never collide.
    METRICS_PORT: '0',
    WORKERS: String(WORKERS),
    ...extraEnv,
  };
  readConfig(env); // fails here, with every problem listed, rather than as a dead child
  const proc = await startNodeProcess({
    name,
    script: entry,
    env,
    nodeArgs,
    tsx: !entry.endsWith('.js'),
  });
  children.push(proc);
  const url = `http://127.0.0.1:${port}`;
  await waitForHttp(`${url}/health`, 30_000, proc);
  return { proc, url, env };
}

async function startProxy(upstreamUrl: string) {
  const proc = await startNodeProcess({
    name: 'minimal-proxy',
    script: 'bench/minimal-proxy.ts',
    env: {
      ...baseEnv(),
      NODE_ENV: 'production',
      UPSTREAM_URL: upstreamUrl,
      CIRCLE_API_KEY: BENCH_API_KEY,
      PORT: '0',
    },
    waitForUrlLine: true,
  });
  children.push(proc);
  return { proc, url: proc.url! };
}

async function stopAll() {
  await Promise.all(children.splice(0).map((c) => c.stop()));
}

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    say(`\n${signal}: stopping the benchmark's processes.`);
    stopAll().finally(() => process.exit(130));
  });
}

// ---------------------------------------------------------------------------------------------
// Fixtures: sessions, and the check that the stable path really is a replayed 200

async function post(origin: string, r: LoadRequest): Promise<{ status: number; body: unknown }> {
  const response = await fetch(origin + r.path, {
    method: 'POST',
    headers: r.headers,
    body: r.body,
  });
  const text = await response.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {}
  return { status: response.status, body };
}

async function createSessions(upstreamUrl: string, n: number): Promise<Session[]> {
  const sessions: Session[] = [];
  for (let i = 0; i < n; i += 1) {
    const response = await fetch(`${upstreamUrl}/simulator/sessions`, { method: 'POST' });
    if (response.status !== 201) throw new Error(`POST /simulator/sessions: ${response.status}`);
    sessions.push((await response.json()) as Session);
  }
  return sessions;
}

async function upstreamCounts(upstreamUrl: string) {
  const counts = (await (await fetch(`${upstreamUrl}/bench/counts`)).json()) as Record<
    string,
    number
  >;
  return {
    refresh: counts['/v1/w3s/users/token/refresh'] ?? 0,
    mint: counts['/v1/w3s/users/token'] ?? 0,
  };
}

const tokenOf = (body: unknown, path: 'upstream' | 'graphql'): unknown => {
  const json = body as {
    data?: { userToken?: unknown; refreshUserToken?: { userToken?: unknown } };
  };
  return path === 'upstream' ? json?.data?.userToken : json?.data?.refreshUserToken?.userToken;
};

/**
 * Makes the first call of every refresh (a real rotation upstream), then calls again and checks
 * the answer is the same 200: the idempotent replay every later request of the run gets.
 */
async function primeReplays(
  what: string,
  origin: string,
  requests: LoadRequest[],
  path: 'upstream' | 'graphql',
  upstreamUrl: string,
): Promise<string> {
  const before = await upstreamCounts(upstreamUrl);
  const first = await Promise.all(requests.map((r) => post(origin, r)));
  const afterFirst = await upstreamCounts(upstreamUrl);
  const replay = await Promise.all(requests.map((r) => post(origin, r)));
  const afterReplay = await upstreamCounts(upstreamUrl);
  const firstOk = first.filter(
    (f) => f.status === 200 && typeof tokenOf(f.body, path) === 'string',
  );
  const identical = replay.filter(
    (r, i) => r.status === 200 && tokenOf(r.body, path) === tokenOf(first[i]?.body, path),
  );
  const mintsFirst = afterFirst.mint - before.mint;
  const mintsReplay = afterReplay.mint - afterFirst.mint;
  const line =
    `${what}: first call 200 ×${firstOk.length}/${requests.length}, replay 200 with the same ` +
    `tokens ×${identical.length}/${requests.length}` +
    (path === 'graphql' && mintsFirst > 0
      ? ` (mints: ${mintsFirst} on the first calls, ${mintsReplay} on the replays)`
      : '');
  if (firstOk.length !== requests.length || identical.length !== requests.length) {
    const bad = first.find((f) => f.status !== 200) ?? replay.find((r) => r.status !== 200);
    throw new Error(
      `${line}\n  e.g. HTTP ${bad?.status}: ${JSON.stringify(bad?.body).slice(0, 300)}`,
    );
  }
  return line;
}

// ---------------------------------------------------------------------------------------------
// One measured scenario

interface TargetResult {
  id: TargetId;
  /** A: the gateway under test; B: the --ab gateway. */
  variant: 'A' | 'B';
  label: string;
  measures: string;
  reference: boolean;
  server: Target['server'];
  load: LoadResult;
  /** Non-2xx (or not the expected error status), socket errors, failed sample checks. */
  errors: number;
  unexpectedStatus: number;
  sampleProblems: string[];
  upstreamCalls: {
    refresh: number;
    mint: number;
    refreshPerRequest: number;
    mintPerRequest: number;
  };
  expectedUpstream: Target['expectedUpstream'];
  cpu: {
    serverMs: number;
    serverUsPerRequest: number;
    /** Requests/s the server could do on one core of its own, from its CPU time alone. */
    serverCeilingRps: number;
    /** Share of one core the server used during the window. */
    serverCoreShare: number;
    upstreamUsPerRequest: number;
  };
  memory: { peakRssMiB: number; endRssMiB: number };
  logLinesPerRequest: number | undefined;
  /** Other processes' and idle shares of all cores during the window; seconds waited before. */
  machine: { othersShare: number; idleShare: number; waitedS: number };
}

/** Waits (up to --wait-quiet seconds) until other processes use under 10% of the CPU. */
async function waitForQuiet(ourPids: number[]): Promise<number> {
  let waited = 0;
  while (waited < WAIT_QUIET_S) {
    const account = startCpuAccount(ourPids);
    await new Promise((resolve) => setTimeout(resolve, 1000));
    if (account().othersShare < QUIET_SHARE) break;
    waited += 1;
  }
  return waited;
}

interface Pids {
  upstream: NodeProcess;
  proxy: NodeProcess;
  gateway: NodeProcess;
  gatewayB: NodeProcess | undefined;
}

async function measure(
  target: Target,
  pids: Pids,
  tool: LoadTool,
  upstreamUrl: string,
  durationS: number,
  hooks: { onWindow?: (fromUs: number, toUs: number) => void } = {},
): Promise<TargetResult & { rssTimeline: Array<{ atMs: number; rssMiB: number }> }> {
  const spec = { origin: target.origin, requests: target.requests, connections: CONNECTIONS };
  const first = target.requests[0]!;
  const server = pids[target.server] ?? pids.gateway;
  const ourPids = [pids.upstream, pids.proxy, pids.gateway, pids.gatewayB].flatMap((p) =>
    p ? [p.pid] : [],
  );
  const waitedS = await waitForQuiet(ourPids);
  if (WARMUP_S > 0) await runLoad(tool, { ...spec, durationS: WARMUP_S });
  const sampleBefore = await post(target.origin, first);

  const countsBefore = await upstreamCounts(upstreamUrl);
  const logsBefore = server.stdoutLines;
  const cpuServer0 = cpuTimeMs(server.pid);
  const cpuUpstream0 = cpuTimeMs(pids.upstream.pid);
  const sampler = sampleMemory(server.pid);
  const account = startCpuAccount(ourPids);
  const fromUs = Number(process.hrtime.bigint() / 1000n);
  const wall0 = performance.now();
  const load = await runLoad(tool, { ...spec, durationS });
  const wallMs = performance.now() - wall0;
  const toUs = Number(process.hrtime.bigint() / 1000n);
  const cpuServer = cpuTimeMs(server.pid) - cpuServer0;
  const cpuUpstream = cpuTimeMs(pids.upstream.pid) - cpuUpstream0;
  const end = sampler.stop();
  const machine = account();
  const countsAfter = await upstreamCounts(upstreamUrl);
  const logLines = server.stdoutLines - logsBefore;
  hooks.onWindow?.(fromUs, toUs);

  const sampleAfter = await post(target.origin, first);
  const sampleProblems = [
    ['before', target.problem(sampleBefore.status, sampleBefore.body)],
    ['after', target.problem(sampleAfter.status, sampleAfter.body)],
  ]
    .filter(([, p]) => p !== undefined)
    .map(([when, p]) => `sample ${when}: ${p}`);

  const n = Math.max(load.requests, 1);
  const unexpectedStatus =
    target.expectedStatus < 300 ? load.badStatus : load.requests - load.badStatus;
  const refresh = countsAfter.refresh - countsBefore.refresh;
  const mint = countsAfter.mint - countsBefore.mint;
  return {
    id: target.id,
    variant: target.server === 'gatewayB' ? 'B' : 'A',
    label: target.label,
    measures: target.measures,
    reference: target.reference,
    server: target.server,
    load,
    errors: unexpectedStatus + load.socketErrors + sampleProblems.length,
    unexpectedStatus,
    sampleProblems,
    // The calls of the before/after samples are not in the window; the load's are.
    upstreamCalls: {
      refresh,
      mint,
      refreshPerRequest: refresh / n,
      mintPerRequest: mint / n,
    },
    expectedUpstream: target.expectedUpstream,
    cpu: {
      serverMs: cpuServer,
      serverUsPerRequest: (cpuServer * 1000) / n,
      serverCeilingRps: cpuServer > 0 ? (n * 1000) / cpuServer : 0,
      serverCoreShare: cpuServer / wallMs,
      upstreamUsPerRequest: (cpuUpstream * 1000) / n,
    },
    memory: { peakRssMiB: Math.max(sampler.peakRssMiB, end.rssMiB), endRssMiB: end.rssMiB },
    logLinesPerRequest: target.server.startsWith('gateway') ? logLines / n : undefined,
    machine: { ...machine, waitedS },
    rssTimeline: [...sampler.samples],
  };
}

// ---------------------------------------------------------------------------------------------
// Report

const f0 = (v: number) => Math.round(v).toLocaleString('en-US');
const f2 = (v: number) => v.toFixed(2);

function table(results: TargetResult[]): string {
  const header = [
    'scenario',
    'req/s',
    'p50 ms',
    'p99 ms',
    'errors',
    'upstream calls/req',
    'server CPU µs/req',
    'CPU-bound req/s',
    'upstream CPU µs/req',
    'peak RSS MiB',
    'log lines/req',
    "others' CPU",
  ];
  const rows = results.map((r) => [
    r.label,
    f0(r.load.rps),
    f2(r.load.p50Ms),
    f2(r.load.p99Ms),
    String(r.errors),
    `${f2(r.upstreamCalls.refreshPerRequest)}${r.upstreamCalls.mint ? ` +${r.upstreamCalls.mint} mint` : ''}`,
    r.cpu.serverUsPerRequest.toFixed(0),
    f0(r.cpu.serverCeilingRps),
    r.server === 'upstream' ? '(same)' : r.cpu.upstreamUsPerRequest.toFixed(0),
    r.memory.peakRssMiB.toFixed(0),
    r.logLinesPerRequest === undefined ? '-' : f2(r.logLinesPerRequest),
    `${(r.machine.othersShare * 100).toFixed(0)}%${r.machine.othersShare >= QUIET_SHARE ? '!' : ''}`,
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
  const line = (cells: string[]) =>
    cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

interface Check {
  target: string;
  verdict: 'PASS' | 'FAIL' | 'SKIP';
  detail: string;
}

function evaluate(
  results: TargetResult[],
  gatewayHwmMiB: number | undefined,
  soak: SoakResult | undefined,
): { checks: Check[]; ratios: Record<string, number> } {
  const by = (id: TargetId) => results.find((r) => r.id === id);
  const proxy = by('proxy');
  const token = by('userToken');
  const userId = by('userId');
  const checks: Check[] = [];
  const ratios: Record<string, number> = {};
  const verdict = (ok: boolean): Check['verdict'] => (ok ? 'PASS' : 'FAIL');

  if (proxy && token) {
    ratios.userTokenThroughputVsProxy = token.load.rps / proxy.load.rps;
    ratios.userTokenCpuPerRequestVsProxy =
      token.cpu.serverUsPerRequest / proxy.cpu.serverUsPerRequest;
    const limit = 2 * proxy.load.p99Ms + 1;
    ratios.userTokenP99VsLimit = token.load.p99Ms / limit;
    checks.push({
      target: 'userToken throughput >= 50% of the minimal proxy',
      verdict: verdict(ratios.userTokenThroughputVsProxy >= 0.5),
      detail: `${f0(token.load.rps)} / ${f0(proxy.load.rps)} req/s = ${(ratios.userTokenThroughputVsProxy * 100).toFixed(0)}%`,
    });
    checks.push({
      target: 'userToken p99 <= 2 x proxy p99 + 1 ms',
      verdict: verdict(token.load.p99Ms <= limit),
      detail: `${f2(token.load.p99Ms)} ms vs 2 x ${f2(proxy.load.p99Ms)} + 1 = ${f2(limit)} ms`,
    });
  } else {
    checks.push({
      target: 'userToken vs proxy',
      verdict: 'SKIP',
      detail: 'needs proxy and userToken',
    });
  }

  const failures = results.filter((r) => r.errors > 0);
  checks.push({
    target: 'no errors (every response the expected one, no socket errors)',
    verdict: verdict(failures.length === 0),
    detail:
      failures.length === 0
        ? `${results.reduce((s, r) => s + r.load.requests, 0).toLocaleString('en-US')} responses checked by status; samples by body`
        : failures
            .map(
              (r) =>
                `${r.label}: ${r.unexpectedStatus} status, ${r.load.socketErrors} socket${r.sampleProblems.length ? `, ${r.sampleProblems.join('; ')}` : ''}`,
            )
            .join(' | '),
  });

  // Requests still in flight when the load stops reached the upstream but are not counted.
  const off = (r: TargetResult, calls: number, perRequest: number) =>
    Math.abs(calls - perRequest * r.load.requests) > CONNECTIONS + 0.01 * r.load.requests;
  const skewed = results.filter(
    (r) =>
      off(r, r.upstreamCalls.refresh, r.expectedUpstream.refresh) ||
      off(r, r.upstreamCalls.mint, r.expectedUpstream.mint),
  );
  checks.push({
    target: '(validity) one upstream call per request: nothing coalesced, retried or re-minted',
    verdict: verdict(skewed.length === 0),
    detail:
      skewed.length === 0
        ? 'as expected in every scenario'
        : skewed
            .map(
              (r) =>
                `${r.label}: refresh ${f2(r.upstreamCalls.refreshPerRequest)}/req, mint ${f2(r.upstreamCalls.mintPerRequest)}/req`,
            )
            .join(' | '),
  });

  const disturbed = results.filter((r) => r.machine.othersShare >= QUIET_SHARE);
  checks.push({
    target: `(validity) a quiet machine: other processes under ${QUIET_SHARE * 100}% of the CPU`,
    verdict: verdict(disturbed.length === 0),
    detail:
      disturbed.length === 0
        ? `at most ${(Math.max(0, ...results.map((r) => r.machine.othersShare)) * 100).toFixed(0)}% in any window`
        : `disturbed: ${disturbed.map((r) => `${r.label} ${(r.machine.othersShare * 100).toFixed(0)}%`).join(', ')}; compare CPU µs/req rather than req/s`,
  });

  if (token && userId) {
    ratios.userIdThroughputVsUserToken = userId.load.rps / token.load.rps;
    checks.push({
      target: 'userId (warm mint cache) within 10% of userToken',
      verdict: verdict(ratios.userIdThroughputVsUserToken >= 0.9),
      detail: `${f0(userId.load.rps)} / ${f0(token.load.rps)} req/s = ${(ratios.userIdThroughputVsUserToken * 100).toFixed(0)}%`,
    });
  } else {
    checks.push({ target: 'userId vs userToken', verdict: 'SKIP', detail: 'needs both scenarios' });
  }

  if (gatewayHwmMiB !== undefined) {
    checks.push({
      target: 'gateway peak memory < 150 MiB',
      verdict: verdict(gatewayHwmMiB < 150),
      detail: `VmHWM ${gatewayHwmMiB.toFixed(1)} MiB over the whole run`,
    });
  }

  if (soak) {
    checks.push({
      target: `memory flat over ${SOAK_S} s (RSS floor of the second half within 10% of the first's)`,
      verdict: verdict(soak.growth < 0.1),
      detail: `${soak.rssFloorFirstHalfMiB.toFixed(1)} -> ${soak.rssFloorSecondHalfMiB.toFixed(1)} MiB (${(soak.growth * 100).toFixed(1)}%), ${f0(soak.rps)} req/s`,
    });
  } else {
    checks.push({ target: 'memory flat over 60 s', verdict: 'SKIP', detail: 'run with --soak60' });
  }
  return { checks, ratios };
}

interface SoakResult {
  rps: number;
  rssFloorFirstHalfMiB: number;
  rssFloorSecondHalfMiB: number;
  growth: number;
  timeline: Array<{ atMs: number; rssMiB: number }>;
}

/**
 * The lowest RSS sampled in [fromMs, toMs]: under load the gateway's RSS saws up and down by
 * tens of MiB between major GCs, so a single sample says more about GC timing than about a
 * leak. The floor (right after a GC) is what grows when something is retained.
 */
function floorRss(timeline: Array<{ atMs: number; rssMiB: number }>, fromMs: number, toMs: number) {
  const values = timeline.filter((s) => s.atMs >= fromMs && s.atMs <= toMs).map((s) => s.rssMiB);
  return values.length ? Math.min(...values) : Number.NaN;
}

/**
 * One result per scenario: with --rounds, the round with the median req/s (all its figures from
 * that one window), its error counts summed over every round so no round's errors are lost.
 */
function medianRounds<T extends Omit<TargetResult, 'rssTimeline'>>(all: T[]): T[] {
  const labels = [...new Set(all.map((r) => r.label))];
  return labels.map((label) => {
    const rounds = all.filter((r) => r.label === label);
    const sorted = [...rounds].sort((a, b) => a.load.rps - b.load.rps);
    const median = sorted[Math.floor((sorted.length - 1) / 2)]!;
    if (rounds.length === 1) return median;
    return {
      ...median,
      errors: rounds.reduce((sum, r) => sum + r.errors, 0),
      unexpectedStatus: rounds.reduce((sum, r) => sum + r.unexpectedStatus, 0),
      sampleProblems: rounds.flatMap((r) => r.sampleProblems),
      load: {
        ...median.load,
        socketErrors: rounds.reduce((sum, r) => sum + r.load.socketErrors, 0),
      },
    };
  });
}

function gitDescription(): string {
  try {
    const head = execFileSync('git', ['rev-parse', '--short', 'HEAD'], {
      cwd: ROOT,
      encoding: 'utf8',
    }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--untracked-files=no'], {
      cwd: ROOT,
      encoding: 'utf8',
    }).trim();
    return dirty ? `${head} + uncommitted changes` : head;
  } catch {
    return 'unknown';
  }
}

// ---------------------------------------------------------------------------------------------
// Main

async function main() {
  mkdirSync(RESULTS_DIR, { recursive: true });
  const tool = pickLoadTool(args.tool);
  const profiling = args.profile;
  const runIds: TargetId[] = profiling
    ? [args['profile-target'] as TargetId]
    : TARGET_IDS.filter((id) => selected.includes(id));
  const overrides = rateLimitOverrides();

  say(
    `Benchmark: ${tool}, ${CONNECTIONS} connections, ${DURATION_S} s per scenario (+${WARMUP_S} s warm-up), loopback`,
  );
  say(
    `Machine: ${availableParallelism()} cores (${cpus()[0]?.model.trim() ?? '?'}), Node ${process.version}, commit ${gitDescription()}`,
  );
  say(
    `Gateway rate limits: ${
      Object.keys(overrides).length
        ? Object.entries(overrides)
            .map(([k, v]) => `${k}=${v}`)
            .join(' ')
        : 'none declared in src/config.ts'
    }`,
  );

  const upstream = await startUpstream();
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const gatewayNodeArgs = [
    // As `npm run start:prod` runs it: small young-generation semi-spaces keep the peak RSS near
    // the working set (measured: VmHWM 178 -> 143 MiB, no change in the CPU ratio to the proxy).
    ...(args['node-args'] !== undefined
      ? args['node-args'].split(' ').filter(Boolean)
      : PRODUCTION_NODE_ARGS),
    ...(profiling
      ? ['--cpu-prof', '--cpu-prof-dir', join(PROFILE_DIR, stamp), '--cpu-prof-interval', '500']
      : []),
  ];
  // --redis compares the limiters too: on for A and B (at rates no run reaches), not off.
  const limitsOn: Record<string, string> = args.redis
    ? { RATE_LIMIT_ADDRESS_RATE: '1000000', RATE_LIMIT_DEVICE_RATE: '1000000' }
    : {};
  Object.assign(AB_ENV, limitsOn);
  if (args.redis) {
    say('--redis: both gateways run their rate limiters (rates 1000000/s): memory (A), Redis (B)');
  }
  if (args.redis) {
    const redis = await startRedisProcess();
    children.push(redis);
    AB_ENV.REDIS_URL = redis.url;
  }
  const gateway = await startGateway(
    upstream.url,
    gatewayNodeArgs,
    args['gateway-entry'],
    'gateway',
    // --profile has no gateway B: with --redis, the profiled gateway is the one on Redis.
    profiling ? AB_ENV : limitsOn,
  );
  const gatewayB =
    AB_ENTRY && !profiling
      ? await startGateway(
          upstream.url,
          args.ab ? [] : gatewayNodeArgs,
          AB_ENTRY,
          'gateway B',
          AB_ENV,
        )
      : undefined;
  const proxy = await startProxy(upstream.url);
  say(
    `Processes: simulator pid ${upstream.proc.pid} (${upstream.url}), gateway pid ${gateway.proc.pid} (${gateway.url}${profiling ? ', --cpu-prof' : ''}), minimal proxy pid ${proxy.proc.pid} (${proxy.url})`,
  );
  if (gatewayB)
    say(`Gateway A: ${args['gateway-entry']}; gateway B: ${AB_LABEL}, pid ${gatewayB.proc.pid}`);

  // One set of refreshes shared by the upstream, proxy and userToken scenarios: all three get
  // the same replayed answer from the same upstream entry, so the upstream's work is identical.
  const shared = refreshesFor(await createSessions(upstream.url, BODIES));
  const byUserId = refreshesFor(await createSessions(upstream.url, BODIES));
  // Gateway B mints its own tokens: its userId refreshes need idempotency keys of their own.
  const byUserIdB = gatewayB ? refreshesFor(await createSessions(upstream.url, BODIES)) : [];
  const tampered = refreshesFor(await createSessions(upstream.url, BODIES), true);
  const blank = refreshesFor(await createSessions(upstream.url, BODIES));

  say(
    '\nThe stable 200 path (fixed idempotencyKey per body: the simulator replays its first answer):',
  );
  const needsShared = runIds.some(
    (id) => id === 'upstream' || id === 'proxy' || id === 'userToken',
  );
  if (needsShared) {
    say(
      `  ${await primeReplays('upstream direct', upstream.url, shared.map(upstreamRequest), 'upstream', upstream.url)}`,
    );
    const viaGateway = await post(gateway.url, graphqlRequest(shared[0]!, 'userToken'));
    const viaProxy = await post(proxy.url, proxyRequest(shared[0]!));
    const direct = await post(upstream.url, upstreamRequest(shared[0]!));
    const same =
      tokenOf(viaGateway.body, 'graphql') === tokenOf(direct.body, 'upstream') &&
      (viaProxy.body as { userToken?: unknown })?.userToken === tokenOf(direct.body, 'upstream');
    say(
      `  gateway (userToken) and minimal proxy get that replayed answer: ${same ? 'yes' : 'NO'} (HTTP ${viaGateway.status}, ${viaProxy.status})`,
    );
    if (!same)
      throw new Error(`unexpected answers: ${JSON.stringify(viaGateway.body).slice(0, 300)}`);
  }
  if (runIds.includes('userId')) {
    say(
      `  ${await primeReplays(
        'userId via gateway',
        gateway.url,
        byUserId.map((r) => graphqlRequest(r, 'userId')),
        'graphql',
        upstream.url,
      )}`,
    );
    if (gatewayB) {
      say(
        `  ${await primeReplays(
          'userId via gateway B',
          gatewayB.url,
          byUserIdB.map((r) => graphqlRequest(r, 'userId')),
          'graphql',
          upstream.url,
        )}`,
      );
    }
  }

  const targets: Record<TargetId, () => Target> = {
    upstream: () => ({
      id: 'upstream',
      label: 'r1 upstream direct',
      measures: 'the simulator answering the refresh body itself (replay lookup): the ceiling',
      reference: true,
      server: 'upstream',
      origin: upstream.url,
      requests: shared.map(upstreamRequest),
      expectedStatus: 200,
      expectedUpstream: { refresh: 1, mint: 0 },
      problem: (status, body) =>
        status === 200 && typeof tokenOf(body, 'upstream') === 'string'
          ? undefined
          : `HTTP ${status}`,
    }),
    proxy: () => ({
      id: 'proxy',
      label: 'r2 minimal proxy',
      measures: 'node:http + undici Pool, same upstream call, same JSON out: the Node floor',
      reference: true,
      server: 'proxy',
      origin: proxy.url,
      requests: shared.map(proxyRequest),
      expectedStatus: 200,
      expectedUpstream: { refresh: 1, mint: 0 },
      problem: (status, body) =>
        status === 200 && typeof (body as { userToken?: unknown })?.userToken === 'string'
          ? undefined
          : `HTTP ${status}`,
    }),
    userToken: () => ({
      id: 'userToken',
      label: 'a userToken',
      measures: 'refreshUserToken(input: { user: { userToken } }): one upstream refresh',
      reference: false,
      server: 'gateway',
      origin: gateway.url,
      requests: shared.map((r) => graphqlRequest(r, 'userToken')),
      expectedStatus: 200,
      expectedUpstream: { refresh: 1, mint: 0 },
      problem: graphqlData,
    }),
    userId: () => ({
      id: 'userId',
      label: 'b userId (warm)',
      measures: 'refreshUserToken by userId, minted token cached: cache hit + one upstream refresh',
      reference: false,
      server: 'gateway',
      origin: gateway.url,
      requests: byUserId.map((r) => graphqlRequest(r, 'userId')),
      expectedStatus: 200,
      expectedUpstream: { refresh: 1, mint: 0 },
      problem: graphqlData,
    }),
    upstreamError: () => ({
      id: 'upstreamError',
      label: 'c upstream error',
      measures: 'a user token with a broken signature: Circle 155105 -> USER_TOKEN_INVALID',
      reference: false,
      server: 'gateway',
      origin: gateway.url,
      requests: tampered.map((r: Refresh) => graphqlRequest(r, 'userToken')),
      expectedStatus: 200,
      expectedUpstream: { refresh: 1, mint: 0 },
      problem: graphqlError('USER_TOKEN_INVALID'),
    }),
    badInput: () => ({
      id: 'badInput',
      label: 'd bad input',
      measures: 'a blank refreshToken: BAD_USER_INPUT from the resolver, never upstream',
      reference: false,
      server: 'gateway',
      origin: gateway.url,
      requests: blank.map((r) => graphqlRequest(r, 'userToken', { refreshToken: ' ' })),
      expectedStatus: 200,
      expectedUpstream: { refresh: 0, mint: 0 },
      problem: graphqlError('BAD_USER_INPUT'),
    }),
  };

  const pids: Pids = {
    upstream: upstream.proc,
    proxy: proxy.proc,
    gateway: gateway.proc,
    gatewayB: gatewayB?.proc,
  };
  /** The same scenario on gateway B. */
  const onB = (t: Target): Target => ({
    ...t,
    label: `${t.label} [B]`,
    server: 'gatewayB',
    origin: gatewayB!.url,
    requests: t.id === 'userId' ? byUserIdB.map((r) => graphqlRequest(r, 'userId')) : t.requests,
  });
  const results: Array<TargetResult & { rssTimeline: Array<{ atMs: number; rssMiB: number }> }> =
    [];
  let window: { fromUs: number; toUs: number } | undefined;
  say('');
  let abTurn = 0;
  const roundIds = Array.from({ length: profiling ? 1 : ROUNDS }, () => runIds).flat();
  for (const [at, id] of roundIds.entries()) {
    if (ROUNDS > 1 && at % runIds.length === 0) say(`Round ${at / runIds.length + 1} of ${ROUNDS}`);
    const target = targets[id]();
    // With --ab, each gateway scenario runs on A and B back to back, the order alternating, so
    // drift in the machine's load (trap 12) falls on both alike.
    let sequence = [target];
    if (gatewayB && target.server === 'gateway') {
      sequence = abTurn % 2 === 0 ? [target, onB(target)] : [onB(target), target];
      abTurn += 1;
    }
    for (const t of sequence) {
      process.stdout.write(`Running ${t.label} (${DURATION_S} s)... `);
      const result = await measure(t, pids, tool, upstream.url, DURATION_S, {
        onWindow: (fromUs, toUs) => {
          window = { fromUs, toUs };
        },
      });
      results.push(result);
      say(
        `${f0(result.load.rps)} req/s, p99 ${f2(result.load.p99Ms)} ms${result.errors ? `, ${result.errors} ERRORS` : ''}`,
      );
    }
  }

  let soak: SoakResult | undefined;
  if (args.soak60 && !profiling) {
    process.stdout.write(`Running the ${SOAK_S} s soak of a userToken... `);
    const r = await measure(targets.userToken(), pids, tool, upstream.url, SOAK_S);
    // The floor of each half (after the first 5 s): a major GC comes every 10-40 s, so a short
    // window at the end can fall on the rising side of the saw (it did: 104 -> 116 MiB with a
    // flat heap); a retained leak lifts the whole second half's floor.
    const half = (SOAK_S * 1000) / 2;
    const rssFloorFirstHalfMiB = floorRss(r.rssTimeline, 5_000, half);
    const rssFloorSecondHalfMiB = floorRss(r.rssTimeline, half, SOAK_S * 1000 + 1000);
    soak = {
      rps: r.load.rps,
      rssFloorFirstHalfMiB,
      rssFloorSecondHalfMiB,
      growth: (rssFloorSecondHalfMiB - rssFloorFirstHalfMiB) / rssFloorFirstHalfMiB,
      timeline: r.rssTimeline,
    };
    say(
      `${f0(r.load.rps)} req/s, RSS floor ${rssFloorFirstHalfMiB.toFixed(1)} MiB in 5-${SOAK_S / 2} s, ${rssFloorSecondHalfMiB.toFixed(1)} MiB in ${SOAK_S / 2}-${SOAK_S} s (peak ${Math.max(...r.rssTimeline.map((x) => x.rssMiB)).toFixed(1)} MiB)`,
    );
  }

  const gatewayHwmMiB = memory(gateway.proc.pid).hwmMiB;
  const gatewayBHwmMiB = gatewayB ? memory(gatewayB.proc.pid).hwmMiB : undefined;
  await stopAll();

  // -------------------------------------------------------------------------------------------
  if (profiling) {
    const result = results[0]!;
    // One profile per thread: tsx's module loader runs on a thread of its own (tid != 0).
    // Node names them CPU.<date>.<time>.<pid>.<tid>.<seq>.cpuprofile; the main thread's is tid 0.
    const dir = join(PROFILE_DIR, stamp);
    const file = readdirSync(dir).find((name) => name.includes(`.${gateway.proc.pid}.0.`));
    if (!file) throw new Error(`no main-thread profile was written to ${dir}`);
    const path = join(dir, file);
    let summary: ProfileSummary = summarizeProfile(path, window);
    if (summary.samples === 0) {
      say('(no sample fell in the load window: the clocks differ; the whole profile is shown)');
      summary = summarizeProfile(path);
    }
    say('');
    say(table([result]));
    say(`(under --cpu-prof: slower than an unprofiled run; compare shares, not req/s)\n`);
    say(formatProfile(summary, result.load.requests));
    const out = join(RESULTS_DIR, 'profile-latest.json');
    writeFileSync(out, `${JSON.stringify({ result, summary }, null, 2)}\n`);
    say(
      `\nWrote ${relative(ROOT, out)} and ${relative(ROOT, path)} (open it in Chrome DevTools > Performance, or speedscope)`,
    );
    return;
  }

  const everyRound = results.map(({ rssTimeline: _, ...rest }) => rest);
  const plain = medianRounds(everyRound);
  if (ROUNDS > 1) {
    say('');
    say('Rounds (req/s; the median round of each scenario is the one reported below):');
    for (const r of plain) {
      const all = everyRound.filter((x) => x.label === r.label).map((x) => f0(x.load.rps));
      say(`  ${r.label.padEnd(22)} ${all.join(' / ')}`);
    }
  }
  const { checks, ratios } = evaluate(
    plain.filter((r) => r.variant === 'A'),
    gatewayHwmMiB,
    soak,
  );
  say('');
  say(table(plain));
  say('');
  say('Ratios (same run, same upstream):');
  const ratioLines: Array<[string, number | undefined, string]> = [
    ['userToken / proxy throughput', ratios.userTokenThroughputVsProxy, 'target >= 0.50'],
    ['userToken p99 / (2 x proxy p99 + 1 ms)', ratios.userTokenP99VsLimit, 'target <= 1.00'],
    ['userId / userToken throughput', ratios.userIdThroughputVsUserToken, 'target >= 0.90'],
    [
      'gateway CPU per request / proxy CPU per request',
      ratios.userTokenCpuPerRequestVsProxy,
      'the cost the gateway adds',
    ],
  ];
  for (const [name, value, note] of ratioLines) {
    if (value !== undefined)
      say(`  ${name.padEnd(48)} ${value.toFixed(2).padStart(6)}   (${note})`);
  }
  say('');
  say('Targets:');
  for (const c of checks) say(`  ${c.verdict.padEnd(4)}  ${c.target}: ${c.detail}`);

  const ab = plain
    .filter((r) => r.variant === 'B')
    .flatMap((b) => {
      const a = plain.find((r) => r.variant === 'A' && r.id === b.id);
      if (!a) return [];
      return [
        {
          id: b.id,
          throughputBvsA: b.load.rps / a.load.rps,
          cpuPerRequestBvsA: b.cpu.serverUsPerRequest / a.cpu.serverUsPerRequest,
          p99BvsA: b.load.p99Ms / a.load.p99Ms,
        },
      ];
    });
  if (ab.length) {
    say('');
    say(
      `A/B (A: ${args['gateway-entry']}, B: ${AB_LABEL}; < 1 means B is cheaper for CPU and p99):`,
    );
    for (const x of ab) {
      say(
        `  ${x.id.padEnd(14)} throughput B/A ${f2(x.throughputBvsA)}   CPU per request B/A ${f2(x.cpuPerRequestBvsA)}   p99 B/A ${f2(x.p99BvsA)}`,
      );
    }
    say(
      `  peak memory (VmHWM): A ${gatewayHwmMiB.toFixed(0)} MiB, B ${gatewayBHwmMiB?.toFixed(0)} MiB`,
    );
  }

  const report = {
    date: new Date().toISOString(),
    commit: gitDescription(),
    machine: { cores: availableParallelism(), cpu: cpus()[0]?.model.trim(), node: process.version },
    settings: {
      tool,
      connections: CONNECTIONS,
      durationS: DURATION_S,
      warmupS: WARMUP_S,
      bodiesPerScenario: BODIES,
      gatewayEnv: Object.fromEntries(
        Object.entries(gateway.env).filter(
          ([k]) => !['PATH', 'HOME', 'TMPDIR', 'LANG', 'TZ', 'CIRCLE_API_KEY'].includes(k),
        ),
      ),
    },
    results: plain,
    ...(ROUNDS > 1 ? { rounds: ROUNDS, everyRound } : {}),
    gatewayPeakMemoryMiB: gatewayHwmMiB,
    ...(ab.length
      ? {
          ab: {
            a: args['gateway-entry'],
            b: AB_LABEL,
            gatewayBPeakMemoryMiB: gatewayBHwmMiB,
            ratios: ab,
          },
        }
      : {}),
    soak,
    ratios,
    checks,
  };
  const jsonPath = join(RESULTS_DIR, 'latest.json');
  writeFileSync(jsonPath, `${JSON.stringify(report, null, 2)}\n`);
  const svgPath = join(RESULTS_DIR, 'latest.svg');
  writeFileSync(
    svgPath,
    renderChart(
      plain.map((r) => ({
        label: r.label,
        reference: r.reference,
        rps: r.load.rps,
        p50Ms: r.load.p50Ms,
        p99Ms: r.load.p99Ms,
      })),
      'refreshUserToken: gateway vs references (one run, same upstream)',
      `${tool}, ${CONNECTIONS} connections, ${DURATION_S} s each, ${availableParallelism()} cores, Node ${process.version}, ${report.date.slice(0, 16)}Z, ${report.commit}`,
    ),
  );
  say('');
  say(`Wrote ${relative(ROOT, jsonPath)} and ${relative(ROOT, svgPath)}`);
}

main()
  .catch(async (error: unknown) => {
    const cause = (error as { cause?: unknown } | null)?.cause;
    process.stderr.write(
      `\nThe benchmark failed: ${error instanceof Error ? error.message : String(error)}${cause ? ` (${String(cause)})` : ''}\n`,
    );
    for (const c of children) {
      if (c.stderrTail.trim())
        process.stderr.write(`--- ${c.name} stderr ---\n${c.stderrTail.trim()}\n`);
    }
    process.exitCode = 2;
  })
  .finally(() => stopAll());
