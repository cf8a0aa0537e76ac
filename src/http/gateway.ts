// The composition root of one gateway (Yoga, its plugins in order, the fast path, the front
// door). Its options and answer are declared in gateway-options.ts, its life-cycle plugins in
// lifecycle-plugins.ts.
import { type DocumentNode, type ExecutionResult, execute } from 'graphql';
import { createYoga, type MaskError, maskError, type Plugin } from 'graphql-yoga';
import { VERSION } from '../config/version.js';
import { getSubgraph } from '../federation/subgraph-builder.js';
import projectManifest from '../generated/persisted-documents.json' with { type: 'json' };
import { createLogger } from '../observability/logger.js';
import { useMetricsEndpoint } from '../observability/metrics.js';
import { createRefreshContextFactory } from '../refresh/refresh-context.js';
import type { GatewayContext } from '../schema/context.js';
import { schema } from '../schema/index.js';
import { hideFieldSuggestions } from '../security/field-suggestions.js';
import { createGatewaySecurity } from '../security/gateway-security.js';
import { negotiateMediaType, useAcceptCheck } from './accept-check-plugin.js';
import { createDocumentCache } from './document-cache.js';
import { normalizeResult } from './error-codes-plugin.js';
import { createFastPath, REQUEST_ID } from './fast-path.js';
import { createFrontDoor } from './front-door.js';
import type { Gateway, GatewayOptions } from './gateway-options.js';
import { EXAMPLE_MUTATION, PLACEHOLDER_VARIABLES } from './graphiql-example.js';
import { createGraphiQLPage, GRAPHIQL_ASSETS_PATH } from './graphiql-page.js';
import { createGraphQLRoute, useOneGraphQLPath } from './graphql-path.js';
import { useDrain, useReadiness, yogaLogger } from './lifecycle-plugins.js';
import {
  type ResultStep,
  runParamSteps,
  runResultSteps,
  useParamSteps,
  useResultSteps,
} from './pipeline-steps.js';
import {
  END_OF_GATEWAY_PLUGINS,
  findFastPathBlocker,
  mirrored,
  pluginsAsBuilt,
} from './plugin-guard.js';
import { clientGoneCheck, requestIdFor } from './refresh-caller.js';
import { createResponseHeaders, useResponseHeaders } from './response-headers.js';
import { useValidationCache } from './validation-cache.js';

export type { Gateway, GatewayOptions };
export { EXAMPLE_MUTATION };

/** Builds the Yoga instance: no environment, no listening. */
export function createGateway(options: GatewayOptions): Gateway {
  const now = options.now ?? Date.now;
  const logger = options.logger ?? createLogger();
  const route = createGraphQLRoute(options.graphqlEndpoint ?? '/graphql');
  const graphqlEndpoint = route.endpoint;
  const security = createGatewaySecurity(options.security ?? {}, {
    isGraphQL: route.isGraphQL,
    authorizeUserId: options.authorizeUserId,
    logger,
    now,
  });
  // What resolvers see, for Yoga's requests and the fast path's alike (and a host's Yoga, through
  // useRefreshUserToken): one factory, src/refresh/refresh-context.ts.
  const createContext = createRefreshContextFactory({
    client: options.client,
    logger,
    beforeRefresh: security.beforeRefresh,
    afterRefreshFailed: security.afterRefreshFailed,
    userTokenCache: options.sharedState?.userTokenCache ?? options.userTokenCache,
    coalescer: options.sharedState?.coalescer,
    mutationDeadlineMs: options.mutationDeadlineMs,
    gatewayInfo: { version: VERSION, simulated: options.simulated ?? false },
    onCoalesced:
      options.metrics || options.onCoalesced
        ? () => {
            options.metrics?.countCoalesced();
            options.onCoalesced?.();
          }
        : undefined,
    now,
  });
  let draining = false;
  let unready = false;

  const requestIds = new WeakMap<Request, string>();
  const requestIdOf = (request: Request): string => {
    let id = requestIds.get(request);
    if (!id) {
      id = requestIdFor(request.headers.get('x-request-id'));
      requestIds.set(request, id);
    }
    return id;
  };

  const graphiql = options.graphiql ?? {};
  const exampleVariables = JSON.stringify(
    (graphiql !== false && graphiql.exampleVariables) || PLACEHOLDER_VARIABLES,
    null,
    2,
  );
  const graphiqlPage = createGraphiQLPage();
  const executableSchema = options.subgraph ? getSubgraph().schema : schema;
  const graphiqlOptions =
    graphiql === false
      ? false
      : {
          title: 'Circle wallets gateway',
          defaultTabs: [{ query: EXAMPLE_MUTATION, variables: exampleVariables }],
          // GraphiQL 5 leaves the first default tab's variables editor empty
          // (graphql/graphiql#3392); its initial variables fill it. Yoga's renderer passes
          // `variables` through, but Yoga's GraphiQLOptions type does not declare it.
          ...{ variables: exampleVariables },
        };
  // The one masking function: Yoga's maskedErrors and the fast path's thrown errors.
  // Never attach the original error, whatever NODE_ENV says: it may hold a token.
  const maskErrors: MaskError = (error, message) => maskError(error, message, false);
  const documents = createDocumentCache<DocumentNode>(options.documentCache);
  const parseErrors = createDocumentCache<Error>(options.documentCache);
  const metrics = options.metrics;
  // The result steps, in order, for both transports.
  const resultSteps: ResultStep[] = [
    ...(security.hidesFieldSuggestions ? [hideFieldSuggestions] : []),
    normalizeResult,
    // After normalizeResult: counts the codes clients see.
    ...(metrics
      ? [
          (result: ExecutionResult) => {
            metrics.countResult(result);
            return result;
          },
        ]
      : []),
  ];
  const responseHeaders = createResponseHeaders({
    apiHeaders: security.apiHeaders,
    cors: security.cors,
  });
  const ownPlugins: Plugin[] = [
    // graphql-js executes, on both transports, in place of Yoga's @graphql-tools executor: this
    // schema has no @defer, @stream or subscriptions, which are all that executor adds, and it
    // costs a third of the pipeline's CPU (bench/pipeline-cost.ts). First of the gateway's
    // plugins, so any plugin that wraps the execute function wraps this one.
    { onExecute: ({ setExecuteFn }) => setExecuteFn(execute) },
    // No other path answers GraphQL, so every control below holds on the one that does.
    mirrored(
      useOneGraphQLPath(
        route,
        ['/health', '/ready', '/metrics'],
        graphiql === false ? [] : [GRAPHIQL_ASSETS_PATH],
      ),
    ),
    // Before useDrain, so a draining instance still answers scrapes. Never the GraphQL path.
    ...(metrics && options.serveMetrics !== false
      ? [mirrored(useMetricsEndpoint(metrics, { upstreamStatus: () => options.client.status() }))]
      : []),
    // The fast path passes every request to Yoga while draining.
    mirrored(useDrain(() => draining)),
    mirrored(
      useReadiness(
        () => draining || unready,
        () => options.client.status(),
        options.sharedState?.status,
      ),
    ),
    ...security.plugins,
    // GraphiQL's script, styles and icon, hashed, compressed and cacheable (src/http/graphiql-page.ts):
    // GETs the fast path never serves.
    ...(graphiql === false ? [] : [mirrored(graphiqlPage.plugin)]),
    // The fast path serves only what negotiateMediaType answers with JSON; the rest comes here.
    mirrored(useAcceptCheck(route)),
    useParamSteps(security.paramSteps),
    useResponseHeaders(responseHeaders, requestIdOf),
    useResultSteps(resultSteps),
    // The GraphQL operation's span (envelop's onExecute only: it runs on both transports).
    ...(options.tracing ? [options.tracing.plugin] : []),
  ];
  const extraPlugins = options.plugins ?? [];
  const yoga = createYoga<Record<string, unknown>, GatewayContext>({
    schema: executableSchema,
    graphqlEndpoint,
    landingPage: false,
    // The security plugins' body limit (MAX_BODY_BYTES) is the one limit; Yoga's own 25 MB one
    // would wrap every body in a second counting stream.
    maxRequestBodySize: false,
    batching: false,
    logging: yogaLogger(logger),
    maskedErrors: { maskError: maskErrors },
    // Validation results are kept by useValidationCache, after every plugin that adds a rule.
    parserAndValidationCache: {
      documentCache: documents,
      errorCache: parseErrors,
      validationCache: false,
    },
    // Wrapped so the page's inline script gets its own CSP hash.
    renderGraphiQL: security.renderGraphiQL(graphiqlPage.render),
    cors: security.cors,
    // Yoga would render GraphiQL on any path ending in the endpoint: only on the endpoint.
    graphiql:
      graphiqlOptions === false
        ? false
        : (request) => route.isGraphQL(new URL(request.url).pathname) && graphiqlOptions,
    // The one context factory, for both transports (the fast path runs it through envelop).
    context: (initial): GatewayContext => {
      const given = initial as { request: Request; [REQUEST_ID]?: string };
      return createContext(given[REQUEST_ID] ?? requestIdOf(given.request), {
        address: security.addressOf(initial),
        // Read only when an authorizeUserId hook asks (the fast path builds it lazily).
        request: () => given.request,
        gone: clientGoneCheck(given),
      });
    },
    plugins: [...ownPlugins, ...extraPlugins, useValidationCache(), END_OF_GATEWAY_PLUGINS],
  });

  // The project's own operations (or the trusted manifest) are parsed and validated through
  // envelop now, and kept for good: no client traffic can evict them.
  const manifest: Readonly<Record<string, string>> = security.manifest ?? projectManifest;
  for (const text of new Set(Object.values(manifest))) {
    documents.pin(text);
    try {
      const enveloped = yoga.getEnveloped({});
      enveloped.validate(enveloped.schema, enveloped.parse(text));
    } catch {
      // A plugin that needs a request to parse: the document is parsed on its first request.
    }
  }

  // Every plugin the gateway was given, and every plugin those added at init.
  const blocker = findFastPathBlocker(pluginsAsBuilt(yoga, [...ownPlugins, ...extraPlugins]));
  if (blocker && (options.fastPath ?? true)) {
    logger.warn('fast path off: a plugin hooks the HTTP layer the fast path does not mirror', {
      plugin: blocker.name,
      hooks: blocker.hooks.join(','),
    });
  }
  const fastPath =
    (options.fastPath ?? true) && !blocker
      ? createFastPath({
          yoga,
          route,
          isDraining: () => draining,
          maxBodyBytes: security.maxBodyBytes,
          resolveParams:
            security.paramSteps.length > 0 ? runParamSteps(security.paramSteps) : undefined,
          acceptsDocumentId: security.acceptsDocumentId,
          processResult: runResultSteps(resultSteps),
          maskError: maskErrors,
          responseHeaders,
          requestIdFor,
          negotiate: negotiateMediaType,
          logger,
        })
      : undefined;

  const frontDoor = createFrontDoor({
    route,
    nodeAddress: security.nodeAddress,
    admit: security.admit,
    fastPath: fastPath?.handle,
    yoga,
    responseHeaders,
    requestIdFor,
    logger,
  });
  // Around the front door, so the fast path and Yoga are both inside the request's span.
  const handleNodeRequest = options.tracing
    ? options.tracing.traceRequests(frontDoor, { routes: [graphqlEndpoint, '/metrics'] })
    : frontDoor;

  return {
    yoga,
    handleNodeRequest,
    fastPathStats: () => ({ served: fastPath?.stats().served ?? 0, enabled: !!fastPath }),
    documentCacheStats: () => documents.stats(),
    unready() {
      unready = true;
    },
    drain() {
      draining = true;
    },
    get draining() {
      return draining;
    },
  };
}
