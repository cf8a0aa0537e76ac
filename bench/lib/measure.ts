import { post, upstreamCounts } from './fixtures.js';
import { type LoadResult, type LoadTool, runLoad } from './load.js';
import { cpuTimeMs, sampleMemory, startCpuAccount } from './proc-stats.js';
import type { NodeProcess } from './processes.js';
import type { Target, TargetId } from './targets.js';

/** Other processes' share of all cores above which a window's figures are called disturbed. */
export const QUIET_SHARE = 0.1;

export interface TargetResult {
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
    /** The run's sidecar's (redis-server's) CPU per request, when the run has one. */
    sidecarUsPerRequest?: number;
  };
  memory: { peakRssMiB: number; endRssMiB: number };
  logLinesPerRequest: number | undefined;
  /** Other processes' and idle shares of all cores during the window; seconds waited before. */
  machine: { othersShare: number; idleShare: number; waitedS: number };
}

/** Waits (up to --wait-quiet seconds) until other processes use under 10% of the CPU. */
async function waitForQuiet(ourPids: number[], waitQuietS: number): Promise<number> {
  let waited = 0;
  while (waited < waitQuietS) {
    const account = startCpuAccount(ourPids);
    await new Promise((resolve) => setTimeout(resolve, 1000));
    if (account().othersShare < QUIET_SHARE) break;
    waited += 1;
  }
  return waited;
}

export interface Pids {
  upstream: NodeProcess;
  proxy: NodeProcess;
  gateway: NodeProcess;
  gatewayB: NodeProcess | undefined;
}

export type RssSample = { atMs: number; rssMiB: number };

/** A result with the RSS samples of its window (for the soak; not in the report). */
export type Measured = TargetResult & { rssTimeline: RssSample[] };

/** What every measured window of one run shares. */
export interface MeasureRun {
  pids: Pids;
  tool: LoadTool;
  upstreamUrl: string;
  connections: number;
  warmupS: number;
  waitQuietS: number;
  /**
   * The run's other processes (idle gateways, redis-server): counted as ours, not as others'.
   * @default []
   */
  alsoOurs?: NodeProcess[];
  /** A process the servers depend on (redis-server): its CPU in the window is reported too. */
  sidecar?: NodeProcess;
}

/**
 * One scenario: waits for a quiet machine, warms up, then loads the server for `durationS` and
 * takes its figures from that window alone, with a sample answer checked before and after.
 */
export async function measure(
  target: Target,
  run: MeasureRun,
  durationS: number,
  hooks: { onWindow?: (fromUs: number, toUs: number) => void } = {},
): Promise<Measured> {
  const { pids, tool, upstreamUrl } = run;
  const spec = { origin: target.origin, requests: target.requests, connections: run.connections };
  const first = target.requests[0]!;
  const server = pids[target.server] ?? pids.gateway;
  const ourPids = [
    ...new Set(
      [pids.upstream, pids.proxy, pids.gateway, pids.gatewayB, ...(run.alsoOurs ?? [])].flatMap(
        (p) => (p ? [p.pid] : []),
      ),
    ),
  ];
  const waitedS = await waitForQuiet(ourPids, run.waitQuietS);
  if (run.warmupS > 0) await runLoad(tool, { ...spec, durationS: run.warmupS });
  const sampleBefore = await post(target.origin, first);

  const countsBefore = await upstreamCounts(upstreamUrl);
  const logsBefore = server.stdoutLines;
  const cpuServer0 = cpuTimeMs(server.pid);
  const cpuUpstream0 = cpuTimeMs(pids.upstream.pid);
  const cpuSidecar0 = run.sidecar ? cpuTimeMs(run.sidecar.pid) : 0;
  const sampler = sampleMemory(server.pid);
  const account = startCpuAccount(ourPids);
  const fromUs = Number(process.hrtime.bigint() / 1000n);
  const wall0 = performance.now();
  const load = await runLoad(tool, { ...spec, durationS });
  const wallMs = performance.now() - wall0;
  const toUs = Number(process.hrtime.bigint() / 1000n);
  const cpuServer = cpuTimeMs(server.pid) - cpuServer0;
  const cpuUpstream = cpuTimeMs(pids.upstream.pid) - cpuUpstream0;
  const cpuSidecar = run.sidecar ? cpuTimeMs(run.sidecar.pid) - cpuSidecar0 : undefined;
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
      ...(cpuSidecar === undefined ? {} : { sidecarUsPerRequest: (cpuSidecar * 1000) / n }),
    },
    memory: { peakRssMiB: Math.max(sampler.peakRssMiB, end.rssMiB), endRssMiB: end.rssMiB },
    logLinesPerRequest: target.server.startsWith('gateway') ? logLines / n : undefined,
    machine: { ...machine, waitedS },
    rssTimeline: [...sampler.samples],
  };
}
