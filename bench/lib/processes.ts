import { type ChildProcess, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';

/** The repository root (bench/lib/ is two levels down). */
export const ROOT = fileURLToPath(new URL('../../', import.meta.url));

export interface NodeProcess {
  name: string;
  pid: number;
  child: ChildProcess;
  /** Lines written to stdout so far (the gateway's JSON log lines). */
  readonly stdoutLines: number;
  /** The last stderr text, for error messages. */
  readonly stderrTail: string;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves with the exit code. */
  stop(graceMs?: number): Promise<number | null>;
}

export interface StartNodeOptions {
  name: string;
  /** Script path relative to the repository root. */
  script: string;
  env: Record<string, string>;
  /** Extra node flags, before the script (e.g. --cpu-prof). */
  nodeArgs?: string[];
  /** Run through tsx (a .ts script). @default true */
  tsx?: boolean;
  /** Resolve once a stdout line parses as JSON with a `url` field. */
  waitForUrlLine?: boolean;
}

/**
 * Starts `node --import tsx <script>` as one process: `npx tsx` would add a wrapper process
 * whose /proc figures are not the server's.
 */
export async function startNodeProcess(
  options: StartNodeOptions,
): Promise<NodeProcess & { url?: string }> {
  const child = spawn(
    process.execPath,
    [
      ...(options.nodeArgs ?? []),
      ...(options.tsx === false ? [] : ['--import', 'tsx']),
      options.script,
    ],
    { cwd: ROOT, env: options.env, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  if (child.pid === undefined) throw new Error(`${options.name} did not start`);
  let stdoutLines = 0;
  let stderrTail = '';
  let exited = false;
  let exitCode: number | null = null;
  const exit = new Promise<number | null>((resolve) => {
    child.once('exit', (code) => {
      exited = true;
      exitCode = code;
      resolve(code);
    });
  });
  child.stderr?.setEncoding('utf8');
  child.stderr?.on('data', (text: string) => {
    stderrTail = (stderrTail + text).slice(-4000);
  });

  let url: string | undefined;
  const urlLine = new Promise<string>((resolve, reject) => {
    let pending = '';
    child.stdout?.setEncoding('utf8');
    child.stdout?.on('data', (text: string) => {
      // Counting newlines is all the harness does with the logs: cheap, so the gateway's
      // write cost is real (a pipe, as in a container) without the harness stealing CPU.
      for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) stdoutLines += 1;
      if (url !== undefined || !options.waitForUrlLine) return;
      pending += text;
      for (const line of pending.split('\n')) {
        try {
          const parsed = JSON.parse(line) as { url?: unknown };
          if (typeof parsed.url === 'string') {
            url = parsed.url;
            resolve(parsed.url);
          }
        } catch {}
      }
    });
    exit.then(() => reject(new Error(`${options.name} exited: ${stderrTail.trim()}`)));
  });
  urlLine.catch(() => {});
  if (options.waitForUrlLine) await withTimeout(urlLine, 30_000, `${options.name} start`);

  const pid = child.pid;
  return {
    name: options.name,
    pid,
    child,
    url,
    get stdoutLines() {
      return stdoutLines;
    },
    get stderrTail() {
      return stderrTail;
    },
    async stop(graceMs = 10_000) {
      if (exited) return exitCode;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      const code = await exit;
      clearTimeout(timer);
      return code;
    },
  };
}

/** A port that was free a moment ago, on loopback. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** Polls `url` until it answers 200, or throws after `timeoutMs`. */
export async function waitForHttp(url: string, timeoutMs = 30_000, proc?: NodeProcess) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      const response = await fetch(url);
      await response.arrayBuffer();
      if (response.ok) return;
    } catch {}
    if (proc && proc.child.exitCode !== null) {
      throw new Error(`${proc.name} exited: ${proc.stderrTail.trim()}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`${url} did not answer 200 within ${timeoutMs} ms`);
}

export function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} took longer than ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
