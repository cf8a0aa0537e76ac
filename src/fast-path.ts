import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  type DocumentNode,
  type ExecutionResult,
  execute,
  type GraphQLError,
  GraphQLError as GraphQLErrorClass,
  type GraphQLSchema,
} from 'graphql';
import { maskError, processRegularResult } from 'graphql-yoga';
import type { Logger } from './logger.js';
import type { GatewayContext } from './schema/context.js';
import { isRetryableCode } from './schema/errors.js';
import type { RefreshCaller } from './security/gateway-security.js';
import { ADDRESS_GATE_PASSED, type MaybeRefusal } from './security/rate-limit.js';
import { refusalParts } from './security/refusal.js';
import { withoutStackTrace } from './stack-traces.js';

/**
 * The gateway's fast path: a JSON POST of a document Yoga has already accepted is served straight
 * from node:http, without Yoga's Fetch-API objects (Request, Headers, Response, body streams) and
 * its per-request plugin pipeline, which cost more CPU than the whole upstream call.
 *
 * What it serves, and nothing else (everything else goes to Yoga, untouched):
 * - `POST <endpoint>` with `Content-Type: application/json`, a Content-Length within the body
 *   limit, an `Accept` from a short list whose answer is known (preflights and GETs are Yoga's);
 * - a body `{ query, variables?, operationName?, extensions?: {} | null }` whose query text (and
 *   operation name) Yoga has executed before in this process.
 *
 * "Executed before" is the whole validation story: a document reaches Yoga's execute only after
 * every document-level control passed (token limit, trusted documents, parse, validation with the
 * depth/alias/directive/cost/refresh-count rules and the introspection switch), and none of them
 * depends on anything but the document text and the gateway's fixed settings. A first request is
 * served by Yoga with its body already read; when Yoga executes it, the fast path remembers the
 * parsed document (bounded, see `maxDocuments`).
 *
 * The controls that depend on the request run here exactly as in Yoga, through the same
 * functions: the per-address rate limit (before the body is read), the body limit (by
 * Content-Length), the Accept check, the device limit and userId policy (in the context, as in
 * Yoga), error masking, contract codes, field-suggestion hiding, metrics, the security and
 * no-store headers, the CORS headers of an allowed origin and the request id. Status, headers and
 * body match Yoga's (test/integration/fast-path.test.ts compares both paths over a corpus of
 * requests and two fuzzers).
 */
export interface FastPathOptions {
  schema: GraphQLSchema;
  graphqlEndpoint: string;
  /** Yoga's node handler and its fetch, for everything the fast path does not serve. */
  yoga: {
    (req: IncomingMessage, res: ServerResponse): unknown;
    fetch(input: string, init: RequestInit, serverContext: object): Response | Promise<Response>;
  };
  isDraining(): boolean;
  maxBodyBytes: number;
  requestIdFor(header: string | undefined): string;
  nodeAddress(peer: string | undefined, forwardedFor: string | undefined): string | undefined;
  checkAddress(address: string | undefined, forwarded: boolean): MaybeRefusal;
  createContext(requestId: string, caller: RefreshCaller): GatewayContext;
  /** The result steps of Yoga's onResultProcess plugins, in their order. */
  processResult(result: ExecutionResult): ExecutionResult;
  /** CORS headers for a request from `origin` (undefined: not an allowed origin, none). */
  corsHeaders(origin: string): Record<string, string> | undefined;
  /** Headers of every API response (security headers, cache-control), less the request id. */
  responseHeaders: Readonly<Record<string, string>>;
  logger: Logger;
  /**
   * Documents remembered (distinct query text + operation name); past it the least recently used
   * goes. A client sends a handful.
   * @default 256
   */
  maxDocuments?: number;
  /**
   * Longest query text remembered, in characters; longer documents are always served by Yoga.
   * @default 16384
   */
  maxDocumentLength?: number;
}

/** Set on Yoga's server context: Yoga's execute hands the validated document to it. */
export const LEARN_DOCUMENT = Symbol('fast path: learn document');
export type LearnDocument = (document: DocumentNode) => void;

// The Accept values whose answer is known without Yoga's negotiation, lower-cased without
// spaces, and the media type Yoga answers a single result with for each (checked against Yoga
// by the comparison test). Anything else, parameters included, goes to Yoga.
const ACCEPT: ReadonlyMap<string, 'application/json' | 'application/graphql-response+json'> =
  new Map([
    ['', 'application/json'],
    ['*/*', 'application/json'],
    ['application/json', 'application/json'],
    ['application/json,*/*', 'application/json'],
    ['application/json,text/plain,*/*', 'application/json'],
    ['application/graphql-response+json', 'application/graphql-response+json'],
    ['application/graphql-response+json,application/json', 'application/graphql-response+json'],
    [
      'application/graphql-response+json,application/json,multipart/mixed',
      'application/graphql-response+json',
    ],
  ]);

const JSON_CONTENT_TYPES = new Set([
  'application/json',
  'application/json; charset=utf-8',
  'application/json;charset=utf-8',
]);

const PARAM_KEYS = new Set(['query', 'variables', 'operationName', 'extensions']);

interface Params {
  query: string;
  variables: Record<string, unknown> | null | undefined;
  operationName: string | null | undefined;
}

/** The parameters of a body the fast path serves, or undefined (Yoga answers it). */
function paramsOf(body: unknown): Params | undefined {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) return undefined;
  const given = body as Record<string, unknown>;
  for (const key in given) if (!PARAM_KEYS.has(key)) return undefined;
  const { query, variables, operationName, extensions } = given;
  if (typeof query !== 'string') return undefined;
  if (
    variables !== undefined &&
    variables !== null &&
    (typeof variables !== 'object' || Array.isArray(variables))
  ) {
    return undefined;
  }
  if (operationName !== undefined && operationName !== null && typeof operationName !== 'string') {
    return undefined;
  }
  if (extensions !== undefined && extensions !== null) {
    // Extensions can name a persisted document: only an empty object means nothing.
    if (typeof extensions !== 'object' || Array.isArray(extensions)) return undefined;
    for (const _ in extensions) return undefined;
  }
  return {
    query,
    variables: variables as Params['variables'],
    operationName: operationName as Params['operationName'],
  };
}

const keyOf = (params: Params) =>
  params.operationName == null ? params.query : `${params.operationName}\n${params.query}`;

/** As Yoga's executor marks an error that prevented execution: HTTP 400. */
function asBadRequest(error: GraphQLError): GraphQLError {
  const http = error.extensions.http as Record<string, unknown> | undefined;
  return new GraphQLErrorClass(error.message, {
    nodes: error.nodes,
    source: error.source,
    positions: error.positions,
    path: error.path,
    originalError: error.originalError,
    extensions: { ...error.extensions, http: { ...http, status: 400 } },
  });
}

/** What processRegularResult builds, caught instead of a Fetch Response. */
class CapturedResponse {
  constructor(
    readonly body: string,
    readonly init: { status: number; headers: Record<string, string> },
  ) {}
}
const CAPTURE = { Response: CapturedResponse } as unknown as Parameters<
  typeof processRegularResult
>[1];

/**
 * The Yoga plugin that hands the documents Yoga executes to the fast path that passed the request
 * on (it puts the learner on the server context; other requests carry none).
 */
export const useFastPathLearning = () => ({
  onExecute({ args }: { args: { contextValue: unknown; document: DocumentNode } }) {
    const learn = (args.contextValue as Record<symbol, unknown> | undefined)?.[LEARN_DOCUMENT];
    if (typeof learn === 'function') (learn as LearnDocument)(args.document);
  },
});

/** A node:http request as Fetch's RequestInit, with its body already read: headers as sent. */
function fetchInit(req: IncomingMessage, body: Buffer): RequestInit {
  const headers: Array<[string, string]> = [];
  const raw = req.rawHeaders;
  for (let i = 0; i < raw.length; i += 2) headers.push([raw[i]!, raw[i + 1]!]);
  return { method: 'POST', headers, body: new Uint8Array(body) };
}

/** A request header as one string (node:http joins repeated ones with ", " already). */
const headerOf = (req: IncomingMessage, name: string): string | undefined => {
  const value = req.headers[name];
  return Array.isArray(value) ? value.join(', ') : value;
};

/** The request body, or undefined when the client went away before sending all of it. */
function readBody(req: IncomingMessage): Promise<Buffer | undefined> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      chunks.push(chunk);
      size += chunk.length;
    });
    req.once('end', () => resolve(chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, size)));
    req.once('error', () => resolve(undefined));
    req.once('close', () => {
      if (!req.complete) resolve(undefined);
    });
  });
}

export function createFastPath(options: FastPathOptions) {
  const maxDocuments = options.maxDocuments ?? 256;
  const maxDocumentLength = options.maxDocumentLength ?? 16_384;
  const documents = new Map<string, DocumentNode>();
  let served = 0;
  const { schema, graphqlEndpoint, yoga, logger } = options;

  const remember = (key: string, document: DocumentNode) => {
    documents.delete(key);
    documents.set(key, document);
    if (documents.size > maxDocuments) {
      documents.delete(documents.keys().next().value as string);
    }
  };

  /** The answer's media type when the fast path may serve this request, else undefined. */
  const servable = (req: IncomingMessage): string | undefined => {
    if (req.method !== 'POST' || req.url !== graphqlEndpoint) return undefined;
    const headers = req.headers;
    if (headers['transfer-encoding'] !== undefined) return undefined;
    const type = headers['content-type'];
    if (type === undefined || !JSON_CONTENT_TYPES.has(type.toLowerCase())) return undefined;
    const length = headers['content-length'];
    if (length === undefined || !/^\d{1,9}$/.test(length)) return undefined;
    const bytes = Number(length);
    if (bytes === 0 || bytes > options.maxBodyBytes) return undefined;
    if (options.isDraining()) return undefined;
    const accept = headers.accept;
    return ACCEPT.get(accept === undefined ? '' : accept.replace(/\s/g, '').toLowerCase());
  };

  // writeHead's flat [name, value, …] form: no header object to build and copy per response.
  const fixedHeaders = Object.entries(options.responseHeaders).flat();
  const send = (
    res: ServerResponse,
    status: number,
    headers: Record<string, string>,
    body: string,
    requestId: string,
  ) => {
    const flat: string[] = [];
    for (const name in headers) flat.push(name, headers[name]!);
    flat.push('content-length', String(Buffer.byteLength(body)), ...fixedHeaders);
    flat.push('x-request-id', requestId);
    const origin = res.req.headers.origin;
    if (origin !== undefined) {
      const cors = options.corsHeaders(origin);
      for (const name in cors) flat.push(name, cors[name]!);
    }
    res.writeHead(status, flat);
    res.end(body);
  };

  /** Yoga answers, with the body already read. */
  const delegate = async (
    req: IncomingMessage,
    res: ServerResponse,
    body: Buffer,
    learnAs: string | undefined,
  ) => {
    const serverContext: Record<string | symbol, unknown> = {
      req,
      res,
      [ADDRESS_GATE_PASSED]: true,
    };
    if (learnAs !== undefined && learnAs.length <= maxDocumentLength) {
      serverContext[LEARN_DOCUMENT] = ((document) => remember(learnAs, document)) as LearnDocument;
    }
    const response = await yoga.fetch(
      `http://localhost${req.url}`,
      fetchInit(req, body),
      serverContext,
    );
    const answer = Buffer.from(await response.arrayBuffer());
    const out: Record<string, string> = {};
    response.headers.forEach((value, name) => {
      out[name] = value;
    });
    out['content-length'] = String(answer.length);
    res.writeHead(response.status, out);
    res.end(answer);
  };

  const serve = async (req: IncomingMessage, res: ServerResponse, mediaType: string) => {
    const forwardedFor = headerOf(req, 'x-forwarded-for');
    const address = options.nodeAddress(req.socket.remoteAddress, forwardedFor);
    const verdict = options.checkAddress(address, forwardedFor !== undefined);
    const refusal = verdict instanceof Promise ? await verdict : verdict;
    if (refusal) {
      const parts = refusalParts(refusal);
      send(
        res,
        parts.status,
        parts.headers,
        parts.body,
        options.requestIdFor(headerOf(req, 'x-request-id')),
      );
      return;
    }
    const body = await readBody(req);
    if (body === undefined) return;
    let params: Params | undefined;
    try {
      params = paramsOf(JSON.parse(body.toString('utf8')));
    } catch {
      params = undefined;
    }
    const key = params ? keyOf(params) : undefined;
    const document = key === undefined ? undefined : documents.get(key);
    if (!params || !document) {
      await delegate(req, res, body, key);
      return;
    }

    const requestId = options.requestIdFor(headerOf(req, 'x-request-id'));
    let request: Request | undefined;
    const context = options.createContext(requestId, {
      address,
      // Only an authorizeUserId hook asks for it.
      request: () => {
        request ??= new Request(`http://localhost${req.url}`, fetchInit(req, body));
        return request;
      },
    });
    let result = (await execute({
      schema,
      document,
      variableValues: params.variables ?? undefined,
      operationName: params.operationName ?? undefined,
      contextValue: context,
    })) as ExecutionResult;
    if (result.errors && !('data' in result)) {
      // No execution at all (variables, operation name): Yoga's executor answers these 400.
      result = { errors: result.errors.map(asBadRequest) };
    }
    if (result.errors) {
      // As Yoga's maskedErrors: anything not raised as a GraphQLError is "Unexpected error.".
      result = {
        ...result,
        errors: result.errors.map(
          (error) => maskError(error, 'Unexpected error.', false) as GraphQLError,
        ),
      };
    }
    served += 1;
    result = options.processResult(result);
    // Yoga's serializer copies every error once more: copies that are never thrown need no stack.
    const answer = withoutStackTrace(
      () => processRegularResult(result, CAPTURE, mediaType) as unknown as CapturedResponse,
    );
    send(res, answer.init.status, answer.init.headers, answer.body, requestId);
  };

  return {
    /** Serves a node:http request: on the fast path when it qualifies, else through Yoga. */
    handle(req: IncomingMessage, res: ServerResponse): void {
      const mediaType = servable(req);
      if (mediaType === undefined) {
        void yoga(req, res);
        return;
      }
      serve(req, res, mediaType).catch((error: unknown) => {
        logger.error('unexpected error', {
          errorName: error instanceof Error ? error.name : typeof error,
        });
        if (!res.headersSent) {
          send(
            res,
            500,
            { 'content-type': 'application/json; charset=utf-8' },
            JSON.stringify({
              errors: [
                {
                  message: 'Unexpected error.',
                  extensions: {
                    code: 'INTERNAL_SERVER_ERROR',
                    retryable: isRetryableCode('INTERNAL_SERVER_ERROR'),
                  },
                },
              ],
            }),
            options.requestIdFor(headerOf(req, 'x-request-id')),
          );
        } else {
          res.destroy();
        }
      });
    },
    /** Documents remembered now, and requests served without Yoga so far. */
    stats: () => ({ documents: documents.size, served }),
  };
}

export type FastPath = ReturnType<typeof createFastPath>;
