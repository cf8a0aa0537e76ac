/**
 * The package as a platform team gets it: packed by `npm pack` (which builds dist/ on prepack),
 * installed into an empty project with production dependencies only, then used with plain
 * `node`, through its `bin`, and from a strict TypeScript consumer. Packed from a copy of the
 * sources, so the build never touches this checkout's dist/ while other suites run.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { postJson } from '../support/requests.js';
import { newSession, refreshInput } from '../support/session.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const NAME = 'circle-wallets-graphql-gateway';
const TSC = join(ROOT, 'node_modules/typescript/bin/tsc');
const run = promisify(execFile);

/** What a child process needs from this one: no npm_* variables from a surrounding `npm test`. */
const baseEnv = () =>
  Object.fromEntries(
    Object.entries(process.env).filter(
      ([key]) => !key.startsWith('npm_') && key !== 'CIRCLE_API_KEY' && key !== 'NODE_ENV',
    ),
  ) as Record<string, string>;

let work: string;
let app: string;
let packed: string[];

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'cwg-package-'));
  const source = join(work, 'source');
  mkdirSync(source);
  for (const entry of [
    'package.json',
    'package-lock.json',
    'tsconfig.json',
    'tsconfig.build.json',
    'README.md',
    'LICENSE',
    'src',
    'schema',
    'scripts',
  ]) {
    cpSync(join(ROOT, entry), join(source, entry), { recursive: true });
  }
  symlinkSync(join(ROOT, 'node_modules'), join(source, 'node_modules'));
  const { stdout } = await run('npm', ['pack', '--json', '--pack-destination', work], {
    cwd: source,
    env: baseEnv(),
  });
  const [info] = JSON.parse(stdout.slice(stdout.indexOf('['))) as Array<{
    filename: string;
    files: Array<{ path: string }>;
  }>;
  packed = info!.files.map((file) => file.path);

  app = join(work, 'app');
  mkdirSync(app);
  writeFileSync(join(app, 'package.json'), '{ "name": "app", "private": true, "type": "module" }');
  await run(
    'npm',
    [
      'install',
      '--omit=dev',
      '--no-audit',
      '--no-fund',
      '--prefer-offline',
      join(work, info!.filename),
    ],
    { cwd: app, env: baseEnv() },
  );
}, 300_000);

// The installed project holds a whole production node_modules: removing it takes a while on a
// loaded machine.
afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
}, 120_000);

describe('the packed tarball', () => {
  it('ships compiled code, types, maps, the schema and the trusted manifest; no tests or sources', () => {
    expect(packed).toEqual(
      expect.arrayContaining([
        'LICENSE',
        'package.json',
        'dist/public-api.js',
        'dist/public-api.d.ts',
        'dist/public-api.js.map',
        'dist/simulator/index.js',
        'dist/subgraph.js',
        'dist/bin.js',
        'dist/client/index.js',
        'dist/client/index.d.ts',
        'schema/schema.graphql',
        'src/generated/persisted-documents.json',
      ]),
    );
    const unexpected = packed.filter(
      (path) =>
        path.startsWith('test/') ||
        path.includes('tsbuildinfo') ||
        (path.endsWith('.ts') && !path.endsWith('.d.ts')),
    );
    expect(unexpected).toEqual([]);
    const manifest = JSON.parse(
      readFileSync(join(app, 'node_modules', NAME, 'package.json'), 'utf8'),
    ) as Record<string, unknown>;
    expect(manifest).toMatchObject({
      license: 'MIT',
      bin: { 'circle-wallets-gateway': './dist/bin.js' },
    });
    expect(manifest.private).toBeUndefined();
  });

  it('installs with production dependencies only: no TypeScript, tsx or test tools', () => {
    for (const dev of ['typescript', 'tsx', 'vitest', '@graphql-codegen/cli']) {
      expect(existsSync(join(app, 'node_modules', dev)), dev).toBe(false);
    }
  });

  it('imports every entry with plain node', async () => {
    const script = `
      const main = await import('${NAME}');
      const simulator = await import('${NAME}/simulator');
      const subgraph = await import('${NAME}/subgraph');
      const client = await import('${NAME}/client');
      const pkg = (await import('${NAME}/package.json', { with: { type: 'json' } })).default;
      console.log(JSON.stringify({
        createGateway: typeof main.createGateway,
        startGatewayServer: typeof main.startGatewayServer,
        startCircleSimulator: simulator.startCircleSimulator === main.startCircleSimulator,
        sdl: typeof subgraph.subgraphSdl,
        client: typeof client.refreshUserToken + ' ' + typeof client.createSessionKeeper,
        version: main.VERSION === pkg.version,
      }));`;
    const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script], {
      cwd: app,
      env: baseEnv(),
    });
    expect(JSON.parse(stdout)).toEqual({
      createGateway: 'function',
      startGatewayServer: 'function',
      startCircleSimulator: true,
      sdl: 'string',
      client: 'function function',
      version: true,
    });
  });
});

describe('the bin, circle-wallets-gateway', () => {
  const children: ChildProcess[] = [];
  afterEach(() => {
    for (const child of children.splice(0)) {
      if (child.exitCode === null && child.signalCode === null)
        process.kill(-child.pid!, 'SIGKILL');
    }
  });

  /** Starts the installed bin in the consumer's folder, as its shell would, and reads the banner. */
  async function startBin(
    env: Record<string, string>,
    command = [join(app, 'node_modules/.bin/circle-wallets-gateway')],
    cwd = app,
  ) {
    const [file, ...args] = command as [string, ...string[]];
    const child = spawn(file, args, {
      cwd,
      detached: true,
      env: { ...baseEnv(), PORT: '0', SIMULATOR_PORT: '0', LOG_LEVEL: 'warn', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    children.push(child);
    let stderr = '';
    const banner = await new Promise<{ graphql: string; simulator: string }>((resolve, reject) => {
      child.stderr!.on('data', (chunk: Buffer) => {
        stderr += chunk.toString();
        const graphql = stderr.match(/GraphQL:\s+(http:\/\/\S+\/graphql)/)?.[1];
        const simulator = stderr.match(/Simulator:\s+(http:\/\/\S+)/)?.[1];
        if (graphql && simulator) resolve({ graphql, simulator });
      });
      child.once('exit', (code) => reject(new Error(`the bin exited ${code}: ${stderr}`)));
    });
    const stop = async (to: 'process' | 'group' = 'process') => {
      const exited = once(child, 'exit');
      if (to === 'group') process.kill(-child.pid!, 'SIGINT');
      else child.kill('SIGTERM');
      const [code] = await exited;
      return code as number | null;
    };
    return { ...banner, stop };
  }

  const postForJson = async (url: string, body: unknown) => {
    const response = await postJson(url, body);
    return (await response.json()) as {
      data?: Record<string, Record<string, string>>;
      errors?: unknown[];
    } & Record<string, string>;
  };

  it('starts on the simulator without CIRCLE_API_KEY and serves a refresh by trusted documentId, from another folder', async () => {
    // TRUSTED_DOCUMENTS=true finds the package's own manifest wherever the process starts.
    const gateway = await startBin({ TRUSTED_DOCUMENTS: 'true' });
    const manifest = JSON.parse(
      readFileSync(
        join(app, 'node_modules', NAME, 'src/generated/persisted-documents.json'),
        'utf8',
      ),
    ) as Record<string, string>;
    const [documentId] = Object.entries(manifest).find(([, text]) =>
      text.startsWith('mutation RefreshUserToken'),
    )!;
    const session = await newSession(gateway.simulator, {});
    const body = await postForJson(gateway.graphql, {
      documentId,
      variables: { input: refreshInput(session) },
    });
    expect(body.errors).toBeUndefined();
    expect(body.data?.refreshUserToken?.userId).toBe(session.userId);
    expect(body.data?.refreshUserToken?.refreshToken).not.toBe(session.refreshToken);
    expect(await gateway.stop()).toBe(0);
  }, 60_000);

  it('is what `npm start` runs in the installed package, with no compiler there', async () => {
    const gateway = await startBin({}, ['npm', 'start'], join(app, 'node_modules', NAME));
    const body = await postForJson(gateway.graphql, {
      query: '{ circleWalletsGateway { simulated } }',
    });
    expect(body.data?.circleWalletsGateway).toEqual({ simulated: true });
    // npm does not pass SIGTERM on to its script (docs/package.md says to run node or the bin
    // directly under a process manager); Ctrl+C in a terminal signals the whole process group.
    await gateway.stop('group');
    await expect(fetch(gateway.graphql)).rejects.toThrow();
  }, 60_000);

  it('serves the federation subgraph with SUBGRAPH=true', async () => {
    const gateway = await startBin({ SUBGRAPH: 'true' });
    const body = await postForJson(gateway.graphql, { query: '{ _service { sdl } }' });
    const sdl = body.data?._service?.sdl ?? '';
    expect(sdl).toMatch(/^directive @oneOf on INPUT_OBJECT$/m);
    expect(sdl).toMatch(/@link\(url: "https:\/\/specs\.apollo\.dev\/federation\/v2\.\d+"/);
    expect(sdl).toMatch(/input UserIdentityInput\b[^{]*@oneOf/);
    expect(await gateway.stop()).toBe(0);
  }, 60_000);
});

describe('a strict TypeScript consumer (strict, exactOptionalPropertyTypes, nodenext)', () => {
  beforeAll(() => {
    for (const file of ['consumer.ts', 'tsconfig.json']) {
      cpSync(join(ROOT, 'test/package/consumer', file), join(app, file));
    }
    // A Node project has @types/node; the package does not install it for its users.
    mkdirSync(join(app, 'node_modules/@types'), { recursive: true });
    symlinkSync(join(ROOT, 'node_modules/@types/node'), join(app, 'node_modules/@types/node'));
  });

  it('compiles against the installed types and runs a refresh with plain node', async () => {
    await run(process.execPath, [TSC, '-p', 'tsconfig.json'], { cwd: app, env: baseEnv() }).catch(
      (error: { stdout?: string }) => {
        throw new Error(`tsc failed:\n${error.stdout}`);
      },
    );
    const { stdout } = await run(process.execPath, ['out/consumer.js'], {
      cwd: app,
      env: baseEnv(),
    });
    const result = JSON.parse(stdout) as Record<string, unknown>;
    expect(result).toMatchObject({
      version: expect.any(String),
      subgraph: true,
      sdlDeclaresOneOf: true,
      isCircleClientError: false,
    });
    expect(result.refreshedUserId).toBe(result.expectedUserId);
    expect(result.spentCode).toBe('REFRESH_REJECTED');
  }, 120_000);

  it("has no error in the package's own declarations even with skipLibCheck off", async () => {
    // Some dependencies' declarations do not pass these settings (lru-cache under
    // exactOptionalPropertyTypes, whatwg-node's newer globals); the package's own must.
    const output = await run(
      process.execPath,
      [TSC, '-p', 'tsconfig.json', '--noEmit', '--skipLibCheck', 'false'],
      { cwd: app, env: baseEnv() },
    ).then(
      ({ stdout }) => stdout,
      (error: { stdout?: string }) => error.stdout ?? '',
    );
    const ours = output
      .split('\n')
      .filter((line) => line.startsWith('consumer.ts') || line.includes(`node_modules/${NAME}/`));
    expect(ours).toEqual([]);
  }, 120_000);
});
