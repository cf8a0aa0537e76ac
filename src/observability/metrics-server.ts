/**
 * /metrics on a listener of its own. In production the metrics stay off the API port: they are
 * unauthenticated and describe the whole service, so they are served where only the scraper
 * reaches (loopback by default), not where every client can read them or spend CPU rendering them.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Metrics, UpstreamStatus } from './metrics.js';

export interface MetricsServerOptions {
  metrics: Metrics;
  host: string;
  port: number;
  /** Read before every scrape, for the circuit and in-flight gauges. */
  upstreamStatus?: () => UpstreamStatus;
}

export interface RunningMetricsServer {
  server: Server;
  /** `http://host:port/metrics` */
  url: string;
  close(): Promise<void>;
}

export async function startMetricsServer(
  options: MetricsServerOptions,
): Promise<RunningMetricsServer> {
  const { metrics } = options;
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (path !== '/metrics') {
      res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end('Not found\n');
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD' }).end();
      return;
    }
    if (options.upstreamStatus) metrics.setUpstreamStatus(options.upstreamStatus());
    metrics.render().then(
      (body) => {
        res.writeHead(200, { 'content-type': metrics.contentType, 'cache-control': 'no-store' });
        res.end(req.method === 'HEAD' ? undefined : body);
      },
      () => res.writeHead(500).end(),
    );
  });
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return {
    server,
    url: `http://${host}:${address.port}/metrics`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
