/**
 * The composition root of `npm start`: read the environment once, start, and stop gracefully.
 */
import cluster from 'node:cluster';
import { startGatewayServer } from './http/server.js';
import { createLogger, type Logger } from './observability/logger.js';
import { resolveToggle } from './security/from-config.js';
import { isConfigError, readConfig } from './settings.js';
import { startTracing } from './tracing.js';

async function main(): Promise<void> {
  let config: ReturnType<typeof readConfig>;
  try {
    config = readConfig(process.env);
  } catch (error) {
    if (isConfigError(error)) {
      process.stderr.write(`${error.message}\n\ndocs/settings.md lists every setting.\n`);
      process.exit(1);
    }
    throw error;
  }
  if (config.workers > 1 && cluster.isPrimary) {
    superviseWorkers(
      config.workers,
      config.shutdownDelayMs + config.shutdownTimeoutMs,
      createLogger({ level: config.logLevel }),
    );
    return;
  }
  // OTEL_* variables: spans exported over OTLP/HTTP (docs/tracing.md). Unset: nothing loaded.
  const tracing = await startTracing();
  const logger = createLogger({ level: config.logLevel, traceFields: tracing?.logFields });
  const running = await startGatewayServer(config, { logger, ...(tracing ? { tracing } : {}) });
  const lines = [''];
  if (running.simulator) {
    lines.push(
      '  No CIRCLE_API_KEY is set: the gateway runs against its embedded Circle simulator.',
      `  Simulator:  ${running.simulator.url}  (new sessions: POST ${running.simulator.url}/simulator/sessions)`,
    );
  } else {
    lines.push(`  Upstream:   ${config.circleBaseUrl}`);
  }
  lines.push(`  GraphQL:    ${running.graphqlUrl}`);
  if (resolveToggle(config.graphiql, config.production)) {
    lines.push(
      `  GraphiQL:   open ${running.graphqlUrl} in a browser${running.simulator ? ' and press Run' : ''}`,
    );
  }
  lines.push(`  Health:     ${running.url}/health   Readiness: ${running.url}/ready`);
  if (running.metricsUrl) lines.push(`  Metrics:    ${running.metricsUrl}`);
  lines.push('');
  // With several workers, one banner is enough.
  if (cluster.isPrimary || cluster.worker?.id === 1) process.stderr.write(`${lines.join('\n')}\n`);
  logger.info('gateway started', {
    url: running.graphqlUrl,
    simulated: running.simulator !== undefined,
  });

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info('shutting down', { signal });
    const hardExit = setTimeout(
      () => process.exit(1),
      config.shutdownDelayMs + config.shutdownTimeoutMs + 5_000,
    );
    hardExit.unref();
    running
      .close()
      .then(() => tracing?.shutdown())
      .then(
        () => {
          logger.info('stopped');
          process.exit(0);
        },
        () => process.exit(1),
      );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

/**
 * WORKERS > 1: this process only forks the workers (which share the port through node:cluster),
 * replaces one that dies, and on SIGTERM/SIGINT lets each drain and exit before exiting itself.
 */
function superviseWorkers(count: number, shutdownTimeoutMs: number, logger: Logger): void {
  let stopping = false;
  for (let i = 0; i < count; i += 1) cluster.fork();
  cluster.on('exit', (worker, code, signal) => {
    if (stopping) {
      if (Object.keys(cluster.workers ?? {}).length === 0) process.exit(0);
      return;
    }
    logger.error('worker exited; starting another', {
      worker: worker.id,
      code,
      signal: signal ?? undefined,
    });
    cluster.fork();
  });
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    logger.info('shutting down workers', { signal, workers: count });
    for (const worker of Object.values(cluster.workers ?? {})) worker?.process.kill(signal);
    setTimeout(() => process.exit(1), shutdownTimeoutMs + 5_000).unref();
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

main().catch((error: unknown) => {
  // Start-up errors (a port in use, an unreachable simulator port) name no secret: the API key is
  // checked in readConfig, whose messages never echo it.
  const message = error instanceof Error ? error.message : String(error);
  process.stderr.write(`The gateway could not start: ${message}\n`);
  if ((error as { code?: unknown } | null)?.code === 'EADDRINUSE') {
    process.stderr.write('The port is in use: set PORT (and SIMULATOR_PORT) to free ones.\n');
  }
  process.exit(1);
});
