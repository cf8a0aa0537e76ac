/**
 * The gateway built from code and served with node:http. Without CIRCLE_API_KEY it talks to the
 * embedded Circle simulator. Run it: `npx tsx examples/use-from-code.ts`.
 *
 * It imports the package by its name, exactly as another project would. Installed, the name
 * resolves through package.json "exports" to the compiled dist/; in this repository tsconfig.json's
 * "paths" (and vitest.config.ts) map it to the sources.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pathToFileURL } from 'node:url';
import {
  createCircleClient,
  createGateway,
  createLogger,
  createMetrics,
  SIMULATOR_API_KEY,
} from 'circle-wallets-graphql-gateway';
import { startCircleSimulator } from 'circle-wallets-graphql-gateway/simulator';

export async function main(env: Record<string, string | undefined> = process.env) {
  const logger = createLogger({ level: 'info' });
  const apiKey = env.CIRCLE_API_KEY || undefined;
  const simulator = apiKey ? undefined : await startCircleSimulator();
  const metrics = createMetrics();
  const client = createCircleClient({
    apiKey: apiKey ?? SIMULATOR_API_KEY,
    baseUrl: simulator?.url ?? 'https://api.circle.com',
    observer: metrics.observer,
  });
  const gateway = createGateway({ client, logger, metrics, simulated: simulator !== undefined });

  const server = createServer(gateway.handleNodeRequest);
  await new Promise<void>((resolve) =>
    server.listen(Number(env.PORT ?? 4000), '127.0.0.1', resolve),
  );
  const { port } = server.address() as AddressInfo;
  const url = `http://127.0.0.1:${port}`;
  logger.info('gateway started', {
    graphql: `${url}/graphql`,
    metrics: `${url}/metrics`,
    simulator: simulator?.url,
  });

  return {
    url,
    simulator,
    async close() {
      gateway.drain();
      const closed = new Promise((resolve) => server.close(resolve));
      server.closeIdleConnections();
      await closed;
      await client.close();
      await simulator?.close();
    },
  };
}

// Started as a script (not imported): serve until Ctrl+C.
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const running = await main();
  process.once('SIGINT', () => void running.close());
  process.once('SIGTERM', () => void running.close());
}
