import { execFileSync } from 'node:child_process';
import { readdirSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus } from 'node:os';
import { join, relative } from 'node:path';
import type { AbRatio } from './ab-rounds.js';
import { renderChart } from './chart.js';
import type { Check, SoakResult } from './checks.js';
import type { BenchOptions } from './cli.js';
import { formatProfile, type ProfileSummary, summarizeProfile } from './cpu-profile.js';
import { f0, f2, say } from './format.js';
import type { LoadTool } from './load.js';
import { QUIET_SHARE, type TargetResult } from './measure.js';
import { ROOT } from './processes.js';

export const RESULTS_DIR = join(ROOT, 'bench/results');
export const PROFILE_DIR = join(RESULTS_DIR, 'profiles');

/** The results as a fixed-width table, one row per scenario (and per gateway with --ab). */
export function table(results: TargetResult[]): string {
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

export function gitDescription(): string {
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

/** What runs, where, and with which limits set aside: the first lines of every report. */
export function printPreamble(
  tool: LoadTool,
  options: BenchOptions,
  overrides: Record<string, string>,
): void {
  say(
    `Benchmark: ${tool}, ${options.connections} connections, ${options.durationS} s per scenario (+${options.warmupS} s warm-up), loopback`,
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
        : 'none declared in src/settings.ts'
    }`,
  );
}

/** The table, the ratios the targets rest on, and the targets' verdicts. */
export function printSummary(
  reported: TargetResult[],
  checks: Check[],
  ratios: Record<string, number>,
): void {
  say('');
  say(table(reported));
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
}

export interface RunReport {
  tool: LoadTool;
  options: BenchOptions;
  /** Gateway A's environment, less the harness's base keys and the API key. */
  gatewayEnv: Record<string, string>;
  reported: TargetResult[];
  everyRound: TargetResult[];
  gatewayHwmMiB: number;
  ab: AbRatio[];
  gatewayBHwmMiB: number | undefined;
  soak: SoakResult | undefined;
  ratios: Record<string, number>;
  checks: Check[];
}

/** bench/results/latest.json (every figure) and latest.svg (the chart). */
export function writeResults(run: RunReport): void {
  const { options, tool } = run;
  const report = {
    date: new Date().toISOString(),
    commit: gitDescription(),
    machine: { cores: availableParallelism(), cpu: cpus()[0]?.model.trim(), node: process.version },
    settings: {
      tool,
      connections: options.connections,
      durationS: options.durationS,
      warmupS: options.warmupS,
      bodiesPerScenario: options.bodies,
      gatewayEnv: run.gatewayEnv,
    },
    results: run.reported,
    ...(options.rounds > 1 ? { rounds: options.rounds, everyRound: run.everyRound } : {}),
    gatewayPeakMemoryMiB: run.gatewayHwmMiB,
    ...(run.ab.length
      ? {
          ab: {
            a: options.gatewayEntry,
            b: options.gatewayB?.label,
            gatewayBPeakMemoryMiB: run.gatewayBHwmMiB,
            ratios: run.ab,
          },
        }
      : {}),
    soak: run.soak,
    ratios: run.ratios,
    checks: run.checks,
  };
  const jsonPath = join(RESULTS_DIR, 'latest.json');
  writeFileSync(jsonPath, `${JSON.stringify(report, null, 2)}\n`);
  const svgPath = join(RESULTS_DIR, 'latest.svg');
  writeFileSync(
    svgPath,
    renderChart(
      run.reported.map((r) => ({
        label: r.label,
        reference: r.reference,
        rps: r.load.rps,
        p50Ms: r.load.p50Ms,
        p99Ms: r.load.p99Ms,
      })),
      'refreshUserToken: gateway vs references (one run, same upstream)',
      `${tool}, ${options.connections} connections, ${options.durationS} s each, ${availableParallelism()} cores, Node ${process.version}, ${report.date.slice(0, 16)}Z, ${report.commit}`,
    ),
  );
  say('');
  say(`Wrote ${relative(ROOT, jsonPath)} and ${relative(ROOT, svgPath)}`);
}

/**
 * --cpu-profile's report: the scenario's row and the top self-time functions of the gateway's main
 * thread, counted inside the load window only when the window's clock matches the profile's.
 */
export function reportProfile(
  result: TargetResult,
  profileDir: string,
  gatewayPid: number,
  window: { fromUs: number; toUs: number } | undefined,
): void {
  // One profile per thread: tsx's module loader runs on a thread of its own (tid != 0).
  // Node names them CPU.<date>.<time>.<pid>.<tid>.<seq>.cpuprofile; the main thread's is tid 0.
  const file = readdirSync(profileDir).find((name) => name.includes(`.${gatewayPid}.0.`));
  if (!file) throw new Error(`no main-thread profile was written to ${profileDir}`);
  const path = join(profileDir, file);
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
}
