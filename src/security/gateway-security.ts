import type { Plugin } from 'graphql-yoga';
import type { ParamStep } from '../http/pipeline-steps.js';
import { mirrored } from '../http/plugin-guard.js';
import type { Logger } from '../observability/logger.js';
import type { RefreshInput } from '../refresh/user-token-service.js';
import { isCallerRefusal } from '../schema/errors.js';
import { DEFAULT_MAX_BODY_BYTES, useBodyLimit } from './body-limit.js';
import { createAddressMatcher, createNodeAddressResolver } from './client-address.js';
import { createCorsOptions } from './cors.js';
import { useCsrfPrevention } from './csrf-prevention.js';
import { createDocumentLimits, type DocumentLimitsOptions } from './document-limits.js';
import { useNoIntrospection } from './introspection.js';
import {
  createAddressGate,
  createMemoryRateLimitStore,
  createRateLimiter,
  defaultRateLimitExempt,
  type MaybeRefusal,
  type RateLimitStore,
  type TokenBucketLimit,
  type UpstreamBudget,
  useAddressRateLimit,
} from './rate-limit.js';
import { apiSecurityHeaders, createGraphiQLCsp, useSecurityHeaders } from './security-headers.js';
import { createTrustedDocumentsStep, type TrustedDocumentsOptions } from './trusted-documents.js';
import {
  type AuthorizeUserId,
  createUserIdGuard,
  type UserIdPath,
} from './user-id-authorization.js';

export interface RateLimitOptions {
  /**
   * Requests to the GraphQL endpoint per client address, refused before the body is read.
   * `rate` 0 turns it off.
   * @default { rate: 50, burst: 100 }
   */
  perAddress?: TokenBucketLimit;
  /**
   * refreshUserToken calls per deviceId, refused before any upstream call. `rate` 0 turns it off.
   * @default { rate: 5, burst: 10 }
   */
  perDevice?: TokenBucketLimit;
  /**
   * Client addresses neither limit applies to (IPs, CIDRs, `loopback`, `private`). `loopback`
   * includes in-process requests (no socket): the machine itself, its health checks, sidecars,
   * test suites and benchmarks. Behind a proxy on the same host, set `trustProxy` so clients are
   * told apart from the proxy. In production (NODE_ENV=production) nothing is exempt by default:
   * a reverse proxy on the same host would otherwise exempt every client.
   * @default ['loopback'] ([] when NODE_ENV=production)
   */
  exempt?: readonly string[];
  /**
   * Refreshes that may reach Circle per client address, tighter after Circle refuses that
   * address's credentials: Circle's refresh quota is one for the whole API key, and this keeps one
   * address from spending everyone's. `rate` 0 turns it off.
   * @default { rate: 1, burst: 3, refusalCost: 2 }
   */
  upstreamPerAddress?: UpstreamBudget;
  /** @default a bounded in-memory store (one process; see RateLimitStore for several) */
  store?: RateLimitStore;
}

/** The gateway's browser- and abuse-facing controls. Each default is the development one. */
export interface SecurityOptions {
  /** @default DOCUMENT_LIMIT_DEFAULTS (depth 6, aliases 10, tokens 1000, directives 10, cost 1000, one refresh) */
  limits?: DocumentLimitsOptions;
  /**
   * Largest request body in bytes (413 beyond it).
   * @default 65536
   */
  maxBodyBytes?: number;
  /**
   * Whether `__schema`/`__type` are answered. The config turns it off in production.
   * @default true
   */
  introspection?: boolean;
  /**
   * Whether error messages keep graphql-js's "Did you mean …?". Off in production by config.
   * @default true
   */
  fieldSuggestions?: boolean;
  /** `false` turns both limits off. @default {} (the defaults of RateLimitOptions) */
  rateLimits?: RateLimitOptions | false;
  /**
   * Proxies whose X-Forwarded-For is believed (IPs, CIDRs, `loopback`, `private`).
   * @default [] (the socket's peer is the client)
   */
  trustProxy?: readonly string[];
  /**
   * Origins allowed to call from a browser (CORS).
   * @default [] (same origin only)
   */
  corsOrigins?: readonly string[];
  /**
   * `Strict-Transport-Security` max-age, only when clients reach the gateway over HTTPS.
   * @default 0 (no header)
   */
  hstsMaxAgeSeconds?: number;
  /**
   * Refuse form posts and header-less GETs (CSRF). JSON POSTs and GraphiQL are unaffected.
   * @default true
   */
  csrfPrevention?: boolean;
  /** Run only the manifest's documents. @default undefined (any document) */
  trustedDocuments?: TrustedDocumentsOptions;
  /**
   * `disabled` refuses every userId refresh (FORBIDDEN); `authorized` allows one only when an
   * `authorizeUserId` hook is configured and says yes (what `USER_ID_PATH=auto` means in
   * production).
   * @default 'enabled'
   */
  userIdPath?: UserIdPath;
}

/** Throws a refusal, or returns a promise that rejects with it; nothing when allowed. */
function settle(verdict: MaybeRefusal): undefined | Promise<void> {
  if (verdict instanceof Promise) {
    return verdict.then((refusal) => {
      if (refusal) throw refusal;
    });
  }
  if (verdict) throw verdict;
  return undefined;
}

export interface GatewaySecurityDeps {
  /** Whether a URL path is the GraphQL endpoint (src/http/graphql-path.ts). */
  isGraphQL(pathname: string): boolean;
  authorizeUserId?: AuthorizeUserId;
  logger?: Logger;
  now?: () => number;
}

/** Who is asking for a refresh: what the checks before the upstream call need of the request. */
export interface RefreshCaller {
  /** The client's address (undefined in process; `unknown` when the peer cannot be read). */
  address: string | undefined;
  /** The request itself, for an `authorizeUserId` hook. */
  request(): Request;
  /**
   * Whether the client has closed its connection: nothing it could receive any more.
   * @default never (a caller that cannot tell)
   */
  gone?(): boolean;
}

/**
 * Builds every control from one options object: the Yoga plugins, Yoga's `cors` option, a
 * GraphiQL renderer wrapper (for its CSP), and the check that runs before any upstream call of a
 * refresh (device rate limit, then the userId policy). The same controls are exposed as plain
 * functions for the gateway's fast path (src/http/fast-path.ts), which serves without Yoga.
 */
export function createGatewaySecurity(options: SecurityOptions, deps: GatewaySecurityDeps) {
  const nodeAddress = createNodeAddressResolver({ trustProxy: options.trustProxy });
  /** A request's client address: undefined only in process (no node:http request at all). */
  const addressOf = (serverContext: unknown): string | undefined => {
    const req = (serverContext as { req?: Parameters<typeof nodeAddress>[0] } | undefined)?.req;
    return req?.headers ? nodeAddress(req) : undefined;
  };
  const graphiqlCsp = createGraphiQLCsp();
  const userIdGuard = createUserIdGuard({
    userIdPath: options.userIdPath,
    authorizeUserId: deps.authorizeUserId,
  });
  const limiter =
    options.rateLimits === false
      ? undefined
      : createRateLimiter({
          store: options.rateLimits?.store ?? createMemoryRateLimitStore(),
          perAddress: options.rateLimits?.perAddress,
          perDevice: options.rateLimits?.perDevice,
          upstreamPerAddress: options.rateLimits?.upstreamPerAddress,
          isExempt: createAddressMatcher(
            // The same NODE_ENV rule as RATE_LIMIT_EXEMPT's default: code and settings agree.
            options.rateLimits?.exempt ??
              defaultRateLimitExempt(globalThis.process?.env?.NODE_ENV === 'production'),
          ),
          now: deps.now,
        });
  const addressGate = limiter
    ? createAddressGate({
        limiter,
        trustsProxy: (options.trustProxy ?? []).length > 0,
        logger: deps.logger,
      })
    : undefined;
  const maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  // Charged once per request, whichever of the front door and Yoga's plugin sees it first: the
  // key is the node:http request (or, in process, Yoga's Request).
  const charged = new WeakMap<object, MaybeRefusal>();
  const admit = (key: object, address: string | undefined, forwarded: boolean): MaybeRefusal => {
    if (!addressGate) return undefined;
    if (charged.has(key)) return charged.get(key);
    const verdict = addressGate(address, forwarded);
    charged.set(key, verdict);
    return verdict;
  };
  const documentLimits = createDocumentLimits(options.limits);
  // The request-parameter checks, in order: both transports run this one list.
  const paramSteps: ParamStep[] = [
    documentLimits.tokenStep,
    ...(options.trustedDocuments ? [createTrustedDocumentsStep(options.trustedDocuments)] : []),
  ];

  // Each HTTP-level plugin here is marked mirrored: the front door or the fast path does the same
  // work through the same function (see src/http/plugin-guard.ts).
  const plugins: Plugin[] = [
    // The API headers the fast path sends come from the same apiSecurityHeaders (see
    // src/http/response-headers.ts); the fast path never answers the GraphiQL page.
    mirrored(useSecurityHeaders({ hstsMaxAgeSeconds: options.hstsMaxAgeSeconds, graphiqlCsp })),
    ...(addressGate
      ? [
          // The front door charges node:http requests before either path; this charges the rest.
          mirrored(
            useAddressRateLimit({
              admit,
              clientAddress: (_request, serverContext) => addressOf(serverContext),
              isGraphQL: deps.isGraphQL,
            }),
          ),
        ]
      : []),
    // The fast path serves only a Content-Length within the same limit.
    mirrored(useBodyLimit({ maxBytes: maxBodyBytes })),
    // The fast path serves only JSON content types, which this lets through.
    ...(options.csrfPrevention === false ? [] : [mirrored(useCsrfPrevention())]),
    documentLimits.plugin,
    ...(options.introspection === false ? [useNoIntrospection()] : []),
  ];

  return {
    plugins,
    /** The checks over the request's parameters, in order (token count, trusted documents). */
    paramSteps,
    /** Whether `documentId` names a document (trusted-documents mode). */
    acceptsDocumentId: options.trustedDocuments !== undefined,
    /** The trusted manifest, when there is one. */
    manifest: options.trustedDocuments?.manifest,
    cors: createCorsOptions({ origins: options.corsOrigins }),
    renderGraphiQL: graphiqlCsp.wrap,
    /** The client address of a request from its server context (undefined in process). */
    addressOf,
    /** The client address of a node:http request: its peer captured at connection, or its hop. */
    nodeAddress,
    /** The per-address limit, charged once per request key (undefined: allowed or no limit). */
    admit,
    /** The body limit in bytes (413 beyond it). */
    maxBodyBytes,
    /** Headers every non-HTML response carries. */
    apiHeaders: apiSecurityHeaders({ hstsMaxAgeSeconds: options.hstsMaxAgeSeconds }),
    /** Whether results lose graphql-js's "Did you mean …?" (see hideFieldSuggestions). */
    hidesFieldSuggestions: options.fieldSuggestions === false,
    /**
     * Throws or rejects (RATE_LIMITED or FORBIDDEN) before any upstream call; returns nothing,
     * or a promise only when a check is asynchronous, when allowed. In order: the address's share
     * of Circle's quota (first, so an address past it cannot spend another device's limit: the
     * device-lockout mitigation), the device limit, then the userId policy.
     */
    beforeRefresh(caller: RefreshCaller, input: RefreshInput): undefined | Promise<void> {
      const userId = input.user.userId;
      const policy = () => (userId === undefined ? undefined : userIdGuard(caller.request, userId));
      const device = () => {
        const verdict = settle(limiter?.byDevice(input.deviceId, caller.address));
        return verdict ? verdict.then(policy) : policy();
      };
      const budget = settle(limiter?.byUpstreamCall(caller.address));
      return budget ? budget.then(device) : device();
    },
    /** After a refresh failed: Circle refusing the caller's credentials shrinks its budget. */
    afterRefreshFailed(caller: RefreshCaller, error: unknown): void {
      if (limiter && isCallerRefusal(error)) limiter.chargeRefusal(caller.address);
    },
  };
}
