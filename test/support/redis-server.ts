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

/** A port free on loopback now (the OS picks it; a test binds it right after). */
export const freePort = async (): Promise<number> => {
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
    child = await spawnRedis(
      [...listen, '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', ...extraArgs],
      'Ready to accept connections',
    );
  };
  const stop = async () => {
    const running = child;
    child = undefined;
    await kill(running);
  };
  await start();
  return { port, url: `${tls ? 'rediss' : 'redis'}://127.0.0.1:${port}`, start, stop, close: stop };
}

/**
 * Spawns `redis-server args` and resolves once its log shows `ready` (a server, a replica and a
 * sentinel each say a different thing); rejects with the log if it exits or takes over 10 s.
 */
export async function spawnRedis(args: string[], ready: string): Promise<ChildProcess> {
  const spawned = spawn('redis-server', args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      spawned.kill('SIGKILL');
      reject(new Error(`redis-server did not start:\n${output}`));
    }, 10_000);
    spawned.stdout?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes(ready)) {
        clearTimeout(timer);
        resolve();
      }
    });
    spawned.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`redis-server exited with ${code}:\n${output}`));
    });
  });
  return spawned;
}

/** Stops a process spawned here at once (SIGKILL), if it still runs. */
export async function kill(child: ChildProcess | undefined): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill('SIGKILL');
  await exited;
}
