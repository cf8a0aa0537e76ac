import type { IncomingMessage } from 'node:http';
import type { Plugin } from 'graphql-yoga';
import { bodyTooLarge } from '../security/body-limit.js';
import type { MaybeRefusal } from '../security/rate-limit.js';
import { type GatewayRefusal, refusalParts } from '../security/refusal.js';
import { acceptsGraphQLResponse, notAcceptable } from './accept.js';
import type { GraphQLRoute } from './graphql-path.js';
import { drainingRefusal } from './lifecycle-plugins.js';
import { headerOf } from './node-io.js';

/**
 * Every check a request meets before any GraphQL work, in the order they run, each written once.
 * Whoever receives the request runs this one list: the node:http front door for both of its
 * transports (the fast path and Yoga), `useRequestChecks` for a request that reaches Yoga without
 * it (in process, `yoga.fetch`). There is nothing to mirror: the fast path is reached only through
 * the front door, after the list.
 */

/** A request as the checks see it, whichever server received it. */
export interface RequestView {
  readonly method: string;
  /** The URL path, without the query. */
  readonly path: string;
  /** A header by its lower-case name. */
  header(name: string): string | undefined;
  /** The client's address; undefined in process (no socket). */
  readonly address: string | undefined;
}

/** An answer sent instead of going on: status, headers of its own, body. */
export interface CheckAnswer {
  status: number;
  headers: Record<string, string>;
  body: string;
}

export type CheckVerdict = CheckAnswer | undefined | Promise<CheckAnswer | undefined>;

export interface RequestCheck {
  /** Names the check in tests and docs. */
  readonly name: string;
  run(request: RequestView): CheckVerdict;
}

export interface RequestCheckOptions {
  route: GraphQLRoute;
  /** Paths the gateway answers besides GraphQL (health, readiness, metrics). */
  otherRoutes: readonly string[];
  /** Path prefixes the gateway answers (GraphiQL's assets). */
  otherPrefixes: readonly string[];
  isDraining(): boolean;
  /** Paths a draining instance still answers (its probes, its scrapes). */
  answeredWhileDraining: readonly string[];
  /** The per-address limit (undefined: no limit). */
  admit?: (address: string | undefined, forwarded: boolean) => MaybeRefusal;
  /** The largest Content-Length taken. */
  maxBodyBytes: number;
  /** Refuses what a page on another site could send without a preflight (undefined: off). */
  csrf?: (request: {
    method: string;
    header(name: string): string | undefined;
  }) => GatewayRefusal | undefined;
  /** Whether a browser's GET of the endpoint is GraphiQL's page (not a GraphQL request). */
  servesGraphiQL: boolean;
}

const NOT_FOUND: CheckAnswer = { status: 404, headers: {}, body: '' };

const answerOf = (refusal: GatewayRefusal | undefined): CheckAnswer | undefined =>
  refusal ? refusalParts(refusal) : undefined;

/** Yoga renders GraphiQL for a GET that accepts HTML: a page view, not a GraphQL request. */
const isPageView = (request: RequestView) =>
  request.method === 'GET' && (request.header('accept') ?? '').includes('text/html');

/**
 * Refuses a POST whose Accept the gateway cannot answer: Yoga would execute the mutation (and
 * Circle rotate the refresh token) before answering 406. Also the one check a host's Yoga runs
 * (`useRefreshUserToken`), where every request Yoga receives is GraphQL.
 */
export function acceptCheck(isGraphQL: (request: RequestView) => boolean): RequestCheck {
  return {
    name: 'Accept',
    run: (request) =>
      request.method === 'POST' &&
      isGraphQL(request) &&
      !acceptsGraphQLResponse(request.header('accept'))
        ? refusalParts(notAcceptable())
        : undefined,
  };
}

/** The gateway's checks, in the order they run. */
export function createRequestChecks(options: RequestCheckOptions): readonly RequestCheck[] {
  const { route } = options;
  const known = new Set([route.endpoint, ...options.otherRoutes]);
  const answeredWhileDraining = new Set(options.answeredWhileDraining);
  const onEndpoint = (request: RequestView) => route.isGraphQL(request.path);
  const checks: RequestCheck[] = [
    {
      // Yoga answers GraphQL on any path that ends in the endpoint, while every control compares
      // the path to the endpoint: exactly one path answers GraphQL.
      name: 'one GraphQL path',
      run: (request) =>
        known.has(request.path) ||
        options.otherPrefixes.some((prefix) => request.path.startsWith(prefix))
          ? undefined
          : NOT_FOUND,
    },
    {
      name: 'drain',
      run: (request) =>
        options.isDraining() && !answeredWhileDraining.has(request.path)
          ? refusalParts(drainingRefusal())
          : undefined,
    },
  ];
  const { admit } = options;
  if (admit) {
    checks.push({
      // First of the endpoint's checks: a flood costs no other work.
      name: 'address limit',
      run(request) {
        if (!onEndpoint(request)) return undefined;
        const verdict = admit(request.address, request.header('x-forwarded-for') !== undefined);
        return verdict instanceof Promise ? verdict.then(answerOf) : answerOf(verdict);
      },
    });
  }
  checks.push(acceptCheck(onEndpoint), {
    // A body without a Content-Length is counted as Yoga reads it (useStreamedBodyLimit); the
    // fast path serves only bodies with one.
    name: 'body limit',
    run(request) {
      if (!onEndpoint(request)) return undefined;
      const declared = request.header('content-length')?.trim();
      return declared !== undefined &&
        /^\d+$/.test(declared) &&
        Number(declared) > options.maxBodyBytes
        ? refusalParts(bodyTooLarge(options.maxBodyBytes))
        : undefined;
    },
  });
  const { csrf } = options;
  if (csrf) {
    checks.push({
      name: 'CSRF',
      run: (request) =>
        !onEndpoint(request) ||
        request.method === 'OPTIONS' ||
        (options.servesGraphiQL && isPageView(request))
          ? undefined
          : answerOf(csrf(request)),
    });
  }
  return checks;
}

/** Runs the checks in order: the first answer, or undefined when every check lets it through. */
export function runRequestChecks(
  checks: readonly RequestCheck[],
  request: RequestView,
  from = 0,
): CheckVerdict {
  for (let index = from; index < checks.length; index++) {
    const verdict = (checks[index] as RequestCheck).run(request);
    if (verdict instanceof Promise) {
      return verdict.then((answer) => answer ?? runRequestChecks(checks, request, index + 1));
    }
    if (verdict) return verdict;
  }
  return undefined;
}

/** A node:http request as the checks see it. */
export function nodeRequestView(req: IncomingMessage, address: string): RequestView {
  const target = req.url ?? '/';
  const end = target.search(/[?#]/);
  return {
    method: req.method ?? 'GET',
    path: end < 0 ? target : target.slice(0, end),
    header: (name) => headerOf(req, name),
    address,
  };
}

/** A Fetch request as the checks see it. */
export function fetchRequestView(
  request: Request,
  pathname: string,
  address: string | undefined,
): RequestView {
  return {
    method: request.method,
    path: pathname,
    header: (name) => request.headers.get(name) ?? undefined,
    address,
  };
}

/**
 * Runs the checks for a request Yoga receives without the front door (in process, `yoga.fetch`, or
 * a node:http server given Yoga itself); a request the front door checked is not checked again.
 * First of the gateway's plugins.
 */
export function useRequestChecks(
  checks: readonly RequestCheck[],
  options: {
    /** Requests (node:http) the front door has already run the checks for. */
    checkedByFrontDoor?: WeakSet<object>;
    addressOf(serverContext: unknown): string | undefined;
  },
): Plugin {
  return {
    async onRequest({ request, url, serverContext, endResponse, fetchAPI }) {
      const req = (serverContext as { req?: object } | undefined)?.req;
      if (req && options.checkedByFrontDoor?.has(req)) return;
      const view = fetchRequestView(request, url.pathname, options.addressOf(serverContext));
      const answer = await runRequestChecks(checks, view);
      if (answer) {
        endResponse(
          new fetchAPI.Response(answer.body === '' ? null : answer.body, {
            status: answer.status,
            headers: answer.headers,
          }),
        );
      }
    },
  };
}
