/**
 * `npm run bench`: the gateway under load next to two references on the same upstream, in one
 * run, on loopback. Every process is started here and stopped here; nothing outlives the run.
 *
 *   npm run bench                      every scenario and reference, 10 s each
 *   npm run bench -- --quick           3 s each
 *   npm run bench -- --duration 20     20 s each
 *   npm run bench -- --soak60          also 60 s of the userToken scenario: is memory flat?
 *   npm run bench -- --cpu-profile     the userToken scenario under --cpu-prof, top functions
 *   npm run bench -- --profile production   the deployed configuration (Redis, traces at 10%)
 *                                      and its parts against the minimal proxy, rounds rotated
 *   npm run bench -- --only proxy,userToken --tool autocannon
 *
 * `npm run bench -- --help` lists every option. See bench/README.md for what each scenario
 * measures, the targets, and the results so far.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { abRatios, medianRounds, printAb, printRounds, runRounds } from './lib/ab-rounds.js';
import { evaluate, type SoakResult, soakResult } from './lib/checks.js';
import { readOptions, SOAK_S } from './lib/cli.js';
import { proveStablePath } from './lib/fixtures.js';
import { f0, say } from './lib/format.js';
import { abortLoad, pickLoadTool } from './lib/load.js';
import { measure } from './lib/measure.js';
import { memory } from './lib/proc-stats.js';
import { runProductionProfile } from './lib/production-profile.js';
import { rateLimitOverrides } from './lib/rate-limit-overrides.js';
import { prepareRedis } from './lib/redis-option.js';
import {
  PROFILE_DIR,
  printPreamble,
  printSummary,
  RESULTS_DIR,
  reportProfile,
  writeResults,
} from './lib/report.js';
import { createRefreshes, onGatewayB, scenarios } from './lib/scenarios.js';
import {
  BASE_ENV_KEYS,
  children,
  startGateway,
  startProxy,
  startUpstream,
  stopAll,
} from './lib/servers.js';

const options = readOptions();

// Production runs the compiled build (tsx's loader alone holds ~100 MiB): build it first.
if ([options.gatewayEntry, options.gatewayB?.entry].some((entry) => entry?.startsWith('dist/'))) {
  const built = spawnSync('npm', ['run', 'build', '--silent'], { stdio: 'inherit' });
  if (built.status !== 0) process.exit(built.status ?? 1);
}

/** Set on Ctrl+C: what fails after it is the stopping, not the benchmark. */
let interrupted = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    interrupted = true;
    say(`\n${signal}: stopping the benchmark's processes.`);
    stopAll().finally(() => {
      abortLoad();
      process.exit(130);
    });
  });
}

async function main() {
  mkdirSync(RESULTS_DIR, { recursive: true });
  const tool = pickLoadTool(options.tool);
  const { cpuProfile: profiling, gatewayB: b } = options;
  printPreamble(tool, options, rateLimitOverrides());
  if (options.profileName === 'production') {
    await runProductionProfile(options, tool);
    return;
  }

  const upstream = await startUpstream();
  const profileDir = join(PROFILE_DIR, new Date().toISOString().replace(/[:.]/g, '-'));
  const gatewayNodeArgs = [
    // As `npm run start:prod` runs it: small young-generation semi-spaces keep the peak RSS near
    // the working set (measured: VmHWM 178 -> 143 MiB, no change in the CPU ratio to the proxy).
    ...options.nodeArgs,
    ...(profiling
      ? ['--cpu-prof', '--cpu-prof-dir', profileDir, '--cpu-prof-interval', '500']
      : []),
  ];
  const limitsOn = await prepareRedis(options);
  const gateway = await startGateway({
    upstreamUrl: upstream.url,
    entry: options.gatewayEntry,
    nodeArgs: gatewayNodeArgs,
    name: 'gateway',
    workers: options.workers,
    // --cpu-profile has no gateway B: with --redis, the profiled gateway is the one on Redis.
    extraEnv: profiling ? options.abEnv : limitsOn,
  });
  const gatewayB =
    b && !profiling
      ? await startGateway({
          upstreamUrl: upstream.url,
          entry: b.entry,
          nodeArgs: b.ownEntry ? [] : gatewayNodeArgs,
          name: 'gateway B',
          workers: options.workers,
          extraEnv: b.env,
        })
      : undefined;
  const proxy = await startProxy(upstream.url);
  say(
    `Processes: simulator pid ${upstream.proc.pid} (${upstream.url}), gateway pid ${gateway.proc.pid} (${gateway.url}${profiling ? ', --cpu-prof' : ''}), minimal proxy pid ${proxy.proc.pid} (${proxy.url})`,
  );
  if (gatewayB) {
    say(`Gateway A: ${options.gatewayEntry}; gateway B: ${b?.label}, pid ${gatewayB.proc.pid}`);
  }

  const refreshes = await createRefreshes(upstream.url, options.bodies, gatewayB !== undefined);
  const origins = { upstream: upstream.url, proxy: proxy.url, gateway: gateway.url };
  await proveStablePath(options.scenarios, { ...origins, gatewayB: gatewayB?.url }, refreshes);

  const targets = scenarios(origins, refreshes);
  const run = {
    pids: {
      upstream: upstream.proc,
      proxy: proxy.proc,
      gateway: gateway.proc,
      gatewayB: gatewayB?.proc,
    },
    tool,
    upstreamUrl: upstream.url,
    connections: options.connections,
    warmupS: options.warmupS,
    waitQuietS: options.waitQuietS,
  };
  let window: { fromUs: number; toUs: number } | undefined;
  say('');
  const results = await runRounds(
    {
      scenarios: options.scenarios,
      rounds: profiling ? 1 : options.rounds,
      durationS: options.durationS,
      targets,
      onB: gatewayB ? (t) => onGatewayB(t, gatewayB.url, refreshes) : undefined,
      onWindow: (fromUs, toUs) => {
        window = { fromUs, toUs };
      },
    },
    run,
  );

  let soak: SoakResult | undefined;
  if (options.soak60 && !profiling) {
    process.stdout.write(`Running the ${SOAK_S} s soak of a userToken... `);
    const r = await measure(targets.userToken(), run, SOAK_S);
    soak = soakResult(r.load.rps, r.rssTimeline);
    say(
      `${f0(r.load.rps)} req/s, RSS floor ${soak.rssFloorFirstHalfMiB.toFixed(1)} MiB in 5-${SOAK_S / 2} s, ${soak.rssFloorSecondHalfMiB.toFixed(1)} MiB in ${SOAK_S / 2}-${SOAK_S} s (peak ${Math.max(...r.rssTimeline.map((x) => x.rssMiB)).toFixed(1)} MiB)`,
    );
  }

  const gatewayHwmMiB = memory(gateway.proc.pid).hwmMiB;
  const gatewayBHwmMiB = gatewayB ? memory(gatewayB.proc.pid).hwmMiB : undefined;
  await stopAll();

  if (profiling) {
    reportProfile(results[0]!, profileDir, gateway.proc.pid, window);
    return;
  }

  const everyRound = results.map(({ rssTimeline: _, ...rest }) => rest);
  const reported = medianRounds(everyRound);
  if (options.rounds > 1) printRounds(reported, everyRound);
  const { checks, ratios } = evaluate(
    reported.filter((r) => r.variant === 'A'),
    gatewayHwmMiB,
    soak,
    options.connections,
  );
  printSummary(reported, checks, ratios);
  const ab = abRatios(reported);
  if (ab.length) {
    printAb(ab, { a: options.gatewayEntry, b: b?.label }, { a: gatewayHwmMiB, b: gatewayBHwmMiB });
  }
  writeResults({
    tool,
    options,
    gatewayEnv: Object.fromEntries(
      Object.entries(gateway.env).filter(
        ([k]) => ![...BASE_ENV_KEYS, 'CIRCLE_API_KEY'].includes(k),
      ),
    ),
    reported,
    everyRound,
    gatewayHwmMiB,
    ab,
    gatewayBHwmMiB,
    soak,
    ratios,
    checks,
  });
}

main()
  .catch(async (error: unknown) => {
    if (interrupted) return;
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
