import { renderGraphiQL } from '@graphql-yoga/render-graphiql';
import { type ExecutionResult, GraphQLError } from 'graphql';
import { createYoga, maskError, type Plugin, type YogaServerInstance } from 'graphql-yoga';
import { validate as isUuid, v4 as uuidv4 } from 'uuid';
import type { CircleClient } from './circle/client.js';
import { UserTokenCache } from './circle/user-token-cache.js';
import { createUserTokenService, type RefreshInput } from './circle/user-token-service.js';
import { createLogger, type Logger } from './logger.js';
import type { GatewayContext } from './schema/context.js';
import type { GatewayErrorCode } from './schema/errors.js';
import { schema } from './schema/index.js';
import { VERSION } from './version.js';

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
  userTokenCache?: UserTokenCache;
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
  now?: () => number;
}

export interface Gateway {
  yoga: YogaServerInstance<Record<string, unknown>, GatewayContext>;
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
  const mutationDeadlineMs = options.mutationDeadlineMs ?? 10_000;
  if (!Number.isFinite(mutationDeadlineMs) || mutationDeadlineMs <= 0) {
    throw new RangeError('mutationDeadlineMs must be a positive number');
  }
  const graphqlEndpoint = options.graphqlEndpoint ?? '/graphql';
  const userTokens = createUserTokenService({
    client: options.client,
    cache: options.userTokenCache ?? new UserTokenCache({ now }),
    now,
    onCoalesced: options.onCoalesced,
  });
  const gatewayInfo = { version: VERSION, simulated: options.simulated ?? false };
  let draining = false;

  // One id per HTTP request: the caller's X-Request-Id when it is a UUID, else a new one.
  const requestIds = new WeakMap<Request, string>();
  const requestIdOf = (request: Request): string => {
    let id = requestIds.get(request);
    if (!id) {
      const given = request.headers.get('x-request-id');
      id = given && isUuid(given) ? given : uuidv4();
      requestIds.set(request, id);
    }
    return id;
  };

  const graphiql = options.graphiql ?? {};
  const yoga = createYoga<Record<string, unknown>, GatewayContext>({
    schema,
    graphqlEndpoint,
    landingPage: false,
    batching: false,
    logging: yogaLogger(logger),
    maskedErrors: {
      // Never attach the original error, whatever NODE_ENV says: it may hold a token.
      maskError: (error, message) => maskError(error, message, false),
    },
    renderGraphiQL,
    graphiql:
      graphiql === false
        ? false
        : {
            title: 'Circle wallets gateway',
            defaultTabs: [
              {
                query: EXAMPLE_MUTATION,
                variables: JSON.stringify(
                  graphiql.exampleVariables ?? PLACEHOLDER_VARIABLES,
                  null,
                  2,
                ),
              },
            ],
          },
    context: ({ request }): GatewayContext => {
      const requestId = requestIdOf(request);
      const log = logger.child({ requestId });
      let scope: ReturnType<typeof userTokens.forRequest> | undefined;
      return {
        requestId,
        gatewayInfo,
        log,
        async refreshUserToken(input: RefreshInput) {
          scope ??= userTokens.forRequest({
            deadline: now() + mutationDeadlineMs,
            requestId,
            signal: request.signal,
          });
          const started = performance.now();
          const path = input.user.userId !== undefined ? 'userId' : 'userToken';
          try {
            const outcome = await scope.refresh(input);
            log.info('refreshUserToken', {
              path,
              outcome: 'ok',
              coalesced: outcome.coalesced,
              upstreamRequestId: outcome.requestId,
              durationMs: Math.round(performance.now() - started),
            });
            return outcome;
          } catch (error) {
            log.warn('refreshUserToken', {
              path,
              outcome: (error as { code?: string }).code ?? 'UNEXPECTED',
              durationMs: Math.round(performance.now() - started),
            });
            throw error;
          }
        },
      };
    },
    plugins: [
      useDrain(() => draining),
      useReadiness(
        () => draining,
        () => options.client.status(),
      ),
      useResponseHeaders(requestIdOf),
      useErrorCodes(),
    ],
  });

  return {
    yoga,
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
    error: (...args: unknown[]) => logger.error('unexpected error', describe(args)),
  };
}

function useDrain(isDraining: () => boolean): Plugin {
  return {
    onRequest({ url, endResponse, fetchAPI }) {
      if (!isDraining() || url.pathname === '/health' || url.pathname === '/ready') return;
      const body = {
        errors: [
          {
            message: 'The gateway is shutting down. Retry on another instance.',
            extensions: { code: 'UPSTREAM_UNAVAILABLE', retryable: true },
          },
        ],
      };
      endResponse(
        new fetchAPI.Response(JSON.stringify(body), {
          status: 503,
          headers: { 'content-type': 'application/json', connection: 'close', 'retry-after': '1' },
        }),
      );
    },
  };
}

function useReadiness(
  isDraining: () => boolean,
  upstream: () => { circuit: string; inFlight: number; queued: number },
): Plugin {
  return {
    onRequest({ url, endResponse, fetchAPI }) {
      if (url.pathname !== '/ready') return;
      const draining = isDraining();
      // An open circuit does not make the instance unready: every instance shares the same
      // Circle, so taking them all out of rotation would only turn fast errors into none.
      endResponse(
        new fetchAPI.Response(
          JSON.stringify({ status: draining ? 'draining' : 'ready', upstream: upstream() }),
          {
            status: draining ? 503 : 200,
            headers: { 'content-type': 'application/json', 'cache-control': 'no-store' },
          },
        ),
      );
    },
  };
}

function useResponseHeaders(requestIdOf: (request: Request) => string): Plugin {
  return {
    onResponse({ request, response }) {
      const type = response.headers.get('content-type') ?? '';
      if (type.startsWith('text/html')) return;
      // Results may carry user tokens: no cache anywhere may keep them.
      response.headers.set('cache-control', 'no-store');
      response.headers.set('x-request-id', requestIdOf(request));
    },
  };
}

/** The contract's codes; anything else a client would see is remapped. */
const CONTRACT_CODES: ReadonlySet<string> = new Set<GatewayErrorCode>([
  'BAD_USER_INPUT',
  'USER_TOKEN_EXPIRED',
  'USER_TOKEN_INVALID',
  'USER_NOT_FOUND',
  'USER_DISABLED',
  'DEVICE_INVALID',
  'REFRESH_REJECTED',
  'RATE_LIMITED',
  'UPSTREAM_AUTH_FAILED',
  'UPSTREAM_TIMEOUT',
  'UPSTREAM_UNAVAILABLE',
  'INTERNAL_SERVER_ERROR',
]);

/**
 * Every error a client sees carries a code from the contract. Errors that graphql-js or Yoga raise
 * before execution (syntax, validation, variable coercion, a broken @oneOf, a malformed request)
 * are about the caller's input: BAD_USER_INPUT, with Yoga's own code kept as `reason`.
 */
function useErrorCodes(): Plugin {
  const needsCode = (error: GraphQLError) => {
    const code = error.extensions?.code;
    return typeof code !== 'string' || !CONTRACT_CODES.has(code);
  };
  const withCode = (result: ExecutionResult): ExecutionResult => {
    if (!result.errors?.some(needsCode)) return result;
    return {
      ...result,
      errors: result.errors.map((error) => {
        if (!needsCode(error)) return error;
        const { code, ...rest } = error.extensions ?? {};
        return new GraphQLError(error.message, {
          nodes: error.nodes,
          source: error.source,
          positions: error.positions,
          path: error.path,
          originalError: error.originalError,
          extensions: {
            ...rest,
            code: 'BAD_USER_INPUT',
            retryable: false,
            ...(typeof code === 'string' ? { reason: code } : {}),
          },
        });
      }),
    };
  };
  return {
    onResultProcess({ result, setResult }) {
      if (Array.isArray(result)) setResult(result.map(withCode));
      else if (result && typeof result === 'object' && 'errors' in result) {
        setResult(withCode(result as ExecutionResult));
      }
    },
  };
}
