// The plan of one gateway: its parts, Yoga with its plugins in order, the fast path and the front
// door. Its options and answer are declared in gateway-options.ts.
import { type DocumentNode, execute } from 'graphql';
import { createYoga, type Plugin } from 'graphql-yoga';
import { maskUnexpected } from '../errors/unexpected.js';
import { getSubgraph } from '../federation/subgraph-builder.js';
import projectManifest from '../generated/persisted-documents.json' with { type: 'json' };
import { createLogger, type Logger } from '../observability/logger.js';
import { useMetricsEndpoint } from '../observability/metrics.js';
import type { GatewayContext } from '../schema/context.js';
import { schema } from '../schema/index.js';
import { createGatewaySecurity, type GatewaySecurity } from '../security/gateway-security.js';
import { runParamSteps } from '../security/param-steps.js';
import { negotiateMediaType } from './accept.js';
import { createDocumentCache } from './document-cache.js';
import { createFastPath } from './fast-path.js';
import { createFrontDoor } from './front-door.js';
import type { Gateway, GatewayOptions } from './gateway-options.js';
import {
  contextFactory,
  graphiqlOptions,
  requestIds,
  resultStepsOf,
  warmDocuments,
} from './gateway-parts.js';
import { EXAMPLE_MUTATION } from './graphiql-example.js';
import { createGraphiQLPage, GRAPHIQL_ASSETS_PATH } from './graphiql-page.js';
import { createGraphQLRoute, type GraphQLRoute } from './graphql-path.js';
import { watchGivenPlugins } from './host-plugins.js';
import { useReadiness, yogaLogger } from './lifecycle-plugins.js';
import {
  type ResultStep,
  runResultSteps,
  useParamSteps,
  useResultSteps,
} from './pipeline-steps.js';
import { requestIdFor } from './refresh-caller.js';
import { createRequestChecks, useRequestChecks } from './request-checks.js';
import { createResponseHeaders, useResponseHeaders } from './response-headers.js';
import { useValidationCache } from './validation-cache.js';

export type { Gateway, GatewayOptions };
export { EXAMPLE_MUTATION };

/** Paths the gateway answers besides GraphQL. */
const PROBES = ['/health', '/ready'];
const METRICS_PATH = '/metrics';

/** Builds the gateway: no environment, no listening. */
export function createGateway(options: GatewayOptions): Gateway {
  const logger = options.logger ?? createLogger();
  const route = createGraphQLRoute(options.graphqlEndpoint ?? '/graphql');
  const security = createGatewaySecurity(options.security ?? {}, {
    authorizeUserId: options.authorizeUserId,
    logger,
    now: options.now,
  });
  const state = { draining: false, unready: false };
  const servesMetrics = options.metrics !== undefined && options.serveMetrics !== false;
  const responseHeaders = createResponseHeaders({
    securityHeaders: security.apiHeaders,
    pageCsp: security.graphiqlCsp,
    cors: security.cors,
  });
  const checks = createRequestChecks({
    route,
    otherRoutes: [...PROBES, METRICS_PATH],
    otherPrefixes: options.graphiql === false ? [] : [GRAPHIQL_ASSETS_PATH],
    isDraining: () => state.draining,
    answeredWhileDraining: servesMetrics ? [...PROBES, METRICS_PATH] : PROBES,
    admit: security.admit,
    maxBodyBytes: security.maxBodyBytes,
    csrf: security.csrf,
    servesGraphiQL: options.graphiql !== false,
  });
  const checkedByFrontDoor = new WeakSet<object>();
  const resultSteps = resultStepsOf(options, security);
  const documents = createDocumentCache<DocumentNode>(options.documentCache);
  const given = watchGivenPlugins(options.plugins ?? []);
  const graphiqlPage = createGraphiQLPage();
  const requestIdOf = requestIds();

  // Yoga's plugins, in the order they run. A plugin that wraps the execute function wraps the
  // engine, which is first; validation results are kept after every plugin that adds a rule.
  const plan = {
    // graphql-js executes on both transports: this schema has no @defer, @stream or
    // subscriptions, all that Yoga's @graphql-tools executor adds, at a third of the CPU.
    engine: { onExecute: ({ setExecuteFn }) => setExecuteFn(execute) } satisfies Plugin,
    requestChecks: useRequestChecks(checks, {
      checkedByFrontDoor,
      addressOf: security.addressOf,
    }),
    routes: [
      ...(servesMetrics && options.metrics
        ? [useMetricsEndpoint(options.metrics, { upstreamStatus: () => options.client.status() })]
        : []),
      useReadiness(
        () => state.draining || state.unready,
        () => options.client.status(),
        options.sharedState?.status,
      ),
      ...(options.graphiql === false ? [] : [graphiqlPage.plugin]),
    ],
    streamedBodyLimit: security.streamedBodyLimit,
    validationRules: security.executionPlugins,
    paramSteps: useParamSteps(security.paramSteps),
    responseHeaders: useResponseHeaders(responseHeaders, requestIdOf),
    resultSteps: useResultSteps(resultSteps),
    operationSpan: options.tracing ? [options.tracing.plugin] : [],
    given: given.plugins,
    validationCache: useValidationCache(),
  };
  const yoga = createYoga<Record<string, unknown>, GatewayContext>({
    schema: options.subgraph ? getSubgraph().schema : schema,
    graphqlEndpoint: route.endpoint,
    landingPage: false,
    // The request checks hold the one body limit (MAX_BODY_BYTES); Yoga's own 25 MB one would
    // wrap every body in a second counting stream.
    maxRequestBodySize: false,
    batching: false,
    logging: yogaLogger(logger),
    maskedErrors: { maskError: maskUnexpected },
    parserAndValidationCache: {
      documentCache: documents,
      errorCache: createDocumentCache<Error>(options.documentCache),
      validationCache: false,
    },
    // Wrapped so the page's inline script gets its own CSP hash.
    renderGraphiQL: security.renderGraphiQL(graphiqlPage.render),
    cors: security.cors,
    graphiql: graphiqlOptions(options, route),
    context: contextFactory(options, security, logger, requestIdOf),
    plugins: Object.values(plan).flat() as Plugin[],
  });
  warmDocuments(yoga, documents, security.manifest ?? projectManifest);

  const fastPath = fastPathOf(options, given, logger, {
    yoga,
    route,
    security,
    resultSteps,
    responseHeaders,
  });
  const frontDoor = createFrontDoor({
    checks,
    checked: checkedByFrontDoor,
    nodeAddress: security.nodeAddress,
    fastPath: fastPath?.handle,
    yoga,
    responseHeaders,
    requestIdFor,
    logger,
  });

  return {
    yoga,
    // Around the front door, so the fast path and Yoga are both inside the request's span.
    handleNodeRequest: options.tracing
      ? options.tracing.traceRequests(frontDoor, { routes: [route.endpoint, METRICS_PATH] })
      : frontDoor,
    fastPathStats: () => ({ served: fastPath?.stats().served ?? 0, enabled: !!fastPath }),
    documentCacheStats: () => documents.stats(),
    unready() {
      state.unready = true;
    },
    drain() {
      state.draining = true;
    },
    get draining() {
      return state.draining;
    },
  };
}

/** The fast path, unless turned off or a given plugin hooks what it does not run. */
function fastPathOf(
  gatewayOptions: GatewayOptions,
  given: ReturnType<typeof watchGivenPlugins>,
  logger: Logger,
  parts: {
    yoga: Parameters<typeof createFastPath>[0]['yoga'];
    route: GraphQLRoute;
    security: GatewaySecurity;
    resultSteps: readonly ResultStep[];
    responseHeaders: ReturnType<typeof createResponseHeaders>;
  },
) {
  if (gatewayOptions.fastPath === false) return undefined;
  const blocker = given.blocker();
  if (blocker) {
    logger.warn('fast path off: a plugin hooks the HTTP layer the fast path does not run', {
      plugin: blocker.name,
      hooks: blocker.hooks.join(','),
    });
    return undefined;
  }
  return createFastPath({
    yoga: parts.yoga,
    route: parts.route,
    resolveParams:
      parts.security.paramSteps.length > 0 ? runParamSteps(parts.security.paramSteps) : undefined,
    acceptsDocumentId: parts.security.acceptsDocumentId,
    processResult: runResultSteps(parts.resultSteps),
    responseHeaders: parts.responseHeaders,
    requestIdFor,
    negotiate: negotiateMediaType,
    logger,
  });
}
