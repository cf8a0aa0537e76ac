import { readConfig } from '../../src/settings.js';
import { freePort, type NodeProcess, startNodeProcess, waitForHttp } from './processes.js';
import { rateLimitOverrides } from './rate-limit-overrides.js';
import { BENCH_API_KEY } from './targets.js';

/** Every process the run started, stopped together at the end, on error and on a signal. */
export const children: NodeProcess[] = [];

/** The keys of baseEnv(): never written into the report. */
export const BASE_ENV_KEYS = ['PATH', 'HOME', 'TMPDIR', 'LANG', 'TZ'];

/** A minimal environment: nothing from the caller's shell (a LOG_LEVEL, say) leaks in. */
function baseEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const key of BASE_ENV_KEYS) {
    const value = process.env[key];
    if (value !== undefined) env[key] = value;
  }
  return env;
}

/** The Circle simulator the gateway and both references call. */
export async function startUpstream() {
  const proc = await startNodeProcess({
    name: 'simulator',
    script: 'bench/simulator-process.ts',
    env: { ...baseEnv(), NODE_ENV: 'production', SIMULATOR_PORT: '0' },
    waitForUrlLine: true,
  });
  children.push(proc);
  return { proc, url: proc.url! };
}

export interface GatewayLaunch {
  upstreamUrl: string;
  /** A .js entry runs under plain node; anything else through tsx. */
  entry: string;
  nodeArgs: string[];
  name: string;
  workers: number;
  /** Last, so it overrides the harness's own settings. */
  extraEnv: Record<string, string>;
}

/** A production gateway on a free loopback port, answering /health before this resolves. */
export async function startGateway(launch: GatewayLaunch) {
  const port = await freePort();
  const env: Record<string, string> = {
    ...baseEnv(),
    NODE_ENV: 'production',
    CIRCLE_API_KEY: BENCH_API_KEY,
    CIRCLE_BASE_URL: launch.upstreamUrl,
    LOG_LEVEL: 'warn',
    HOST: '127.0.0.1',
    PORT: String(port),
    ...rateLimitOverrides(),
    // Production serves /metrics on a port of its own; a free one, so gateways never collide.
    METRICS_PORT: '0',
    // Production refuses user.userId unless a host authorizes it (USER_ID_PATH=auto); the bench
    // measures that path, so it turns it on.
    USER_ID_PATH: 'enabled',
    WORKERS: String(launch.workers),
    ...launch.extraEnv,
  };
  readConfig(env); // fails here, with every problem listed, rather than as a dead child
  const proc = await startNodeProcess({
    name: launch.name,
    script: launch.entry,
    env,
    nodeArgs: launch.nodeArgs,
    tsx: !launch.entry.endsWith('.js'),
  });
  children.push(proc);
  const url = `http://127.0.0.1:${port}`;
  await waitForHttp(`${url}/health`, 30_000, proc);
  return { proc, url, env };
}

/** The reference with no GraphQL: node:http + undici, the same upstream call. */
export async function startProxy(upstreamUrl: string) {
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

export async function stopAll() {
  await Promise.all(children.splice(0).map((c) => c.stop()));
}
