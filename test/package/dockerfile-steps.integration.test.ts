import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, posix } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SIMULATOR_API_KEY } from '../../src/http/server.js';
import { type RunningSimulator, startCircleSimulator } from '../../src/simulator/index.js';
import { REFRESH_MUTATION } from '../support/refresh.js';
import { postJson } from '../support/requests.js';
import { refreshInput } from '../support/session.js';
import { copyOf, envOf, execFormOf, parseDockerfile, type Stage } from './dockerfile.js';

/**
 * Docker cannot run here, so this replays the Dockerfile's own steps, read from the file, in
 * temporary directories: the build stage compiles, the runtime stage installs production
 * dependencies and copies dist/, then its CMD starts the gateway as the container would, with
 * its ENV. What differs from Docker is said where it happens.
 */
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const stages = parseDockerfile(join(ROOT, 'Dockerfile'));
const buildStage = stages.find((stage) => stage.name === 'build') as Stage;
const runtime = stages.at(-1) as Stage;
const all = (stage: Stage, op: string) => stage.instructions.filter((i) => i.op === op);
const one = (stage: Stage, op: string) => {
  const found = all(stage, op);
  expect(found, `${stage.name}: one ${op}`).toHaveLength(1);
  return found[0]!.args;
};

interface Replayed {
  dir: string;
  workdir: string;
}

/** Runs a stage's WORKDIR, COPY and RUN steps in `dir`. */
function replay(stage: Stage, dir: string, done: Record<string, Replayed>): Replayed {
  let workdir = '/';
  for (const step of stage.instructions) {
    if (step.op === 'WORKDIR') workdir = step.args;
    if (step.op === 'COPY') {
      const { from, sources, dest } = copyOf(step);
      const target = join(dir, dest);
      for (const source of sources) {
        const origin = from
          ? join(done[from]!.dir, posix.relative(done[from]!.workdir, source))
          : join(ROOT, source);
        const into = dest.endsWith('/') ? join(target, posix.basename(source)) : target;
        mkdirSync(dirname(into), { recursive: true });
        cpSync(origin, into, { recursive: true });
      }
    }
    if (step.op === 'RUN') {
      for (const command of step.args.split(' && ')) {
        if (stage === buildStage && /^npm ci\b/.test(command) && !command.includes('--omit=dev')) {
          // The build stage's full install is this checkout's: the same lockfile, installed by
          // CI's own `npm ci` before the tests run.
          symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'), 'dir');
          continue;
        }
        // It only makes the image smaller; here it would empty the machine's shared npm cache.
        if (/^npm cache clean\b/.test(command)) continue;
        execFileSync('sh', ['-c', command], { cwd: dir, stdio: 'pipe', env: process.env });
      }
    }
  }
  return { dir, workdir };
}

describe('the Dockerfile, its steps replayed outside Docker', () => {
  let scratch: string;
  let app: Replayed;
  let simulator: RunningSimulator;
  let child: ChildProcess | undefined;

  beforeAll(async () => {
    scratch = mkdtempSync(join(tmpdir(), 'dockerfile-'));
    const build = replay(buildStage, join(scratch, 'build'), {});
    app = replay(runtime, join(scratch, 'app'), { build });
    simulator = await startCircleSimulator();
  }, 300_000);

  afterAll(async () => {
    child?.kill('SIGKILL');
    await simulator?.close();
    if (scratch) rmSync(scratch, { recursive: true, force: true });
  });

  it('builds on Node 24 LTS and runs as a non-root production process with plain node', () => {
    expect(runtime.from).toMatch(/^node:24\b/);
    expect(buildStage.from).toBe(runtime.from);
    const env = Object.assign({}, ...all(runtime, 'ENV').map(envOf)) as Record<string, string>;
    expect(env).toMatchObject({ NODE_ENV: 'production', HOST: '0.0.0.0' });
    expect(one(runtime, 'USER')).not.toMatch(/^(root|0)$/);
    expect(execFormOf(one(runtime, 'CMD'))).toEqual(['node', 'dist/index.js']);
    expect(one(runtime, 'HEALTHCHECK')).toContain('/health');
    // The runtime stage holds production dependencies only: no compiler, no tsx, no test runner.
    expect(existsSync(join(app.dir, 'dist/index.js'))).toBe(true);
    for (const devOnly of ['typescript', 'tsx', 'vitest']) {
      expect(existsSync(join(app.dir, 'node_modules', devOnly))).toBe(false);
    }
  });

  it('starts from its CMD, becomes ready, passes its HEALTHCHECK, serves a refresh, and on SIGTERM reports unready while serving, then drains and exits', async () => {
    const secret = join(scratch, 'circle_api_key');
    writeFileSync(secret, `${SIMULATOR_API_KEY}\n`);
    const env = Object.assign({}, ...all(runtime, 'ENV').map(envOf)) as Record<string, string>;
    const [command, ...args] = execFormOf(one(runtime, 'CMD'));
    const stderr: string[] = [];
    const stdout: string[] = [];
    child = spawn(command === 'node' ? process.execPath : (command as string), args, {
      cwd: app.dir,
      env: {
        PATH: process.env.PATH ?? '',
        ...env,
        // Tests listen on loopback and on a free port; the image's 0.0.0.0:4000 is checked above.
        HOST: '127.0.0.1',
        PORT: '0',
        // Production serves /metrics on a port of its own (9464): a free loopback one here.
        METRICS_HOST: '127.0.0.1',
        METRICS_PORT: '0',
        CIRCLE_API_KEY_FILE: secret,
        CIRCLE_BASE_URL: simulator.url,
        SHUTDOWN_DELAY_MS: '1500',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const exited = once(child, 'exit').then(([code]) => code as number | null);
    child.stdout?.on('data', (chunk: Buffer) => stdout.push(chunk.toString()));
    child.stderr?.on('data', (chunk: Buffer) => stderr.push(chunk.toString()));
    let graphqlUrl: string | undefined;
    for (let i = 0; i < 300 && !graphqlUrl; i += 1) {
      graphqlUrl = /GraphQL:\s+(http:\/\/\S+\/graphql)/.exec(stderr.join(''))?.[1];
      if (!graphqlUrl) await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(graphqlUrl, stderr.join('')).toBeDefined();
    const base = new URL(graphqlUrl as string).origin;
    expect((await fetch(`${base}/ready`)).status).toBe(200);

    // The image's HEALTHCHECK command, as Docker runs it inside the container.
    const probe = execFormOf(one(runtime, 'HEALTHCHECK'));
    execFileSync(probe[0] === 'node' ? process.execPath : (probe[0] as string), probe.slice(1), {
      env: { ...env, PORT: new URL(base).port },
    });

    const refresh = async () => {
      const session = simulator.simulator.createSession();
      const response = await postJson(graphqlUrl as string, {
        query: REFRESH_MUTATION,
        variables: { input: refreshInput(session) },
      });
      return (await response.json()) as { data?: { refreshUserToken: { userToken: string } } };
    };
    expect((await refresh()).data?.refreshUserToken.userToken).toMatch(/^ey/);

    const signalled = Date.now();
    child.kill('SIGTERM');
    // Unready at once, still serving: the load balancer's cue, while requests keep arriving.
    await expect.poll(async () => (await fetch(`${base}/ready`)).status).toBe(503);
    expect((await refresh()).data?.refreshUserToken.userToken).toMatch(/^ey/);
    expect(await exited).toBe(0);
    expect(Date.now() - signalled).toBeGreaterThanOrEqual(1500);
    await expect(fetch(`${base}/health`)).rejects.toThrow();

    const output = stdout.join('') + stderr.join('');
    expect(output).toContain('"msg":"stopped"');
    expect(output).not.toContain(SIMULATOR_API_KEY);
  }, 60_000);
});
