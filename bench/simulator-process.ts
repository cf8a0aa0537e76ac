/**
 * The benchmark's upstream: the Circle simulator in fast mode (no rate limits, no added latency)
 * in a process of its own, so its CPU is not the gateway's.
 *
 * Prints one JSON line `{"url": ...}` on stdout once it listens. Besides the simulator's own
 * routes it answers `GET /bench/counts` with the Circle calls received so far, so the harness can
 * tell how many upstream calls each scenario made (coalescing, retries, or none at all).
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createCircleSimulator } from '../src/simulator/index.js';

const host = process.env.SIMULATOR_HOST || '127.0.0.1';
const port = Number(process.env.SIMULATOR_PORT || 0);

// Recording every call (headers included) is test plumbing, not work Circle does: off here.
const simulator = createCircleSimulator({ fast: true, maxRecordedRequests: 0 });
const counts: Record<string, number> = {};

const server = createServer((req, res) => {
  const path = (req.url ?? '/').split('?')[0] ?? '/';
  if (path === '/bench/counts') {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify(counts));
    return;
  }
  if (!path.startsWith('/simulator')) counts[path] = (counts[path] ?? 0) + 1;
  simulator.handle(req, res);
});
server.keepAliveTimeout = 30_000;

server.listen(port, host, () => {
  const address = server.address() as AddressInfo;
  process.stdout.write(`${JSON.stringify({ url: `http://${address.address}:${address.port}` })}\n`);
});

const stop = () => {
  simulator.abortPending();
  server.close(() => process.exit(0));
  server.closeAllConnections();
};
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
