import { f0, f2, say } from './format.js';
import { QUIET_SHARE, type TargetResult } from './measure.js';
import type { SinkCounts } from './otlp-sink.js';
import { LIMITS_ON } from './redis-option.js';
import type { TargetId } from './targets.js';

/** The production profile's configurations, in the order of its tables. */
export type ConfigId = 'proxy' | 'memory' | 'alwaysOff' | 'traced10' | 'redis' | 'deployed';

export interface Configuration {
  id: ConfigId;
  label: string;
  redis: boolean;
  traces: 'off' | 'always_off' | 'ratio10';
}

export const CONFIGURATIONS: Configuration[] = [
  { id: 'proxy', label: 'a minimal proxy', redis: false, traces: 'off' },
  { id: 'memory', label: 'b in memory', redis: false, traces: 'off' },
  { id: 'alwaysOff', label: 'c tracing, always_off', redis: false, traces: 'always_off' },
  { id: 'traced10', label: 'd traces at 10%', redis: false, traces: 'ratio10' },
  { id: 'redis', label: 'e REDIS_URL', redis: true, traces: 'off' },
  { id: 'deployed', label: 'f deployed (e + d)', redis: true, traces: 'ratio10' },
];

/**
 * A gateway configuration's settings on top of the harness's: the limiters on (raised, still
 * evaluated), and the variables a deployment sets (docs/tracing.md, docs/fleet.md). Each traced
 * gateway exports under a path of its own on the one sink, so its spans are counted apart.
 */
export function gatewayEnv(
  config: Configuration,
  at: { redisUrl: string; sinkUrl: string },
): Record<string, string> {
  const env: Record<string, string> = { ...LIMITS_ON };
  if (config.redis) env.REDIS_URL = at.redisUrl;
  if (config.traces !== 'off') env.OTEL_EXPORTER_OTLP_ENDPOINT = `${at.sinkUrl}/${config.id}`;
  if (config.traces === 'always_off') env.OTEL_TRACES_SAMPLER = 'always_off';
  if (config.traces === 'ratio10') {
    env.OTEL_TRACES_SAMPLER = 'parentbased_traceidratio';
    env.OTEL_TRACES_SAMPLER_ARG = '0.1';
  }
  return env;
}

/** Round `round` (0-based) runs the list rotated left by `round`, so no one always goes first. */
export function roundOrder<T>(items: T[], round: number): T[] {
  if (items.length === 0) return [];
  const at = round % items.length;
  return [...items.slice(at), ...items.slice(0, at)];
}

/** Requests/s that got the expected answer: wrk's rate less the wrong statuses and socket errors. */
export function goodRps(r: TargetResult): number {
  const n = r.load.requests;
  if (n <= 0) return 0;
  return (r.load.rps * Math.max(0, n - r.unexpectedStatus - r.load.socketErrors)) / n;
}

export interface ConfigSummary {
  config: Configuration;
  /** The round with the median good req/s: its p99 and CPU are the row's. */
  median: TargetResult;
  goodRps: number;
  everyRound: number[];
  /** Summed over every round. */
  errors: number;
}

/** One row per configuration that ran: the median round by good req/s (lower middle if even). */
export function summarize(
  results: Array<{ config: ConfigId; result: TargetResult }>,
): ConfigSummary[] {
  return CONFIGURATIONS.flatMap((config) => {
    const rounds = results.filter((r) => r.config === config.id).map((r) => r.result);
    if (rounds.length === 0) return [];
    const sorted = [...rounds].sort((a, b) => goodRps(a) - goodRps(b));
    const median = sorted[Math.floor((sorted.length - 1) / 2)]!;
    return [
      {
        config,
        median,
        goodRps: goodRps(median),
        everyRound: rounds.map(goodRps),
        errors: rounds.reduce((sum, r) => sum + r.errors, 0),
      },
    ];
  });
}

export interface Goal {
  name: string;
  ratio: number | undefined;
  min: number;
  holds: boolean | undefined;
}

const over = (a: number | undefined, b: number | undefined) =>
  a !== undefined && b !== undefined && b > 0 ? a / b : undefined;

/** The profile's goals, on median good req/s; `proxyRps` is the floor's (userToken's row). */
export function goals(rows: ConfigSummary[], proxyRps: number | undefined): Goal[] {
  const rps = (id: ConfigId) => rows.find((r) => r.config.id === id)?.goodRps;
  const goal = (name: string, ratio: number | undefined, min: number): Goal => ({
    name,
    ratio,
    min,
    holds: ratio === undefined ? undefined : ratio >= min,
  });
  return [
    goal('in-memory / proxy', over(rps('memory'), proxyRps), 0.6),
    goal(
      'deployed / in-memory (Redis and traces at 10%)',
      over(rps('deployed'), rps('memory')),
      0.85,
    ),
    goal('deployed / proxy', over(rps('deployed'), proxyRps), 0.5),
    goal('always_off / tracing off (in memory)', over(rps('alwaysOff'), rps('memory')), 0.95),
  ];
}

/** The two parts of the deployed cost, each against in-memory: where the goal is lost. */
export function parts(rows: ConfigSummary[]): Array<[string, number | undefined]> {
  const rps = (id: ConfigId) => rows.find((r) => r.config.id === id)?.goodRps;
  return [
    ['traces at 10% / in-memory', over(rps('traced10'), rps('memory'))],
    ['REDIS_URL / in-memory', over(rps('redis'), rps('memory'))],
  ];
}

function table(rows: ConfigSummary[], proxyRps: number | undefined): string {
  const header = [
    'configuration',
    'good req/s',
    'rounds',
    'p99 ms',
    'CPU µs/req',
    'redis µs/req',
    'upstream/req',
    'errors',
    '× proxy',
    "others' CPU",
  ];
  const lines = rows.map(({ config, median, goodRps: rps, everyRound, errors }) => [
    config.label,
    f0(rps),
    everyRound.map(f0).join(' / '),
    f2(median.load.p99Ms),
    median.cpu.serverUsPerRequest.toFixed(0),
    config.redis ? (median.cpu.sidecarUsPerRequest?.toFixed(0) ?? '?') : '-',
    f2(median.upstreamCalls.refreshPerRequest),
    String(errors),
    proxyRps ? f2(rps / proxyRps) : '-',
    `${(median.machine.othersShare * 100).toFixed(0)}%${median.machine.othersShare >= QUIET_SHARE ? '!' : ''}`,
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i]!.length)));
  const line = (cells: string[]) =>
    cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...lines.map(line)].join('\n');
}

/** One scenario's table, its ratios and the goals' verdicts. */
export function printScenario(
  scenario: TargetId,
  rows: ConfigSummary[],
  proxyRps: number | undefined,
  rounds: number,
): Goal[] {
  say('');
  say(
    `${scenario}: median good req/s of ${rounds} round${rounds === 1 ? '' : 's'} (each round's in "rounds"); p99 and CPU from the median round${
      rows.some((r) => r.config.id === 'proxy')
        ? ''
        : "; × proxy against the userToken table's proxy (it has no userId path)"
    }`,
  );
  say(table(rows, proxyRps));
  say('');
  const found = goals(rows, proxyRps);
  for (const g of found) {
    const verdict = g.holds === undefined ? 'n/a ' : g.holds ? 'MET ' : 'MISS';
    say(
      `  ${verdict}  ${g.name.padEnd(48)} ${g.ratio === undefined ? '   -' : f2(g.ratio)}   goal >= ${f2(g.min)}`,
    );
  }
  for (const [name, ratio] of parts(rows)) {
    say(`        ${name.padEnd(48)} ${ratio === undefined ? '   -' : f2(ratio)}`);
  }
  return found;
}

/** What the sink received per traced configuration: proof that the traces went out. */
export function printTraces(counts: Record<string, SinkCounts>): boolean {
  say('');
  say('OTLP sink (spans received, after the gateways flushed on stop):');
  let exported = true;
  for (const config of CONFIGURATIONS.filter((c) => c.traces !== 'off')) {
    const c = counts[config.id] ?? { posts: 0, spans: 0, bytes: 0, unreadable: 0 };
    const expected = config.traces === 'ratio10' ? c.spans > 0 : c.spans === 0;
    exported &&= expected;
    const notes = [
      c.unreadable ? `, ${c.unreadable} unreadable` : '',
      expected
        ? ''
        : config.traces === 'ratio10'
          ? '  (NONE: not exported)'
          : '  (from always_off)',
    ].join('');
    const kib = (c.bytes / 1024).toFixed(0);
    say(
      `  ${config.label.padEnd(24)} ${f0(c.spans).padStart(8)} spans in ${f0(c.posts)} exports, ${kib} KiB${notes}`,
    );
  }
  return exported;
}
