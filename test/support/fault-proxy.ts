import { once } from 'node:events';
import { connect, createServer, type Socket } from 'node:net';

/**
 * A TCP proxy in front of a real Redis that misbehaves on command: the failures a network and a
 * sick server produce, which a stopped Redis does not (a stopped one refuses at once). Written
 * here, on node:net, because no fault-injection tool ships with Debian's redis-server and the
 * tests need to switch modes mid-connection.
 *
 * - `pass`: bytes flow both ways.
 * - `delay`: each chunk from the client reaches Redis `delayMs` late.
 * - `swallow`: connections open (new and existing) and nothing comes back: half-open.
 * - `garble`: every chunk is answered with bytes that are not RESP (an HTTP server's).
 * - `reset`: every connection is reset, open ones at once and new ones as they arrive.
 * - `ok`: every command is answered `+OK`: well-formed RESP of the wrong type for most of them.
 */
export type FaultMode = 'pass' | 'delay' | 'swallow' | 'garble' | 'reset' | 'ok';

/**
 * How many whole RESP commands (arrays of bulk strings) `data` holds, and where the first one that
 * is not whole yet starts (a command may span chunks).
 */
function commandsIn(data: Buffer): { count: number; rest: number } {
  let at = 0;
  let count = 0;
  let start = 0;
  const line = () => {
    const end = data.indexOf('\r\n', at);
    if (end < 0) return undefined;
    const text = data.toString('latin1', at, end);
    at = end + 2;
    return text;
  };
  while (at < data.length) {
    start = at;
    const header = line();
    if (header === undefined || !header.startsWith('*')) return { count, rest: start };
    for (let i = Number(header.slice(1)); i > 0; i--) {
      const size = line();
      if (size === undefined || !size.startsWith('$')) return { count, rest: start };
      at += Number(size.slice(1)) + 2;
      if (at > data.length) return { count, rest: start };
    }
    count += 1;
  }
  return { count, rest: data.length };
}

export interface FaultProxy {
  readonly port: number;
  /** `redis://127.0.0.1:<port>`. */
  readonly url: string;
  /** Connections the proxy has accepted so far (a reconnect shows as one more). */
  readonly accepted: number;
  set(mode: FaultMode, options?: { delayMs?: number }): void;
  close(): Promise<void>;
}

const GARBAGE = Buffer.from('HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\n\r\n');

export async function startFaultProxy(target: { port: number }): Promise<FaultProxy> {
  let mode: FaultMode = 'pass';
  let delayMs = 0;
  let accepted = 0;
  const open = new Set<Socket>();
  const server = createServer((client) => {
    accepted += 1;
    open.add(client);
    const upstream = connect(target.port, '127.0.0.1');
    open.add(upstream);
    const end = () => {
      client.destroy();
      upstream.destroy();
      open.delete(client);
      open.delete(upstream);
    };
    client.on('error', end).on('close', end);
    upstream.on('error', end).on('close', end);
    if (mode === 'reset') {
      client.resetAndDestroy();
      return;
    }
    let pending = Buffer.alloc(0);
    client.on('data', (chunk: Buffer) => {
      if (mode === 'pass') upstream.write(chunk);
      else if (mode === 'delay')
        setTimeout(() => upstream.writable && upstream.write(chunk), delayMs);
      else if (mode === 'garble') client.write(GARBAGE);
      else if (mode === 'ok') {
        pending = Buffer.concat([pending, chunk]);
        const { count, rest } = commandsIn(pending);
        pending = pending.subarray(rest);
        client.write('+OK\r\n'.repeat(count));
      } else if (mode === 'reset') client.resetAndDestroy();
      // swallow: dropped, and nothing answers.
    });
    upstream.on('data', (chunk: Buffer) => {
      if (mode === 'pass' || mode === 'delay') client.write(chunk);
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    get accepted() {
      return accepted;
    },
    set(next, options = {}) {
      mode = next;
      delayMs = options.delayMs ?? 0;
      if (next !== 'reset') return;
      for (const socket of open) socket.resetAndDestroy();
    },
    async close() {
      for (const socket of open) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
