import { SOAK_S } from './cli.js';
import { f0, f2 } from './format.js';
import { QUIET_SHARE, type RssSample, type TargetResult } from './measure.js';
import type { TargetId } from './targets.js';

/** One target or validity condition of the run, and its verdict. */
export interface Check {
  target: string;
  verdict: 'PASS' | 'FAIL' | 'SKIP';
  detail: string;
}

/**
 * The targets (PASS/FAIL/SKIP) and the ratios behind them, from gateway A's results only.
 * `connections` bounds the requests in flight when the load stopped: they reached the upstream
 * but are not counted.
 */
export function evaluate(
  results: TargetResult[],
  gatewayHwmMiB: number | undefined,
  soak: SoakResult | undefined,
  connections: number,
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
    Math.abs(calls - perRequest * r.load.requests) > connections + 0.01 * r.load.requests;
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

export interface SoakResult {
  rps: number;
  rssFloorFirstHalfMiB: number;
  rssFloorSecondHalfMiB: number;
  growth: number;
  timeline: RssSample[];
}

/**
 * The lowest RSS sampled in [fromMs, toMs]: under load the gateway's RSS saws up and down by
 * tens of MiB between major GCs, so a single sample says more about GC timing than about a
 * leak. The floor (right after a GC) is what grows when something is retained.
 */
function floorRss(timeline: RssSample[], fromMs: number, toMs: number) {
  const values = timeline.filter((s) => s.atMs >= fromMs && s.atMs <= toMs).map((s) => s.rssMiB);
  return values.length ? Math.min(...values) : Number.NaN;
}

/**
 * The soak's verdict input: the RSS floor of each half (after the first 5 s). A major GC comes
 * every 10-40 s, so a short window at the end can fall on the rising side of the saw (it did:
 * 104 -> 116 MiB with a flat heap); a retained leak lifts the whole second half's floor.
 */
export function soakResult(rps: number, timeline: RssSample[]): SoakResult {
  const half = (SOAK_S * 1000) / 2;
  const rssFloorFirstHalfMiB = floorRss(timeline, 5_000, half);
  const rssFloorSecondHalfMiB = floorRss(timeline, half, SOAK_S * 1000 + 1000);
  return {
    rps,
    rssFloorFirstHalfMiB,
    rssFloorSecondHalfMiB,
    growth: (rssFloorSecondHalfMiB - rssFloorFirstHalfMiB) / rssFloorFirstHalfMiB,
    timeline,
  };
}
