import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, kill, spawnRedis } from './redis-server.js';

/**
 * A Sentinel-monitored Redis from Debian's `redis-server` (stack notes, item 22): a primary, a
 * replica of it, and three sentinels watching the group (quorum 2), all on free loopback ports.
 * With `password` the data nodes require it (the replica and the sentinels are given it); with
 * `sentinelPassword` the sentinels require theirs.
 */
export interface TestSentinel {
  /** The group's name (REDIS_SENTINEL_NAME). */
  readonly name: string;
  /** `127.0.0.1:p1,127.0.0.1:p2,127.0.0.1:p3` (REDIS_SENTINELS). */
  readonly sentinels: string;
  readonly primaryPort: number;
  readonly replicaPort: number;
  /** Kills the primary (SIGKILL): the sentinels promote the replica within a few seconds. */
  killPrimary(): Promise<void>;
  close(): Promise<void>;
}

export async function startTestSentinel(
  options: { password?: string; sentinelPassword?: string } = {},
): Promise<TestSentinel> {
  const name = 'gateway-primary';
  const dir = mkdtempSync(join(tmpdir(), 'sentinel-'));
  const children: ChildProcess[] = [];
  const auth = options.password
    ? ['--requirepass', options.password, '--masterauth', options.password]
    : [];
  // Its own directory: a replica's sync writes an RDB file, which a later run must not load.
  const common = ['--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir, ...auth];
  const close = async () => {
    await Promise.all(children.map((child) => kill(child)));
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    const primaryPort = await freePort();
    const primary = await spawnRedis(
      ['--port', String(primaryPort), ...common, '--dbfilename', 'primary.rdb'],
      'Ready to accept connections',
    );
    children.push(primary);
    const replicaPort = await freePort();
    children.push(
      await spawnRedis(
        [
          ...['--port', String(replicaPort), ...common, '--dbfilename', 'replica.rdb'],
          ...['--replicaof', '127.0.0.1', String(primaryPort)],
        ],
        'MASTER <-> REPLICA sync: Finished with success',
      ),
    );
    const sentinelPorts: number[] = [];
    for (let i = 0; i < 3; i += 1) {
      const port = await freePort();
      // Sentinel rewrites its file: each one gets its own.
      const conf = join(dir, `sentinel-${port}.conf`);
      writeFileSync(
        conf,
        [
          `port ${port}`,
          'bind 127.0.0.1',
          `dir ${dir}`,
          `sentinel monitor ${name} 127.0.0.1 ${primaryPort} 2`,
          `sentinel down-after-milliseconds ${name} 1000`,
          `sentinel failover-timeout ${name} 5000`,
          ...(options.password ? [`sentinel auth-pass ${name} ${options.password}`] : []),
          ...(options.sentinelPassword ? [`requirepass ${options.sentinelPassword}`] : []),
          '',
        ].join('\n'),
      );
      children.push(await spawnRedis([conf, '--sentinel'], '+monitor master'));
      sentinelPorts.push(port);
    }
    return {
      name,
      sentinels: sentinelPorts.map((port) => `127.0.0.1:${port}`).join(','),
      primaryPort,
      replicaPort,
      killPrimary: () => kill(primary),
      close,
    };
  } catch (error) {
    await close();
    throw error;
  }
}
