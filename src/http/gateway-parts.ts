// The parts createGateway (gateway.ts) puts together, each built once per gateway.
import type { DocumentNode, ExecutionResult } from 'graphql';
import type { createYoga } from 'graphql-yoga';
import { VERSION } from '../config/version.js';
import type { Logger } from '../observability/logger.js';
import { createRefreshContextFactory } from '../refresh/refresh-context.js';
import type { GatewayContext } from '../schema/context.js';
import { hideFieldSuggestions } from '../security/field-suggestions.js';
import type { GatewaySecurity } from '../security/gateway-security.js';
import type { createDocumentCache } from './document-cache.js';
import { normalizeResult } from './error-codes-plugin.js';
import { REQUEST_ID } from './fast-path.js';
import type { GatewayOptions } from './gateway-options.js';
import { EXAMPLE_MUTATION, PLACEHOLDER_VARIABLES } from './graphiql-example.js';
import type { GraphQLRoute } from './graphql-path.js';
import type { ResultStep } from './pipeline-steps.js';
import { clientGoneCheck, requestIdFor } from './refresh-caller.js';

/** The steps over every result on its way to a client, in order, for both transports. */
export function resultStepsOf(options: GatewayOptions, security: GatewaySecurity): ResultStep[] {
  const metrics = options.metrics;
  return [
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
}

/** One request id per request: the fast path decides it from the node request, Yoga here. */
export function requestIds(): (request: Request) => string {
  const ids = new WeakMap<Request, string>();
  return (request) => {
    let id = ids.get(request);
    if (!id) {
      id = requestIdFor(request.headers.get('x-request-id'));
      ids.set(request, id);
    }
    return id;
  };
}

/**
 * The refresh contexts of a gateway or a host's Yoga: the use case with the security checks
 * injected, and the shared state when there is one.
 */
export function refreshContexts(
  options: Pick<
    GatewayOptions,
    'client' | 'sharedState' | 'userTokenCache' | 'mutationDeadlineMs' | 'onCoalesced' | 'now'
  > & { simulated?: boolean },
  security: Pick<GatewaySecurity, 'beforeRefresh' | 'afterRefreshFailed'>,
  logger: Logger,
) {
  return createRefreshContextFactory({
    client: options.client,
    logger,
    beforeRefresh: security.beforeRefresh,
    afterRefreshFailed: security.afterRefreshFailed,
    userTokenCache: options.sharedState?.userTokenCache ?? options.userTokenCache,
    coalescer: options.sharedState?.coalescer,
    mutationDeadlineMs: options.mutationDeadlineMs,
    gatewayInfo: { version: VERSION, simulated: options.simulated ?? false },
    onCoalesced: options.onCoalesced,
    now: options.now,
  });
}

/** What resolvers see, for both transports: one factory (src/refresh/refresh-context.ts). */
export function contextFactory(
  options: GatewayOptions,
  security: GatewaySecurity,
  logger: Logger,
  requestIdOf: (request: Request) => string,
) {
  const createContext = refreshContexts(
    {
      ...options,
      onCoalesced:
        options.metrics || options.onCoalesced
          ? () => {
              options.metrics?.countCoalesced();
              options.onCoalesced?.();
            }
          : undefined,
    },
    security,
    logger,
  );
  return (initial: object): GatewayContext => {
    const given = initial as { request: Request; [REQUEST_ID]?: string };
    return createContext(given[REQUEST_ID] ?? requestIdOf(given.request), {
      address: security.addressOf(initial),
      // Read only when an authorizeUserId hook asks (the fast path builds it lazily).
      request: () => given.request,
      gone: clientGoneCheck(given),
    });
  };
}

/** GraphiQL on the endpoint only (Yoga would render it on any path ending in it). */
export function graphiqlOptions(options: GatewayOptions, route: GraphQLRoute) {
  const graphiql = options.graphiql ?? {};
  if (graphiql === false) return false;
  const variables = JSON.stringify(graphiql.exampleVariables || PLACEHOLDER_VARIABLES, null, 2);
  const page = {
    title: 'Circle wallets gateway',
    defaultTabs: [{ query: EXAMPLE_MUTATION, variables }],
    // GraphiQL 5 leaves the first default tab's variables editor empty (graphql/graphiql#3392);
    // its initial variables fill it. Yoga passes `variables` through but does not declare it.
    ...{ variables },
  };
  return (request: Request) => route.isGraphQL(new URL(request.url).pathname) && page;
}

/**
 * The project's own operations (or the trusted manifest) are parsed and validated through envelop
 * now, and kept for good: no client traffic can evict them.
 */
export function warmDocuments(
  yoga: {
    getEnveloped: (context: object) => ReturnType<ReturnType<typeof createYoga>['getEnveloped']>;
  },
  documents: ReturnType<typeof createDocumentCache<DocumentNode>>,
  manifest: Readonly<Record<string, string>>,
) {
  for (const text of new Set(Object.values(manifest))) {
    documents.pin(text);
    try {
      const enveloped = yoga.getEnveloped({});
      enveloped.validate(enveloped.schema, enveloped.parse(text));
    } catch {
      // A plugin that needs a request to parse: the document is parsed on its first request.
    }
  }
}
