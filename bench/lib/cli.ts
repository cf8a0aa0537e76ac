import { parseArgs } from 'node:util';
import { TARGET_IDS, type TargetId } from './targets.js';

/** The names --profile takes. */
export const PROFILE_NAMES = ['production'] as const;
export type ProfileName = (typeof PROFILE_NAMES)[number];

/** The scenarios --profile production runs (the proxy is its floor, always run). */
export const PRODUCTION_SCENARIOS: TargetId[] = ['userToken', 'userId'];

export const USAGE = `npm run bench [-- options]
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
                    (with --cpu-profile: the profiled gateway uses Redis)
  --workers N       the gateway's WORKERS (node:cluster processes; CPU and memory are summed
                    over the process tree; default 1)
  --node-args="A B" the gateway's node flags (default: start:prod's, --max-semi-space-size=4;
                    --node-args="" for none)
  --rounds N        run the whole list of scenarios N times in turn and report, per scenario, the
                    round with the median req/s (default 1; --profile: 3); errors count over
                    every round
  --soak60          also run userToken for 60 s and compare the RSS floors of its two halves
  --cpu-profile     only the profiled scenario: gateway under --cpu-prof, top 25 self-time functions
  --profile-target  which scenario --cpu-profile runs (default userToken)
  --profile NAME    a fixed set of configurations compared in one run; one of: ${PROFILE_NAMES.join(', ')}
                    production: the minimal proxy and the gateway in memory, with tracing
                    always_off, with traces at 10%, on REDIS_URL, and deployed (Redis + traces at
                    10%), with its own redis-server and OTLP sink, rounds rotated (default 3);
                    --only userToken,userId narrows it`;

/** The node flags of `npm run start:prod` (package.json); `--node-args=""` runs without them. */
export const PRODUCTION_NODE_ARGS = ['--max-semi-space-size=4'];

/** Seconds of the --soak60 run. */
export const SOAK_S = 60;

/** Gateway B of an A/B run: what starts it and how the report names it. */
export interface GatewayB {
  entry: string;
  /**
   * Its extra environment (--ab-env). The run adds to it: the limiter rates and REDIS_URL of
   * --redis; with --cpu-profile (no gateway B) the profiled gateway takes it.
   */
  env: Record<string, string>;
  label: string;
  /** --ab names another build: it runs without A's --node-args. */
  ownEntry: boolean;
}

/** Every choice of one run, read from the command line and checked before anything starts. */
export interface BenchOptions {
  durationS: number;
  warmupS: number;
  connections: number;
  /** Distinct refreshes per scenario: more than the connections, so none is in flight twice. */
  bodies: number;
  rounds: number;
  workers: number;
  /** 0: never wait for a quiet machine. */
  waitQuietS: number;
  /** wrk or autocannon; undefined picks wrk when on PATH. */
  tool: string | undefined;
  /** The scenarios to run, in the report's order (--cpu-profile: only the profiled one). */
  scenarios: TargetId[];
  /** --cpu-profile: one scenario, the gateway under --cpu-prof. */
  cpuProfile: boolean;
  /** --profile NAME: a fixed comparison of configurations instead of the scenario list. */
  profileName: ProfileName | undefined;
  soak60: boolean;
  redis: boolean;
  gatewayEntry: string;
  /** Gateway A's node flags, before any --cpu-prof ones. */
  nodeArgs: string[];
  /** The --ab-env settings, kept even when there is no gateway B (--cpu-profile gives them to A). */
  abEnv: Record<string, string>;
  gatewayB: GatewayB | undefined;
}

function fail(message: string): never {
  process.stderr.write(message);
  process.exit(2);
}

function parseOrFail(argv: string[]) {
  try {
    return parseArgs({
      args: argv,
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
        'cpu-profile': { type: 'boolean', default: false },
        'profile-target': { type: 'string', default: 'userToken' },
        profile: { type: 'string' },
        help: { type: 'boolean', default: false },
      },
    });
  } catch (error) {
    // `--profile` alone was the CPU profile's flag: say where it went.
    const hint = argv.includes('--profile')
      ? `--profile takes a name: ${PROFILE_NAMES.join(', ')}; the CPU profile of one scenario is --cpu-profile\n`
      : '';
    fail(`${error instanceof Error ? error.message : String(error)}\n${hint}${USAGE}\n`);
  }
}

/** The --ab-env list as an environment: `K=V` pairs, comma-separated. */
function parseAbEnv(raw: string | undefined): Record<string, string> {
  return Object.fromEntries(
    (raw ?? '')
      .split(',')
      .map((pair) => pair.trim())
      .filter(Boolean)
      .map((pair) => {
        const at = pair.indexOf('=');
        if (at <= 0) fail(`--ab-env takes K=V pairs (got "${pair}")\n`);
        return [pair.slice(0, at), pair.slice(at + 1)];
      }),
  );
}

/** Reads the command line; prints the usage and exits on --help, exits 2 on a bad value. */
export function readOptions(argv: string[] = process.argv.slice(2)): BenchOptions {
  const { values: args } = parseOrFail(argv);
  if (args.help) {
    process.stdout.write(`${USAGE}\n`);
    process.exit(0);
  }
  const profileName = args.profile;
  if (profileName !== undefined && !PROFILE_NAMES.includes(profileName as ProfileName)) {
    fail(
      `Unknown profile "${profileName}"; --profile takes one of: ${PROFILE_NAMES.join(', ')} (the CPU profile of one scenario is --cpu-profile)\n`,
    );
  }
  if (profileName !== undefined) {
    const clashing = ['ab', 'ab-env', 'redis', 'cpu-profile', 'soak60'].filter(
      (name) =>
        args[name as keyof typeof args] !== undefined && args[name as keyof typeof args] !== false,
    );
    if (clashing.length > 0) {
      fail(
        `--profile ${profileName} sets its own gateways, Redis and sink; drop --${clashing.join(', --')}\n`,
      );
    }
  }

  const abEnv = parseAbEnv(args['ab-env']);
  const abEntry =
    args.ab ?? (Object.keys(abEnv).length > 0 || args.redis ? args['gateway-entry'] : undefined);
  const gatewayB: GatewayB | undefined = abEntry
    ? {
        entry: abEntry,
        env: abEnv,
        label: `${abEntry}${[
          args['ab-env'],
          args.redis ? 'REDIS_URL (redis-server on loopback)' : undefined,
        ]
          .filter(Boolean)
          .map((what) => ` with ${what}`)
          .join('')}`,
        ownEntry: args.ab !== undefined,
      }
    : undefined;

  const positive = (name: string, raw: string | undefined, fallback: number): number => {
    if (raw === undefined) return fallback;
    const value = Number(raw);
    if (!Number.isFinite(value) || value <= 0) {
      fail(`--${name} must be a positive number (got "${raw}")\n${USAGE}\n`);
    }
    return value;
  };
  // In the order they were always checked, so the first bad value is the one reported.
  const workers = Math.round(positive('workers', args.workers, 1));
  const durationS = Math.round(positive('duration', args.duration, args.quick ? 3 : 10));
  const rounds = Math.round(positive('rounds', args.rounds, profileName ? 3 : 1));
  const warmupS = Math.round(positive('warmup', args.warmup, args.quick ? 1 : 2));
  const connections = Math.round(positive('connections', args.connections, 10));
  const waitQuietS =
    args['wait-quiet'] === '0' ? 0 : Math.round(positive('wait-quiet', args['wait-quiet'], 20));
  const bodies = Math.max(32, connections * 3);

  const choices = profileName ? PRODUCTION_SCENARIOS : TARGET_IDS;
  const selected = (args.only ?? choices.join(',')).split(',').map((s) => s.trim());
  const profileTarget = args['profile-target'];
  for (const id of [...selected, profileTarget]) {
    if (!TARGET_IDS.includes(id as TargetId)) {
      fail(`Unknown scenario "${id}"; one of ${TARGET_IDS.join(', ')}\n`);
    }
  }
  const outside = selected.filter(
    (id) => !choices.includes(id as TargetId) && !(profileName && id === 'proxy'),
  );
  if (outside.length > 0) {
    fail(
      `--profile ${profileName} runs ${choices.join(', ')} (and the minimal proxy as its floor), not ${outside.join(', ')}\n`,
    );
  }

  return {
    durationS,
    warmupS,
    connections,
    bodies,
    rounds,
    workers,
    waitQuietS,
    tool: args.tool,
    scenarios: args['cpu-profile']
      ? [profileTarget as TargetId]
      : choices.filter((id) => selected.includes(id)),
    cpuProfile: args['cpu-profile'],
    profileName: profileName as ProfileName | undefined,
    soak60: args.soak60,
    redis: args.redis,
    gatewayEntry: args['gateway-entry'],
    nodeArgs:
      args['node-args'] !== undefined
        ? args['node-args'].split(' ').filter(Boolean)
        : PRODUCTION_NODE_ARGS,
    abEnv,
    gatewayB,
  };
}
