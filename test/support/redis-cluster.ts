import { type ChildProcess, execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freePort, kill, spawnRedis } from './redis-server.js';

const run = promisify(execFile);

/**
 * A three-primary Redis Cluster from Debian's `redis-server` (stack notes, item 22), on free
 * loopback ports (each node's bus port chosen free too), joined by `redis-cli --cluster create`.
 * Creating one takes a few seconds: share one per test file. With `password` every node requires
 * it.
 */
export interface TestCluster {
  /** `127.0.0.1:p1,127.0.0.1:p2,127.0.0.1:p3` (REDIS_CLUSTER_NODES). */
  readonly nodes: string;
  readonly ports: number[];
  close(): Promise<void>;
}

export async function startTestCluster(options: { password?: string } = {}): Promise<TestCluster> {
  const dir = mkdtempSync(join(tmpdir(), 'cluster-'));
  const children: ChildProcess[] = [];
  const auth = options.password
    ? ['--requirepass', options.password, '--masterauth', options.password]
    : [];
  const close = async () => {
    await Promise.all(children.map((child) => kill(child)));
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    const ports: number[] = [];
    for (let i = 0; i < 3; i += 1) {
      const [port, busPort] = [await freePort(), await freePort()];
      children.push(
        await spawnRedis(
          [
            ...['--port', String(port), '--cluster-port', String(busPort)],
            ...['--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', ...auth],
            ...['--cluster-enabled', 'yes', '--cluster-node-timeout', '2000'],
            ...['--cluster-config-file', join(dir, `nodes-${port}.conf`), '--dir', dir],
          ],
          'Ready to accept connections',
        ),
      );
      ports.push(port);
    }
    const cli = options.password ? ['-a', options.password, '--no-auth-warning'] : [];
    await run('redis-cli', [
      ...cli,
      '--cluster',
      'create',
      ...ports.map((port) => `127.0.0.1:${port}`),
      '--cluster-yes',
    ]);
    // `create` returns once slots are assigned; every node must agree before a client connects.
    for (const port of ports) {
      for (let i = 0; ; i += 1) {
        const { stdout } = await run('redis-cli', [...cli, '-p', String(port), 'cluster', 'info']);
        if (stdout.includes('cluster_state:ok')) break;
        if (i > 100) throw new Error(`the cluster did not become ok on ${port}:\n${stdout}`);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }
    return { nodes: ports.map((port) => `127.0.0.1:${port}`).join(','), ports, close };
  } catch (error) {
    await close();
    throw error;
  }
}
