import { f0, f2, say } from './format.js';
import { type Measured, type MeasureRun, measure, type TargetResult } from './measure.js';
import type { Target, TargetId } from './targets.js';

export interface RoundsPlan {
  scenarios: TargetId[];
  rounds: number;
  durationS: number;
  targets: Record<TargetId, () => Target>;
  /** The same scenario on gateway B, when there is one. */
  onB: ((t: Target) => Target) | undefined;
  /** The load window of each scenario, as process.hrtime microseconds (for --cpu-profile). */
  onWindow?: (fromUs: number, toUs: number) => void;
}

/**
 * Every scenario in turn, the whole list `rounds` times. With a gateway B, each gateway scenario
 * runs on A and B back to back, the order alternating, so drift in the machine's load (trap 12)
 * falls on both alike.
 */
export async function runRounds(plan: RoundsPlan, run: MeasureRun): Promise<Measured[]> {
  const { scenarios, rounds } = plan;
  const results: Measured[] = [];
  let abTurn = 0;
  const roundIds = Array.from({ length: rounds }, () => scenarios).flat();
  for (const [at, id] of roundIds.entries()) {
    if (rounds > 1 && at % scenarios.length === 0) {
      say(`Round ${at / scenarios.length + 1} of ${rounds}`);
    }
    const target = plan.targets[id]();
    let sequence = [target];
    if (plan.onB && target.server === 'gateway') {
      const b = plan.onB(target);
      sequence = abTurn % 2 === 0 ? [target, b] : [b, target];
      abTurn += 1;
    }
    for (const t of sequence) {
      process.stdout.write(`Running ${t.label} (${plan.durationS} s)... `);
      const result = await measure(t, run, plan.durationS, { onWindow: plan.onWindow });
      results.push(result);
      say(
        `${f0(result.load.rps)} req/s, p99 ${f2(result.load.p99Ms)} ms${result.errors ? `, ${result.errors} ERRORS` : ''}`,
      );
    }
  }
  return results;
}

/**
 * One result per scenario: with --rounds, the round with the median req/s (all its figures from
 * that one window), its error counts summed over every round so no round's errors are lost.
 */
export function medianRounds<T extends Omit<TargetResult, 'rssTimeline'>>(all: T[]): T[] {
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

/** Every round's req/s per scenario, so the spread behind each median shows. */
export function printRounds(reported: TargetResult[], everyRound: TargetResult[]): void {
  say('');
  say('Rounds (req/s; the median round of each scenario is the one reported below):');
  for (const r of reported) {
    const all = everyRound.filter((x) => x.label === r.label).map((x) => f0(x.load.rps));
    say(`  ${r.label.padEnd(22)} ${all.join(' / ')}`);
  }
}

export interface AbRatio {
  id: TargetId;
  throughputBvsA: number;
  cpuPerRequestBvsA: number;
  p99BvsA: number;
}

/** B/A per scenario that ran on both gateways. */
export function abRatios(reported: TargetResult[]): AbRatio[] {
  return reported
    .filter((r) => r.variant === 'B')
    .flatMap((b) => {
      const a = reported.find((r) => r.variant === 'A' && r.id === b.id);
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
}

export function printAb(
  ab: AbRatio[],
  labels: { a: string; b: string | undefined },
  peakMiB: { a: number; b: number | undefined },
): void {
  say('');
  say(`A/B (A: ${labels.a}, B: ${labels.b}; < 1 means B is cheaper for CPU and p99):`);
  for (const x of ab) {
    say(
      `  ${x.id.padEnd(14)} throughput B/A ${f2(x.throughputBvsA)}   CPU per request B/A ${f2(x.cpuPerRequestBvsA)}   p99 B/A ${f2(x.p99BvsA)}`,
    );
  }
  say(`  peak memory (VmHWM): A ${peakMiB.a.toFixed(0)} MiB, B ${peakMiB.b?.toFixed(0)} MiB`);
}
