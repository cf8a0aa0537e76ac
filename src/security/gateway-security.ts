import { getOperationAST, Kind } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import type { Logger } from '../observability/logger.js';
import type { RefreshCaller } from '../refresh/refresh-context.js';
import type { ChargeBuckets, RefreshInput } from '../refresh/user-token-service.js';
import { isCallerRefusal } from '../schema/errors.js';
import { DEFAULT_MAX_BODY_BYTES, useStreamedBodyLimit } from './body-limit.js';
import { createAddressMatcher, createNodeAddressResolver } from './client-address.js';
import { createCorsOptions } from './cors.js';
import { createCsrfCheck } from './csrf-prevention.js';
import { createDocumentLimits, type DocumentLimitsOptions } from './document-limits.js';
import { useNoIntrospection } from './introspection.js';
import type { ParamStep } from './param-steps.js';
import {
  createAddressGate,
  createMemoryRateLimitStore,
  createRateLimiter,
  defaultRateLimitExempt,
  type MaybeRefusal,
  type RateLimitStore,
  type TokenBucketLimit,
  type UpstreamBudget,
} from './rate-limit.js';
import type { GatewayRefusal } from './refusal.js';
import { apiSecurityHeaders, createGraphiQLCsp } from './security-headers.js';
import { createTrustedDocumentsStep, type TrustedDocumentsOptions } from './trusted-documents.js';
import {
  type AuthorizeUserId,
  createUserIdGuard,
  type UserIdPath,
} from './user-id-authorization.js';

export interface RateLimitOptions {
  /**
   * Requests to the GraphQL endpoint per client address, refused before the body is read. With a
   * shared `store` that check uses this process's own bucket, and the shared one is charged once
   * the operation runs (a refresh, in its one call before Circle): docs/fleet.md.
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
  authorizeUserId?: AuthorizeUserId;
  logger?: Logger;
  now?: () => number;
}

/**
 * Builds every control from one options object, as plain functions and data the HTTP layer puts
 * in its one list of request checks (address limit, body limit, CSRF), its parameter and result
 * steps, its response headers and Yoga's `cors` option; the execution-level plugins (document
 * limits, introspection), which run on both transports; and the check that runs before any
 * upstream call of a refresh (the address's Circle budget, the device limit, the userId policy).
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
  const sharedStore = options.rateLimits !== false && options.rateLimits?.store?.shared === true;
  const addressGate = limiter
    ? createAddressGate({
        limiter,
        trustsProxy: (options.trustProxy ?? []).length > 0,
        logger: deps.logger,
      })
    : undefined;
  const maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  const documentLimits = createDocumentLimits(options.limits);
  // The request-parameter checks, in order: both transports run this one list.
  const paramSteps: ParamStep[] = [
    documentLimits.tokenStep,
    ...(options.trustedDocuments ? [createTrustedDocumentsStep(options.trustedDocuments)] : []),
  ];

  const executionPlugins: Plugin[] = [
    documentLimits.plugin,
    ...(options.introspection === false ? [useNoIntrospection()] : []),
    ...(limiter && sharedStore ? [useSharedAddressLimit(limiter, addressOf)] : []),
  ];

  return {
    /** Envelop plugins (validation rules): they run whichever transport serves a request. */
    executionPlugins,
    /** Counts a body without a Content-Length as Yoga reads it (the checks refuse a long one). */
    streamedBodyLimit: useStreamedBodyLimit({ maxBytes: maxBodyBytes }),
    /** The CSRF check (undefined: turned off). */
    csrf: options.csrfPrevention === false ? undefined : createCsrfCheck(),
    /** The checks over the request's parameters, in order (token count, trusted documents). */
    paramSteps,
    /** Whether `documentId` names a document (trusted-documents mode). */
    acceptsDocumentId: options.trustedDocuments !== undefined,
    /** The trusted manifest, when there is one. */
    manifest: options.trustedDocuments?.manifest,
    cors: createCorsOptions({ origins: options.corsOrigins }),
    renderGraphiQL: graphiqlCsp.wrap,
    /** The GraphiQL page's CSP, with the hashes of the pages rendered so far. */
    graphiqlCsp: graphiqlCsp.header,
    /** The client address of a request from its server context (undefined in process). */
    addressOf,
    /** The client address of a node:http request: its peer captured at connection, or its hop. */
    nodeAddress,
    /** The per-address limit (undefined: no limit; else the check, run once per request). */
    admit: addressGate,
    /** The body limit in bytes (413 beyond it). */
    maxBodyBytes,
    /** Headers every non-HTML response carries. */
    apiHeaders: apiSecurityHeaders({ hstsMaxAgeSeconds: options.hstsMaxAgeSeconds }),
    /** Whether results lose graphql-js's "Did you mean …?" (see hideFieldSuggestions). */
    hidesFieldSuggestions: options.fieldSuggestions === false,
    /**
     * Throws or rejects (RATE_LIMITED or FORBIDDEN) before any upstream call; returns nothing,
     * or a promise only when a check is asynchronous, when allowed. In order: the rate-limit
     * buckets, all or none (with a shared store, the fleet's address bucket first; then the
     * address's share of Circle's quota, so an address past it cannot spend another device's
     * limit: the device-lockout mitigation; then the device limit, whose refusal spends no
     * budget), then the userId policy. `charge` takes the buckets in the refresh's one call to
     * the shared store.
     */
    beforeRefresh(
      caller: RefreshCaller,
      input: RefreshInput,
      charge?: ChargeBuckets,
    ): undefined | Promise<void> {
      const userId = input.user.userId;
      const policy = () => (userId === undefined ? undefined : userIdGuard(caller.request, userId));
      const buckets = settle(limiter?.beforeRefresh(input.deviceId, caller.address, charge));
      return buckets ? buckets.then(policy) : policy();
    },
    /** After a refresh failed: Circle refusing the caller's credentials shrinks its budget. */
    afterRefreshFailed(caller: RefreshCaller, error: unknown): void {
      if (limiter && isCallerRefusal(error)) limiter.chargeRefusal(caller.address);
    },
  };
}

export type GatewaySecurity = ReturnType<typeof createGatewaySecurity>;

/**
 * With a shared store the front door charges only this process's address bucket; an operation
 * that is not a refresh (which charges the fleet's in its own call) is charged the fleet's here,
 * once it is known to run: a request refused before (malformed, too deep) costs no round trip.
 */
function useSharedAddressLimit(
  limiter: NonNullable<ReturnType<typeof createRateLimiter>>,
  addressOf: (serverContext: unknown) => string | undefined,
): Plugin {
  return {
    onExecute({ args, setResultAndStopExecution }) {
      const refreshes = getOperationAST(
        args.document,
        args.operationName,
      )?.selectionSet.selections.some(
        (selection) => selection.kind === Kind.FIELD && selection.name.value === 'refreshUserToken',
      );
      if (refreshes) return;
      const verdict = limiter.byAddressShared(addressOf(args.contextValue));
      if (!verdict) return;
      const stop = (refusal: GatewayRefusal | undefined) => {
        if (refusal) setResultAndStopExecution({ errors: [refusal] });
      };
      return verdict instanceof Promise ? verdict.then(stop) : stop(verdict);
    },
  };
}
