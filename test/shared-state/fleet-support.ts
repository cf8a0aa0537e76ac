import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { Redis } from 'ioredis';
import { postJson } from '../support/requests.js';

/** Gateway processes as an operator runs them (`npm start`), configured by their environment. */
const ROOT = new URL('../../', import.meta.url).pathname;

export interface GatewayProcess {
  child: ChildProcess;
  url: string;
  graphqlUrl: string;
  /** Everything it wrote to stdout (JSON log lines) and stderr. */
  output(): string;
  /** Its log lines with this `msg`. */
  logs(msg: string): Record<string, unknown>[];
  stop(): Promise<void>;
}

export async function startGatewayProcess(env: Record<string, string>): Promise<GatewayProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/index.ts'], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', PORT: '0', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
  });
  const graphqlUrl = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no start within 60 s:\n${stderr}`)), 60_000);
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      const match = stderr.match(/GraphQL:\s+(http:\/\/\S+\/graphql)/);
      if (match?.[1]) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`the gateway exited with ${code}:\n${stderr}`));
    });
  });
  const logs = (msg: string) =>
    stdout
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as Record<string, unknown>)
      .filter((line) => line.msg === msg);
  return {
    child,
    url: graphqlUrl.replace(/\/graphql$/, ''),
    graphqlUrl,
    output: () => stdout + stderr,
    logs,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = once(child, 'exit');
      child.kill('SIGKILL');
      await exited;
    },
  };
}

export interface Answer {
  status: number;
  retryAfter: string | null;
  body: {
    data?: { refreshUserToken: Record<string, string | null> } | null;
    errors?: { extensions: { code: string; retryAfter?: number } }[];
  };
}

export async function post(
  gateway: GatewayProcess,
  body: unknown,
  forwardedFor: string,
): Promise<Answer> {
  const response = await postJson(gateway.graphqlUrl, body, { 'x-forwarded-for': forwardedFor });
  return {
    status: response.status,
    retryAfter: response.headers.get('retry-after'),
    body: (await response.json()) as Answer['body'],
  };
}

/** Every command Redis receives, as MONITOR shows it (values included): for the secret scan. */
export async function monitorRedis(port: number) {
  const client = new Redis(port, '127.0.0.1');
  client.on('error', () => {});
  const monitor = await client.monitor();
  monitor.on('error', () => {});
  const lines: string[] = [];
  monitor.on('monitor', (_time: string, args: string[]) => lines.push(args.join(' ')));
  return {
    lines,
    stop() {
      monitor.disconnect();
      client.disconnect();
    },
  };
}
