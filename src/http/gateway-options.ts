import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Plugin, YogaServerInstance } from 'graphql-yoga';
import type { CircleClient } from '../circle/client.js';
import type { Logger } from '../observability/logger.js';
import type { Metrics } from '../observability/metrics.js';
import type { Tracing } from '../observability/tracing/tracing.js';
import type { MintedTokenCache } from '../refresh/user-token-cache.js';
import type { GatewayContext } from '../schema/context.js';
import type { SecurityOptions } from '../security/gateway-security.js';
import type { AuthorizeUserId } from '../security/user-id-authorization.js';
import type { SharedState } from '../shared-state/create-shared-state.js';
import type { DocumentCacheOptions } from './document-cache.js';

/** What `createGateway` takes and what it returns (src/http/gateway.ts builds it). */
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
   * From `startTracing()` (the OTEL_* environment) or `loadTracing({ tracerProvider })`.
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
