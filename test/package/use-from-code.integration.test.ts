import { type ChildProcess, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { main } from '../../examples/use-from-code.js';
import { REFRESH_MUTATION } from '../support/refresh.js';
import { postJson } from '../support/requests.js';
import { newSession, refreshInput, type SessionTokens } from '../support/session.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

async function refreshThrough(graphqlUrl: string, session: SessionTokens) {
  const response = await postJson(graphqlUrl, {
    query: REFRESH_MUTATION,
    variables: { input: refreshInput(session) },
  });
  return (await response.json()) as {
    data?: { refreshUserToken: { userToken: string; userId: string } };
    errors?: unknown[];
  };
}

/**
 * Imports by package name, as another project would (here vitest.config.ts maps the name to the
 * sources; test/package/ imports the installed, compiled package). A computed specifier, so tsc
 * does not resolve it.
 */
const importByName = (subpath = '') =>
  import(`circle-wallets-graphql-gateway${subpath}`) as Promise<Record<string, unknown>>;

describe('the package entry points', () => {
  it('export what the README promises', async () => {
    const library = await importByName();
    const simulatorEntry = await importByName('/simulator');
    const subgraphEntry = await importByName('/subgraph');
    for (const name of [
      'createGateway',
      'schema',
      'subgraphSchema',
      'createCircleClient',
      'UserTokenCache',
      'createCircleSimulator',
      'startCircleSimulator',
      'startGatewayServer',
      'readConfig',
      'createLogger',
      'createMetrics',
    ]) {
      expect(library, name).toHaveProperty(name);
    }
    expect(simulatorEntry.startCircleSimulator).toBe(library.startCircleSimulator);
    expect(subgraphEntry.subgraphSchema).toBe(library.subgraphSchema);
  });
});

describe('examples/use-from-code.ts', () => {
  let child: ChildProcess | undefined;
  afterEach(() => {
    if (child && child.exitCode === null) child.kill('SIGKILL');
  });

  it('serves the mutation when its main() is called', async () => {
    const running = await main({ PORT: '0' });
    try {
      const session = running.simulator!.simulator.createSession();
      const body = await refreshThrough(`${running.url}/graphql`, { ...session });
      expect(body.errors).toBeUndefined();
      expect(body.data?.refreshUserToken.userId).toBe(session.userId);
      const metrics = await (await fetch(`${running.url}/metrics`)).text();
      expect(metrics).toMatch(/^gateway_graphql_requests_total\{outcome="ok"\} 1$/m);
    } finally {
      await running.close();
    }
  });

  it('serves the mutation when run as a script with Node, and stops on SIGTERM', async () => {
    child = spawn(process.execPath, ['--import', 'tsx', 'examples/use-from-code.ts'], {
      cwd: ROOT,
      env: { ...process.env, PORT: '0', CIRCLE_API_KEY: undefined },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const stderr: string[] = [];
    child.stderr!.on('data', (chunk: Buffer) => stderr.push(chunk.toString()));
    const started = await new Promise<{ graphql: string; simulator: string }>((resolve, reject) => {
      const lines = createInterface({ input: child!.stdout! });
      lines.on('line', (line) => {
        const entry = JSON.parse(line) as { msg: string; graphql: string; simulator: string };
        if (entry.msg === 'gateway started') resolve(entry);
      });
      child!.once('exit', (code) => reject(new Error(`exited ${code}: ${stderr.join('')}`)));
    });

    const session = await newSession(started.simulator);
    const body = await refreshThrough(started.graphql, session);
    expect(body.errors).toBeUndefined();
    expect(body.data?.refreshUserToken.userId).toBe(session.userId);

    const exited = new Promise<number | null>((resolve) => child!.once('exit', resolve));
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
  }, 30_000);
});
