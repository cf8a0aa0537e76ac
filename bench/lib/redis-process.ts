import { spawn } from 'node:child_process';
import { freePort, type NodeProcess } from './processes.js';

/**
 * Debian's redis-server for `--redis`: loopback, a free port, no persistence, stopped with the
 * run. Shaped as a NodeProcess so the run stops it with everything else.
 */
export async function startRedisProcess(): Promise<NodeProcess & { url: string }> {
  const port = await freePort();
  const child = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  if (child.pid === undefined) throw new Error('redis-server did not start (is it installed?)');
  let output = '';
  const exit = new Promise<number | null>((resolve) => child.once('exit', resolve));
  await new Promise<void>((resolve, reject) => {
    child.stdout?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes('Ready to accept connections')) resolve();
    });
    void exit.then((code) => reject(new Error(`redis-server exited with ${code}:\n${output}`)));
  });
  return {
    name: 'redis-server',
    pid: child.pid,
    child,
    url: `redis://127.0.0.1:${port}`,
    stdoutLines: 0,
    get stderrTail() {
      return output.slice(-500);
    },
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      return exit;
    },
  };
}
