// The composition root of one gateway (Yoga, its plugins in order, the fast path, the front
// door): long because it wires every part, and nothing else reads the options.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { type DocumentNode, type ExecutionResult, execute, GraphQLError } from 'graphql';
import {
  createYoga,
  type MaskError,
  maskError,
  type Plugin,
  type YogaServerInstance,
} from 'graphql-yoga';
import type { CircleClient } from '../circle/client.js';
import type { MintedTokenCache } from '../circle/user-token-cache.js';
import { VERSION } from '../config/version.js';
import { getSubgraph } from '../federation/subgraph-builder.js';
import projectManifest from '../generated/persisted-documents.json' with { type: 'json' };
import { createLogger, type Logger } from '../observability/logger.js';
import { type Metrics, useMetricsEndpoint } from '../observability/metrics.js';
import type { Tracing } from '../observability/tracing/tracing.js';
import type { GatewayContext } from '../schema/context.js';
import { schema } from '../schema/index.js';
import { hideFieldSuggestions } from '../security/field-suggestions.js';
import { createGatewaySecurity, type SecurityOptions } from '../security/gateway-security.js';
import { GatewayRefusal, refusalResponse } from '../security/refusal.js';
import type { AuthorizeUserId } from '../security/user-id-authorization.js';
import type { SharedState } from '../shared-state/create-shared-state.js';
import { negotiateMediaType, useAcceptCheck } from './accept-check-plugin.js';
import { createDocumentCache, type DocumentCacheOptions } from './document-cache.js';
import { normalizeResult } from './error-codes-plugin.js';
import { createFastPath, REQUEST_ID } from './fast-path.js';
import { createFrontDoor } from './front-door.js';
import { createGraphiQLPage, GRAPHIQL_ASSETS_PATH } from './graphiql-page.js';
import { createGraphQLRoute, useOneGraphQLPath } from './graphql-path.js';
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
import { createRefreshContextFactory, requestIdFor } from './refresh-context.js';
import { createResponseHeaders, useResponseHeaders } from './response-headers.js';
import { useValidationCache } from './validation-cache.js';

export const EXAMPLE_MUTATION = `# Exchange a refresh token for a new user token.
# The variables below hold a session; press Run (Ctrl+Enter).
mutation RefreshUserToken($input: RefreshUserTokenInput!) {
  refreshUserToken(input: $input) {
    userToken
    refreshToken
    encryptionKey
    userId
    expiresAt
    idempotencyKey
    requestId
  }
}
`;

export interface GatewayOptions {
  /** The Circle client; the gateway never makes its own. */
  client: CircleClient;
  /**
   * Minted user tokens kept across requests (the userId path).
   * @default a new UserTokenCache with its defaults (10,000 users, 50 minutes)
   */
  userTokenCache?: MintedTokenCache;
  /**
   * State shared by every instance through Redis (`createSharedState`): the minted-token cache
   * and the merging of identical refreshes come from it, and /ready shows whether Redis is
   * reachable. Its rate-limit store goes in `security.rateLimits.store`.
   * @default undefined (everything in this process's memory)
   */
  sharedState?: SharedState;
  /** @default a JSON logger on stdout at level info */
  logger?: Logger;
  /**
   * Overall deadline of one mutation's upstream work, retries included.
   * @default 10000
   */
  mutationDeadlineMs?: number;
  /**
   * GraphiQL at GET /graphql. `false` turns it off; `exampleVariables` fills the example tab.
   * @default { exampleVariables: a placeholder session }
   */
  graphiql?: false | { exampleVariables?: Record<string, unknown> };
  /**
   * Whether the upstream is the embedded simulator (shown in `Query.gateway`).
   * @default false
   */
  simulated?: boolean;
  /**
   * Where GraphQL is served.
   * @default '/graphql'
   */
  graphqlEndpoint?: string;
  /** Called when identical concurrent refreshes share one upstream call. */
  onCoalesced?: () => void;
  /**
   * Serve the schema as an Apollo Federation v2 subgraph (`_service { sdl }` with `@link` and
   * `@oneOf`), for a federation gateway to compose.
   * @default false
   */
  subgraph?: boolean;
  /**
   * Metrics from `createMetrics()`: every GraphQL result is counted, coalesced calls too, and
   * GET /metrics serves them. Attach the same object's `observer` to the Circle client (`observeCircleClient(client, metrics.observer)`).
   * @default undefined (no /metrics)
   */
  metrics?: Metrics;
  /**
   * Whether GET /metrics on this gateway serves `metrics` (false: counted only, served elsewhere,
   * e.g. on a port of its own).
   * @default true
   */
  serveMetrics?: boolean;
  /**
   * Document limits, body size, rate limits, CORS, CSRF, security headers, introspection, field
   * suggestions, trusted documents and the userId switch (src/security/).
   * @default every control on with its development default (see SecurityOptions)
   */
  security?: SecurityOptions;
  /**
   * Whether this request may refresh by this userId (e.g. the caller's own session says it is
   * that user). Refused: FORBIDDEN, and no upstream call.
   * @default undefined (every userId allowed, as the contract says)
   */
  authorizeUserId?: AuthorizeUserId;
  /**
   * Serve JSON POSTs straight from node:http (`handleNodeRequest`, src/http/fast-path.ts): Yoga's
   * envelop without its Fetch-API layer, with the same controls and the same answers. `false`
   * sends every request through Yoga. A plugin with HTTP-level hooks the fast path does not
   * mirror turns it off whatever this says.
   * @default true
   */
  fastPath?: boolean;
  /**
   * OpenTelemetry spans (docs/tracing.md): a server span per node:http request, one per GraphQL
   * operation, Circle calls and attempts (those through the global subscription `tracing` made).
   * From `startTracing()` (the OTEL_* environment) or `createTracing({ tracerProvider })`.
   * @default undefined (no spans, nothing of the SDK loaded)
   */
  tracing?: Tracing;
  /**
   * Extra Yoga/envelop plugins (auth, tracing, usage reporting), after the gateway's own. They
   * run on every request whichever path serves it: execution-level hooks (onParse, onValidate,
   * onContextBuilding, onExecute) run on the fast path too; a plugin with an HTTP-level hook
   * (onRequest, onRequestParse, onParams, onExecutionResult, onResultProcess, onResponse) turns
   * the fast path off, with one log line naming it.
   * @default []
   */
  plugins?: Plugin[];
  /**
   * The bound of Yoga's parse cache (parsed documents by query text), by bytes of text.
   * @default { maxBytes: 1048576, maxDocumentBytes: 16384 }
   */
  documentCache?: DocumentCacheOptions;
  now?: () => number;
}

export interface Gateway {
  /** Yoga itself: `yoga.fetch` in process, or `yoga(req, res)` as a node:http handler. */
  yoga: YogaServerInstance<Record<string, unknown>, GatewayContext>;
  /**
   * The node:http handler to serve with: the fast path for JSON POSTs of known documents, Yoga
   * for everything else.
   */
  handleNodeRequest(req: IncomingMessage, res: ServerResponse): void;
  /** Requests the fast path served (zero when it is off), and whether it is on. */
  fastPathStats(): { served: number; enabled: boolean };
  /** Text bytes and entries in the bounded part of the parse cache, and the pinned entries. */
  documentCacheStats(): { bytes: number; entries: number; pinned: number };
  /**
   * Report not ready (GET /ready 503) but keep serving: the load balancer's cue to stop sending
   * new requests before `drain()` refuses them.
   */
  unready(): void;
  /** Stop taking new GraphQL requests (503) and report not ready; in-flight ones finish. */
  drain(): void;
  readonly draining: boolean;
}

const PLACEHOLDER_VARIABLES = {
  input: {
    user: { userToken: '<the user token from your client SDK>' },
    deviceId: '<the device id from your client SDK>',
    refreshToken: '<the refresh token from performLogin or the last refresh>',
  },
};

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
  // useRefreshUserToken): one factory, src/http/refresh-context.ts.
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

/** Yoga's own log calls, reduced to what is safe: an error's name and code, never its message. */
function yogaLogger(logger: Logger) {
  const describe = (args: unknown[]) => {
    const error = args.find((arg): arg is Error => arg instanceof Error);
    if (error) {
      const code = (error as { code?: unknown }).code;
      return { errorName: error.name, errorCode: typeof code === 'string' ? code : undefined };
    }
    return {};
  };
  return {
    debug: () => {},
    info: () => {},
    warn: (...args: unknown[]) => logger.warn('yoga', describe(args)),
    // Errors in execution are logged by the resolver, with the request id; Yoga's own line for
    // them would only repeat it without. Anything else (a crash outside execution) is logged.
    error: (...args: unknown[]) => {
      if (!args.some((arg) => arg instanceof GraphQLError)) {
        logger.error('unexpected error', describe(args));
      }
    },
  };
}

function useDrain(isDraining: () => boolean): Plugin {
  return {
    onRequest({ url, endResponse, fetchAPI }) {
      if (!isDraining() || url.pathname === '/health' || url.pathname === '/ready') return;
      const refusal = new GatewayRefusal(
        'The gateway is shutting down. Retry on another instance.',
        {
          code: 'UPSTREAM_UNAVAILABLE',
          status: 503,
          headers: { connection: 'close', 'retry-after': '1' },
        },
      );
      endResponse(refusalResponse(refusal, fetchAPI.Response));
    },
  };
}

function useReadiness(
  isDraining: () => boolean,
  upstream: () => { circuit: string; inFlight: number; queued: number },
  redis?: () => unknown,
): Plugin {
  return {
    onRequest({ url, endResponse, fetchAPI }) {
      if (url.pathname !== '/ready') return;
      const draining = isDraining();
      // An open circuit does not make the instance unready: every instance shares the same
      // Circle, so taking them all out of rotation would only turn fast errors into none. The
      // same goes for Redis: down, each instance falls back to its own memory and stays ready.
      endResponse(
        new fetchAPI.Response(
          JSON.stringify({
            status: draining ? 'draining' : 'ready',
            upstream: upstream(),
            ...(redis ? { redis: redis() } : {}),
          }),
          {
            status: draining ? 503 : 200,
            headers: { 'content-type': 'application/json', 'cache-control': 'no-store' },
          },
        ),
      );
    },
  };
}
