import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type CircleClient, createCircleClient } from './circle/client.js';
import { UserTokenCache } from './circle/user-token-cache.js';
import type { Config } from './config.js';
import { createGateway, type Gateway } from './gateway.js';
import { createLogger, type Logger } from './logger.js';
import { createMetrics, type Metrics } from './metrics.js';
import { resolveToggle, securityOptionsFromConfig } from './security/from-config.js';
import { capturePeerAddresses } from './security/peer-address.js';
import { type RunningSimulator, startCircleSimulator } from './simulator/index.js';

/** The API key the gateway uses with its embedded simulator: well-formed, and good for nothing else. */
export const SIMULATOR_API_KEY = 'TEST_API_KEY:simulator:not-a-real-secret';

export interface RunningGateway {
  url: string;
  graphqlUrl: string;
  server: Server;
  gateway: Gateway;
  client: CircleClient;
  /** Present when the gateway runs against its embedded simulator. */
  simulator: RunningSimulator | undefined;
  /** The session GraphiQL's example is filled with (simulator only). */
  demoSession: Record<string, string> | undefined;
  /** The metrics served at GET /metrics. */
  metrics: Metrics;
  /** Drains, waits for in-flight requests up to the shutdown timeout, then closes everything. */
  close(): Promise<void>;
}

/**
 * Starts the whole product from a Config: the simulator when there is no API key, the Circle
 * client, the gateway, the HTTP server.
 */
export async function startGatewayServer(
  config: Config,
  options: { logger?: Logger } = {},
): Promise<RunningGateway> {
  const logger = options.logger ?? createLogger({ level: config.logLevel });
  let simulator: RunningSimulator | undefined;
  let demoSession: Record<string, string> | undefined;
  let baseUrl = config.circleBaseUrl;
  let apiKey = config.circleApiKey;
  if (apiKey === undefined) {
    simulator = await startCircleSimulator({
      host: config.simulatorHost,
      port: config.simulatorPort,
    });
    baseUrl = simulator.url;
    apiKey = SIMULATOR_API_KEY;
    const session = await simulator.simulator.createSession();
    demoSession = { ...session };
  }

  const metrics = createMetrics();
  const client = createCircleClient({
    apiKey,
    baseUrl,
    connectTimeoutMs: config.upstreamConnectTimeoutMs,
    connections: config.upstreamConnections,
    attemptTimeoutMs: config.upstreamAttemptTimeoutMs,
    retry: {
      maxAttempts: config.upstreamMaxAttempts,
      baseDelayMs: config.upstreamRetryBaseDelayMs,
      maxDelayMs: config.upstreamRetryMaxDelayMs,
      budgetRatio: config.upstreamRetryBudgetRatio,
    },
    circuitBreaker: {
      failureThreshold: config.circuitFailureThreshold,
      resetAfterMs: config.circuitResetMs,
    },
    maxInFlight: config.upstreamMaxInFlight,
    queueTimeoutMs: config.upstreamQueueTimeoutMs,
    observer: {
      onAttempt: (e) => {
        const fields = {
          call: e.call,
          attempt: e.attempt,
          status: e.status,
          outcome: e.outcome,
          circleCode: e.circleCode,
          upstreamRequestId: e.requestId,
          durationMs: Math.round(e.durationMs),
        };
        if (e.outcome === 'ok') logger.debug('upstream attempt', fields);
        else logger.warn('upstream attempt failed', fields);
        metrics.observer.onAttempt(e);
      },
      onRetry: metrics.observer.onRetry,
      onRejected: metrics.observer.onRejected,
      onCircuitChange: (state) => {
        logger.warn('circuit breaker', { state });
        metrics.observer.onCircuitChange(state);
      },
    },
  });

  const gateway = createGateway({
    client,
    logger,
    // Always counted (the client's observer feeds it); served only when METRICS says so.
    ...(config.metrics ? { metrics } : {}),
    userTokenCache: new UserTokenCache({
      maxEntries: config.userTokenCacheMaxEntries,
      ttlMs: config.userTokenCacheTtlMs,
    }),
    mutationDeadlineMs: config.mutationDeadlineMs,
    fastPath: config.fastPath,
    simulated: simulator !== undefined,
    security: securityOptionsFromConfig(config),
    graphiql: !resolveToggle(config.graphiql, config.production)
      ? false
      : demoSession
        ? {
            exampleVariables: {
              input: {
                user: { userToken: demoSession.userToken },
                deviceId: demoSession.deviceId,
                refreshToken: demoSession.refreshToken,
              },
            },
          }
        : {},
  });

  let inFlight = 0;
  const server = createServer((req, res) => {
    inFlight += 1;
    res.once('close', () => {
      inFlight -= 1;
      if (gateway.draining) server.closeIdleConnections();
    });
    gateway.handleNodeRequest(req, res);
  });
  // Before a client can reset the connection and hide its address from the rate limits.
  capturePeerAddresses(server);
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.port, config.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  const url = `http://${host}:${address.port}`;

  let closing: Promise<void> | undefined;
  const close = () => {
    closing ??= (async () => {
      gateway.drain();
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      const deadline = Date.now() + config.shutdownTimeoutMs;
      while (inFlight > 0 && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      server.closeAllConnections();
      await closed;
      await client.close();
      await simulator?.close();
    })();
    return closing;
  };

  return {
    url,
    graphqlUrl: `${url}/graphql`,
    server,
    gateway,
    client,
    simulator,
    demoSession,
    metrics,
    close,
  };
}
