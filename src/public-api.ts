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
  observeCircleClient,
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
export { VERSION } from './config/version.js';
export {
  createGateway,
  EXAMPLE_MUTATION,
  type Gateway,
  type GatewayOptions,
} from './http/gateway.js';
export {
  type RefreshUserTokenPluginContext,
  type RefreshUserTokenPluginOptions,
  useRefreshUserToken,
} from './http/refresh-user-token-plugin.js';
export {
  type GatewayServerOptions,
  type RunningGateway,
  SIMULATOR_API_KEY,
  startGatewayServer,
} from './http/server.js';
export { logCircleClient } from './observability/circle-log-subscriber.js';
export {
  createLogger,
  type LogFields,
  type Logger,
  type LoggerOptions,
  type LogLevel,
} from './observability/logger.js';
export {
  CIRCUIT_STATE_VALUES,
  createMetrics,
  type Metrics,
  type MetricsOptions,
  type UpstreamStatus,
  useMetrics,
  useMetricsEndpoint,
} from './observability/metrics.js';
export {
  TracingConfigError,
  tracingSettings,
} from './observability/tracing/from-env.js';
export type { Tracing, TracingOptions } from './observability/tracing/tracing.js';
export {
  type MintedTokenCache,
  UserTokenCache,
  type UserTokenCacheOptions,
} from './refresh/user-token-cache.js';
export type { GatewayContext } from './schema/context.js';
export type { GatewayErrorCode } from './schema/errors.js';
export { schema } from './schema/index.js';
export { addRefreshUserToken } from './schema/refresh-user-token.js';
export type { DocumentLimitsOptions } from './security/document-limits.js';
export type { RateLimitOptions, SecurityOptions } from './security/gateway-security.js';
export {
  createMemoryRateLimitStore,
  type MemoryRateLimitStore,
  type MemoryRateLimitStoreOptions,
  type RateLimitDecision,
  type RateLimitStore,
  type TokenBucketLimit,
} from './security/rate-limit.js';
export type { TrustedDocumentsOptions } from './security/trusted-documents.js';
export type { AuthorizeUserId } from './security/user-id-authorization.js';
export { type Config, ConfigError, readConfig } from './settings.js';
export type {
  RedisClusterShape,
  RedisHostPort,
  RedisSentinelShape,
  RedisShape,
  RedisUrlShape,
} from './shared-state/connect.js';
export {
  createSharedState,
  type SharedState,
  type SharedStateOptions,
} from './shared-state/create-shared-state.js';
export type { RedisFailureReason, RedisStatus } from './shared-state/redis-health.js';
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
export { loadTracing, startTracing } from './tracing.js';
