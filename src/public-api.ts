/**
 * The package's entry point (`import … from 'circle-wallets-graphql-gateway'`): everything needed
 * to build the gateway from code, serve it, observe it, or compose it into a larger graph.
 * `…/simulator` and `…/subgraph` are subpath entries of their own.
 */

export type { CircuitBreakerOptions, CircuitState } from './circle/circuit-breaker.js';
export {
  type AttemptEvent,
  type CallOptions,
  type CircleClient,
  type CircleClientObserver,
  type CircleClientOptions,
  createCircleClient,
  DEFAULT_CIRCLE_BASE_URL,
} from './circle/client.js';
export {
  type CircleCall,
  CircleCircuitOpenError,
  CircleClientError,
  CircleConnectionError,
  CircleHttpError,
  CircleMalformedResponseError,
  CircleOverloadedError,
  CircleTimeoutError,
  isCircleClientError,
} from './circle/errors.js';
export type { RetryOptions } from './circle/retry-policy.js';
export { UserTokenCache, type UserTokenCacheOptions } from './circle/user-token-cache.js';
export { type Config, ConfigError, readConfig } from './config.js';
export { createGateway, EXAMPLE_MUTATION, type Gateway, type GatewayOptions } from './gateway.js';
export {
  createLogger,
  type LogFields,
  type Logger,
  type LoggerOptions,
  type LogLevel,
} from './logger.js';
export {
  CIRCUIT_STATE_VALUES,
  createMetrics,
  type Metrics,
  type MetricsOptions,
  type UpstreamStatus,
  useMetrics,
  useMetricsEndpoint,
} from './metrics.js';
export type { GatewayContext } from './schema/context.js';
export type { GatewayErrorCode } from './schema/errors.js';
export { schema } from './schema/index.js';
export { type RunningGateway, SIMULATOR_API_KEY, startGatewayServer } from './server.js';
export {
  type CircleSimulator,
  createCircleSimulator,
  type RunningSimulator,
  type SimulatorOptions,
  type SimulatorSession,
  type StartSimulatorOptions,
  startCircleSimulator,
} from './simulator/index.js';
export { FEDERATION_LINK_URL, subgraphSchema, subgraphSdl } from './subgraph.js';
export {
  loadTracing,
  startTracing,
  TracingConfigError,
  tracingSettings,
} from './tracing/from-env.js';
export type { Tracing, TracingOptions } from './tracing/tracing.js';
export { VERSION } from './version.js';
