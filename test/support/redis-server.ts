import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:net';

/**
 * A real Redis (Debian's `redis-server`) for the shared-state tests: on a free loopback port, no
 * persistence, stopped by the test. `stop()` then `start()` again is a Redis outage and its
 * return, on the same port.
 */
export interface TestRedis {
  readonly port: number;
  /** `redis://127.0.0.1:<port>` (add a path for another database). */
  readonly url: string;
  /** Starts the server (again) on the same port. */
  start(): Promise<void>;
  /** Stops the server at once (SIGKILL: a crash, not a goodbye). */
  stop(): Promise<void>;
  /** Stops it, if running: for afterAll. */
  close(): Promise<void>;
}

const freePort = async (): Promise<number> => {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
};

/**
 * Starts `redis-server` on a free loopback port; `extraArgs` e.g. `['--requirepass', 'x']`.
 * With `tls` it listens for TLS only (the URL is `rediss://`).
 */
export async function startTestRedis(
  extraArgs: string[] = [],
  tls?: { certFile: string; keyFile: string },
): Promise<TestRedis> {
  const port = await freePort();
  const listen = tls
    ? [
        ...['--port', '0', '--tls-port', String(port)],
        ...['--tls-cert-file', tls.certFile, '--tls-key-file', tls.keyFile],
        ...['--tls-ca-cert-file', tls.certFile, '--tls-auth-clients', 'no'],
      ]
    : ['--port', String(port)];
  let child: ChildProcess | undefined;
  const start = async () => {
    const spawned = spawn(
      'redis-server',
      [...listen, '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', ...extraArgs],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    child = spawned;
    let output = '';
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`redis-server did not start:\n${output}`)),
        10_000,
      );
      spawned.stdout?.on('data', (chunk: Buffer) => {
        output += chunk.toString();
        if (output.includes('Ready to accept connections')) {
          clearTimeout(timer);
          resolve();
        }
      });
      spawned.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`redis-server exited with ${code}:\n${output}`));
      });
    });
  };
  const stop = async () => {
    const running = child;
    child = undefined;
    if (!running || running.exitCode !== null) return;
    const exited = once(running, 'exit');
    running.kill('SIGKILL');
    await exited;
  };
  await start();
  return { port, url: `${tls ? 'rediss' : 'redis'}://127.0.0.1:${port}`, start, stop, close: stop };
}
