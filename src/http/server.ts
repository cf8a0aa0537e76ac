import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type CircleClient, createCircleClient, observeCircleClient } from '../circle/client.js';
import { type CircleConfig, circleClientOptionsFromConfig } from '../circle/settings.js';
import { resolveToggle, type ValuesOf } from '../config/setting.js';
import { logCircleClient } from '../observability/circle-log-subscriber.js';
import { createLogger } from '../observability/logger.js';
import { createMetrics, type Metrics } from '../observability/metrics.js';
import { startMetricsServer } from '../observability/metrics-server.js';
import { type OBSERVABILITY_SETTINGS, resolveMetricsPort } from '../observability/settings.js';
import { type RefreshConfig, userTokenCacheOptionsFromConfig } from '../refresh/settings.js';
import { UserTokenCache } from '../refresh/user-token-cache.js';
import { type SecurityConfig, securityOptionsFromConfig } from '../security/from-config.js';
import { capturePeerAddresses } from '../security/peer-address.js';
import type { RateLimitStore } from '../security/rate-limit.js';
import type { RedisShape } from '../shared-state/connect.js';
import type { SHARED_STATE_SETTINGS } from '../shared-state/settings.js';
import { type RunningSimulator, startCircleSimulator } from '../simulator/index.js';
import { createConnectionControls, serverOptions } from './connection-controls.js';
import { createGateway, type Gateway, type GatewayOptions } from './gateway.js';
import { connectionLimitsFromConfig, type SERVER_SETTINGS } from './settings.js';

/**
 * What the server reads: every area's settings, the key and the mode. The composition root's
 * `Config` (src/settings.ts, which gathers the same tables) is exactly this.
 */
export type GatewayServerConfig = ValuesOf<typeof SERVER_SETTINGS> &
  CircleConfig &
  RefreshConfig &
  SecurityConfig &
  ValuesOf<typeof OBSERVABILITY_SETTINGS> &
  ValuesOf<typeof SHARED_STATE_SETTINGS> & {
    /** Undefined: run against the embedded simulator. */
    circleApiKey: string | undefined;
    production: boolean;
    /** Undefined: no Redis, the state stays in this process. */
    redis: RedisShape | undefined;
  };

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
  /** Where /metrics is served when it has a port of its own (production's default). */
  metricsUrl: string | undefined;
  /**
   * Reports unready for the shutdown delay while serving, drains, waits for in-flight requests up
   * to the shutdown timeout, then closes everything.
   */
  close(): Promise<void>;
}

/**
 * The hooks `createGateway` takes that a Config cannot say (code, not settings): `authorizeUserId`,
 * `userTokenCache`, `onCoalesced`, `plugins`... Whatever the Config sets (client, limits, GraphiQL,
 * metrics) is not here; `rateLimitStore` replaces only the store of the configured limits.
 */
export type GatewayServerOptions = Omit<
  Partial<GatewayOptions>,
  'client' | 'mutationDeadlineMs' | 'fastPath' | 'simulated' | 'security' | 'graphiql' | 'metrics'
> & {
  /**
   * Where the rate limits keep their buckets (e.g. one shared by every instance).
   * @default the bounded in-memory store (one process)
   */
  rateLimitStore?: RateLimitStore;
};

/**
 * Starts the whole product from a Config: the simulator when there is no API key, the Circle
 * client, the gateway, the HTTP server.
 */
export async function startGatewayServer(
  config: GatewayServerConfig,
  options: GatewayServerOptions = {},
): Promise<RunningGateway> {
  const { rateLimitStore, ...hooks } = options;
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
    ...circleClientOptionsFromConfig(config),
  });
  // Logs and metrics follow the client's published events, each on its own.
  const stopObserving = [
    logCircleClient(client, logger),
    observeCircleClient(client, metrics.observer),
  ];

  const configuredCache = new UserTokenCache(userTokenCacheOptionsFromConfig(config));
  const userTokenCache = hooks.userTokenCache ?? configuredCache;
  const sharedState =
    hooks.sharedState ??
    (config.redis
      ? // Loaded only with a Redis: an instance without one does not carry ioredis in memory.
        await (await import('../shared-state/create-shared-state.js')).createSharedState({
          ...config.redis,
          secret: apiKey,
          timeoutMs: config.redisTimeoutMs,
          prefix: config.redisKeyPrefix,
          localTokenCache: configuredCache,
          logger,
          registry: metrics.registry,
        })
      : undefined);
  const security = securityOptionsFromConfig(config);
  const store = rateLimitStore ?? sharedState?.rateLimitStore;
  if (store && security.rateLimits) security.rateLimits = { ...security.rateLimits, store };
  // In production /metrics leaves the API port for a loopback one (see src/observability/metrics-server.ts).
  const metricsPort = resolveMetricsPort(config);
  const gateway = createGateway({
    ...hooks,
    client,
    logger,
    // Always counted (it follows the client's events); served only when METRICS says so.
    ...(config.metrics ? { metrics, serveMetrics: metricsPort === 'api' } : {}),
    userTokenCache,
    // USER_TOKEN_CACHE_MAX_ENTRIES=0 (no cache) keeps minted tokens out of Redis too.
    ...(sharedState
      ? {
          sharedState:
            config.userTokenCacheMaxEntries === 0
              ? { ...sharedState, userTokenCache }
              : sharedState,
        }
      : {}),
    mutationDeadlineMs: config.mutationDeadlineMs,
    fastPath: config.fastPath,
    subgraph: config.subgraph,
    simulated: simulator !== undefined,
    security,
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

  const limits = connectionLimitsFromConfig(config);
  const server = createServer(serverOptions(limits), (req, res) => {
    connections.track(req, res);
    res.once('close', () => {
      if (gateway.draining) server.closeIdleConnections();
    });
    gateway.handleNodeRequest(req, res);
  });
  const connections = createConnectionControls(server, limits);
  // Before a client can reset the connection and hide its address from the rate limits.
  capturePeerAddresses(server);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.port, config.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const metricsServer =
    config.metrics && metricsPort !== 'api'
      ? await startMetricsServer({
          metrics,
          host: config.metricsHost,
          port: metricsPort,
          upstreamStatus: () => client.status(),
        })
      : undefined;
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  const url = `http://${host}:${address.port}`;

  let closing: Promise<void> | undefined;
  const close = () => {
    closing ??= (async () => {
      // Unready first, still serving: the load balancer sees /ready fail and stops sending
      // before the listener closes (Kubernetes keeps routing for a moment after SIGTERM).
      if (config.shutdownDelayMs > 0) {
        gateway.unready();
        await new Promise((resolve) => setTimeout(resolve, config.shutdownDelayMs));
      }
      gateway.drain();
      connections.drain();
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      const deadline = Date.now() + config.shutdownTimeoutMs;
      while (connections.inFlight > 0 && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      server.closeAllConnections();
      await closed;
      await metricsServer?.close();
      await client.close();
      for (const stop of stopObserving) stop();
      // A shared state the caller gave is the caller's to close.
      if (!hooks.sharedState) await sharedState?.close();
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
    metricsUrl: metricsServer?.url,
    close,
  };
}
