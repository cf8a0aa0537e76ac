import { writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import type { BenchOptions } from './cli.js';
import { createSessions, post, primeReplays, proveStablePath, type Refreshes } from './fixtures.js';
import { f0, f2, say } from './format.js';
import type { LoadTool } from './load.js';
import { type MeasureRun, measure, type TargetResult } from './measure.js';
import { startOtlpSink } from './otlp-sink.js';
import { memory } from './proc-stats.js';
import type { NodeProcess } from './processes.js';
import {
  CONFIGURATIONS,
  type ConfigId,
  type Configuration,
  type Goal,
  gatewayEnv,
  printScenario,
  printTraces,
  roundOrder,
  summarize,
} from './production-report.js';
import { startRedisProcess } from './redis-process.js';
import { gitDescription, RESULTS_DIR } from './report.js';
import { scenarios } from './scenarios.js';
import { children, startGateway, startProxy, startUpstream, stopAll } from './servers.js';
import { graphqlData, graphqlRequest, refreshesFor, type TargetId } from './targets.js';

type Started = { proc: NodeProcess; url: string };

/**
 * `--profile production`: the deployed configuration (REDIS_URL, traces at 10% to an OTLP
 * collector) and each of its parts, against the minimal proxy, in one run. Every gateway runs at
 * once (idle ones cost nothing measurable) so a round can visit them in any order; the order
 * rotates each round so drift in the shared machine's load falls on all of them alike.
 */
export async function runProductionProfile(options: BenchOptions, tool: LoadTool): Promise<void> {
  const sink = await startOtlpSink();
  try {
    await runWith(options, tool, sink);
  } finally {
    await stopAll();
    await sink.close();
  }
}

async function runWith(
  options: BenchOptions,
  tool: LoadTool,
  sink: Awaited<ReturnType<typeof startOtlpSink>>,
): Promise<void> {
  say(
    `--profile production: ${options.rounds} rounds, order rotated each round; every gateway runs its limiters (RATE_LIMIT_ADDRESS_RATE and _DEVICE_RATE 1000000/s); OTLP sink ${sink.url}`,
  );
  const upstream = await startUpstream();
  const redis = await startRedisProcess();
  children.push(redis);
  const proxy = await startProxy(upstream.url);
  const gateways = new Map<ConfigId, Started>();
  for (const config of CONFIGURATIONS.filter((c) => c.id !== 'proxy')) {
    const env = gatewayEnv(config, { redisUrl: redis.url, sinkUrl: sink.url });
    const started = await startGateway({
      upstreamUrl: upstream.url,
      entry: options.gatewayEntry,
      nodeArgs: options.nodeArgs,
      name: `gateway ${config.id}`,
      workers: options.workers,
      extraEnv: env,
    });
    gateways.set(config.id, started);
    const own = Object.entries(env).filter(([k]) => !k.startsWith('RATE_LIMIT'));
    say(
      `  ${config.label.padEnd(24)} pid ${started.proc.pid}  ${own.map(([k, v]) => `${k}=${v}`).join(' ') || '(nothing more)'}`,
    );
  }
  say(
    `  simulator pid ${upstream.proc.pid}, minimal proxy pid ${proxy.proc.pid}, redis-server pid ${redis.pid} (${redis.url})`,
  );

  // The proxy and every gateway's userToken share one set of replayed refreshes; each gateway
  // mints its own user tokens, so its userId refreshes need idempotency keys of their own.
  const shared = refreshesFor(await createSessions(upstream.url, options.bodies));
  const byUserId = new Map<ConfigId, Refreshes['byUserId']>();
  if (options.scenarios.includes('userId')) {
    for (const id of gateways.keys()) {
      byUserId.set(id, refreshesFor(await createSessions(upstream.url, options.bodies)));
    }
  }
  const refreshesOf = (id: ConfigId): Refreshes => ({
    shared,
    byUserId: byUserId.get(id) ?? [],
    byUserIdB: [],
    tampered: [],
    blank: [],
  });
  const memoryGateway = gateways.get('memory')!;
  await proveStablePath(
    ['userToken'],
    { upstream: upstream.url, proxy: proxy.url, gateway: memoryGateway.url, gatewayB: undefined },
    refreshesOf('memory'),
  );
  for (const [id, g] of gateways) {
    const answer = await post(g.url, graphqlRequest(shared[0]!, 'userToken'));
    const problem = graphqlData(answer.status, answer.body);
    if (problem) throw new Error(`gateway ${id} (userToken): ${problem}`);
    if (options.scenarios.includes('userId')) {
      const requests = refreshesOf(id).byUserId.map((r) => graphqlRequest(r, 'userId'));
      say(`  ${await primeReplays(`userId via ${id}`, g.url, requests, 'graphql', upstream.url)}`);
    }
  }

  const everyGateway = [...gateways.values()].map((g) => g.proc);
  const runOn = (server: NodeProcess): MeasureRun => ({
    pids: { upstream: upstream.proc, proxy: proxy.proc, gateway: server, gatewayB: undefined },
    tool,
    upstreamUrl: upstream.url,
    connections: options.connections,
    warmupS: options.warmupS,
    waitQuietS: options.waitQuietS,
    alsoOurs: [...everyGateway, redis],
    sidecar: redis,
  });
  const results: Array<{ scenario: TargetId; config: ConfigId; result: TargetResult }> = [];
  // The proxy is the floor of both scenarios: it runs once a round, among the first one's.
  const [first] = options.scenarios;
  for (let round = 0; round < options.rounds; round += 1) {
    say(`\nRound ${round + 1} of ${options.rounds}`);
    for (const scenario of options.scenarios) {
      const configs = CONFIGURATIONS.filter((c) => c.id !== 'proxy' || scenario === first);
      for (const config of roundOrder(configs, round)) {
        const gateway = gateways.get(config.id);
        const origins = { upstream: upstream.url, proxy: proxy.url, gateway: gateway?.url ?? '' };
        const all = scenarios(origins, refreshesOf(config.id));
        const target = { ...(config.id === 'proxy' ? all.proxy() : all[scenario]()) };
        target.label = config.id === 'proxy' ? config.label : `${scenario} ${config.label}`;
        process.stdout.write(`  ${target.label.padEnd(34)} (${options.durationS} s)... `);
        const { rssTimeline: _, ...result } = await measure(
          target,
          runOn(gateway?.proc ?? proxy.proc),
          options.durationS,
        );
        results.push({ scenario, config: config.id, result });
        say(
          `${f0(result.load.rps)} req/s, p99 ${f2(result.load.p99Ms)} ms${result.errors ? `, ${result.errors} ERRORS` : ''}`,
        );
      }
    }
  }

  const peakMiB = Object.fromEntries(
    [...gateways].map(([id, g]) => [id, Math.round(memory(g.proc.pid).hwmMiB)]),
  );
  // Stopping flushes each traced gateway's pending spans to the sink (still listening).
  await stopAll();
  const exported = printTraces(sink.counts());

  const summaries = new Map(
    options.scenarios.map((scenario) => [
      scenario,
      summarize(results.filter((r) => r.scenario === scenario || r.config === 'proxy')),
    ]),
  );
  const proxyRps = summaries.get(first!)?.find((r) => r.config.id === 'proxy')?.goodRps;
  const goalsBy: Partial<Record<TargetId, Goal[]>> = {};
  for (const [scenario, rows] of summaries) {
    const shown = scenario === first ? rows : rows.filter((r) => r.config.id !== 'proxy');
    goalsBy[scenario] = printScenario(scenario, shown, proxyRps, options.rounds);
  }
  say('');
  say(
    `Peak memory (VmHWM, MiB): ${CONFIGURATIONS.filter((c) => peakMiB[c.id] !== undefined)
      .map((c: Configuration) => `${c.id} ${peakMiB[c.id]}`)
      .join(', ')}`,
  );
  say(`Traces exported to the sink: ${exported ? 'yes' : 'NO'}`);
  say(`Ran on Node ${process.version} (${process.execPath})`);

  const out = join(RESULTS_DIR, 'production-latest.json');
  writeFileSync(
    out,
    `${JSON.stringify(
      {
        date: new Date().toISOString(),
        commit: gitDescription(),
        node: process.version,
        settings: {
          tool,
          connections: options.connections,
          durationS: options.durationS,
          warmupS: options.warmupS,
          rounds: options.rounds,
        },
        configurations: CONFIGURATIONS,
        results,
        goals: goalsBy,
        traces: sink.counts(),
        peakMiB,
      },
      null,
      2,
    )}\n`,
  );
  say(`Wrote ${relative(join(RESULTS_DIR, '../..'), out)}`);
}
