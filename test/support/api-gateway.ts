/**
 * A gateway wired to a Circle client on undici's MockAgent: no sockets, every upstream request
 * recorded as Circle would receive it.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type Dispatcher, type Interceptable, MockAgent, type MockPool } from 'undici';
import { afterEach } from 'vitest';
import {
  type CircleClient,
  type CircleClientOptions,
  createCircleClient,
} from '../../src/circle/client.js';
import { createGateway, type Gateway, type GatewayOptions } from '../../src/http/gateway.js';
import { createLogger } from '../../src/observability/logger.js';
import { capturePeerAddresses } from '../../src/security/peer-address.js';
import { postJson } from './requests.js';

export const API_KEY = 'TEST_API_KEY:gw-test-key-id:gw-test-key-secret';
export const BASE_URL = 'https://api.circle.com';
export const REFRESH_PATH = '/v1/w3s/users/token/refresh';
export const MINT_PATH = '/v1/w3s/users/token';

/** One request as Circle received it. */
export interface UpstreamRequest {
  method: string;
  path: string;
  headers: Record<string, string>;
  body: Record<string, unknown>;
  rawBody: string;
}

/** What the mock Circle answers. */
export interface UpstreamAnswer {
  status?: number;
  /** An object is sent as JSON; a string as is. */
  body?: unknown;
  headers?: Record<string, string>;
}

const lowerCaseHeaders = (headers: unknown): Record<string, string> => {
  const result: Record<string, string> = {};
  if (Array.isArray(headers)) {
    for (let i = 0; i < headers.length; i += 2) {
      result[String(headers[i]).toLowerCase()] = String(headers[i + 1]);
    }
  } else if (headers && typeof headers === 'object') {
    for (const [name, value] of Object.entries(headers as Record<string, unknown>)) {
      result[name.toLowerCase()] = String(value);
    }
  }
  return result;
};

/** Parses a request body as JSON, or `{}`. */
const jsonBody = (raw: string): Record<string, unknown> => {
  try {
    return JSON.parse(raw) as Record<string, unknown>;
  } catch {
    return {};
  }
};

/**
 * Wraps `agent` so that every request the client dispatches is recorded, whatever the mock
 * answers (a reply, an error, or no matching interceptor at all).
 */
export function recordingDispatcher(agent: MockAgent, requests: UpstreamRequest[]): Dispatcher {
  return agent.compose((dispatch) => (opts, handler) => {
    const rawBody = typeof opts.body === 'string' ? opts.body : '';
    requests.push({
      method: opts.method,
      path: opts.path,
      headers: lowerCaseHeaders(opts.headers),
      body: jsonBody(rawBody),
      rawBody,
    });
    return dispatch(opts, handler);
  });
}

/** Answers requests to `path` on `pool` with `answer`. */
export function interceptUpstream(
  pool: Interceptable,
  path: string,
  answer: UpstreamAnswer | ((request: UpstreamRequest) => UpstreamAnswer),
  options: { times?: number; delayMs?: number; persist?: boolean } = {},
): void {
  const scope = pool.intercept({ path, method: 'POST' }).reply((opts) => {
    const rawBody = typeof opts.body === 'string' ? opts.body : '';
    const reply =
      typeof answer === 'function'
        ? answer({
            method: opts.method,
            path: opts.path,
            headers: lowerCaseHeaders(opts.headers),
            body: jsonBody(rawBody),
            rawBody,
          })
        : answer;
    const data =
      typeof reply.body === 'string' ? reply.body : JSON.stringify(reply.body ?? { data: {} });
    return {
      statusCode: reply.status ?? 200,
      data,
      responseOptions: {
        headers: { 'content-type': 'application/json', ...(reply.headers ?? {}) },
      },
    };
  });
  if (options.delayMs !== undefined) scope.delay(options.delayMs);
  if (options.persist) scope.persist();
  else if (options.times !== undefined) scope.times(options.times);
}

export interface ApiGatewayOptions {
  client?: Partial<CircleClientOptions>;
  gateway?: Partial<GatewayOptions>;
}

export interface ApiGateway {
  gateway: Gateway;
  agent: MockAgent;
  /** The mock pool for https://api.circle.com. */
  upstream: MockPool;
  /** Every upstream request, in order. */
  requests: UpstreamRequest[];
  /** The logger's lines, raw. */
  logs: string[];
  /** Answers the next refresh (or `times` refreshes) with `answer`. */
  onRefresh(
    answer: UpstreamAnswer | ((request: UpstreamRequest) => UpstreamAnswer),
    options?: { times?: number; delayMs?: number; persist?: boolean },
  ): void;
  /** Answers the next mint (or `times` mints) with `answer`. */
  onMint(
    answer: UpstreamAnswer | ((request: UpstreamRequest) => UpstreamAnswer),
    options?: { times?: number; delayMs?: number; persist?: boolean },
  ): void;
  /** POST /graphql with a JSON body (an object is stringified, a string is sent as is). */
  post(body: unknown, headers?: Record<string, string>): Promise<Response>;
  /** POST /graphql and read the JSON result. */
  graphql<T = Record<string, unknown>>(
    query: string,
    variables?: Record<string, unknown>,
    headers?: Record<string, string>,
  ): Promise<{ status: number; headers: Headers; body: GraphQLBody<T>; text: string }>;
}

export interface GraphQLErrorBody {
  message: string;
  path?: string[];
  extensions?: Record<string, unknown> & { code?: string };
}

export interface GraphQLBody<T> {
  data?: T | null;
  errors?: GraphQLErrorBody[];
}

const agents: MockAgent[] = [];
afterEach(async () => {
  await Promise.all(agents.splice(0).map((agent) => agent.close()));
});

/** Builds a gateway whose Circle client talks to a MockAgent. Closed after each test. */
export function createApiGateway(options: ApiGatewayOptions = {}): ApiGateway {
  const agent = new MockAgent();
  agent.disableNetConnect();
  agents.push(agent);
  const upstream = agent.get<MockPool>(BASE_URL);
  const requests: UpstreamRequest[] = [];
  const logs: string[] = [];
  const logger = createLogger({ level: 'debug', write: (line) => logs.push(line) });
  const client = createCircleClient({
    apiKey: API_KEY,
    baseUrl: BASE_URL,
    dispatcher: recordingDispatcher(agent, requests),
    retry: { baseDelayMs: 1, maxDelayMs: 5 },
    ...options.client,
  });
  const gateway = createGateway({ client, logger, ...options.gateway });
  const post = (body: unknown, headers: Record<string, string> = {}) =>
    postJson('http://localhost/graphql', body, headers, { fetch: gateway.yoga.fetch });
  return {
    gateway,
    agent,
    upstream,
    requests,
    logs,
    onRefresh: (answer, opts) => interceptUpstream(upstream, REFRESH_PATH, answer, opts),
    onMint: (answer, opts) => interceptUpstream(upstream, MINT_PATH, answer, opts),
    post,
    async graphql<T>(
      query: string,
      variables?: Record<string, unknown>,
      headers?: Record<string, string>,
    ) {
      const response = await post(variables ? { query, variables } : { query }, headers);
      const text = await response.text();
      return {
        status: response.status,
        headers: response.headers,
        body: JSON.parse(text) as GraphQLBody<T>,
        text,
      };
    },
  };
}

/**
 * A gateway whose Circle client throws `error` (a bug in the gateway, not an answer from Circle),
 * and the lines its logger wrote.
 */
export function createBrokenGateway(error: Error): { gateway: Gateway; lines: string[] } {
  const lines: string[] = [];
  const broken: CircleClient = {
    refreshUserToken: () => {
      throw error;
    },
    createUserToken: () => Promise.reject(error),
    status: () => ({ circuit: 'closed', inFlight: 0, queued: 0 }),
    close: async () => {},
  };
  const gateway = createGateway({
    client: broken,
    logger: createLogger({ level: 'debug', write: (line) => lines.push(line) }),
  });
  return { gateway, lines };
}

const servers: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (servers.length > 0) await servers.pop()!();
});

/**
 * The same gateway behind a real loopback node:http server (`handleNodeRequest`, the front door
 * and the fast path), with peer addresses captured as `npm start` does. Closed after each test.
 */
export async function listenApiGateway(
  options: Partial<GatewayOptions>,
): Promise<ApiGateway & { url: string }> {
  const api = createApiGateway({ gateway: options });
  const server = createServer(api.gateway.handleNodeRequest);
  capturePeerAddresses(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  servers.push(
    () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  );
  return { ...api, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}
