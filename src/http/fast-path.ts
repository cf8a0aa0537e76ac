import type { IncomingMessage, ServerResponse } from 'node:http';
import { type ExecutionResult, type GraphQLError, getOperationAST } from 'graphql';
import { isAsyncIterable, processRegularResult, type YogaServerInstance } from 'graphql-yoga';
import { withoutStackTrace } from '../errors/stack-traces.js';
import { maskAndLog } from '../errors/unexpected.js';
import type { Logger } from '../observability/logger.js';
import type { GatewayContext } from '../schema/context.js';
import type { GraphQLParams } from '../security/param-steps.js';
import type { GraphQLRoute } from './graphql-path.js';
import {
  fetchInit,
  headerOf,
  lazyRequest,
  nodeHeaderSource,
  readBody,
  writeAnswer,
} from './node-io.js';
import type { ResponseHeaders } from './response-headers.js';

/**
 * The fast path: a second transport for Yoga's one GraphQL pipeline, as
 * `@graphql-yoga/plugin-graphql-sse` is another. A JSON POST to the endpoint is read straight from
 * node:http, without Yoga's Fetch-API layer (Request parsing, body streams, Response, and the
 * per-request HTTP hooks), and its GraphQL work goes through Yoga's envelop:
 * `yoga.getEnveloped(context)` parses and validates (Yoga's bounded cache, every onParse and
 * onValidate plugin: document limits, introspection switch), builds the context with Yoga's
 * `context` option and every onContextBuilding plugin, and executes with every onExecute plugin and
 * Yoga's masking. So an execution-level plugin runs whichever path serves a request.
 *
 * It is reached only through the front door (src/http/front-door.ts), after the request checks
 * (src/http/request-checks.ts) have run. What it does not run is Yoga's HTTP-level hooks: the
 * gateway's parameter and result steps are lists both transports run (src/http/pipeline-steps.ts),
 * its response headers come from the one header function, and a plugin given to the gateway that
 * hooks Yoga's HTTP layer turns the fast path off (src/http/host-plugins.ts).
 *
 * What it serves (everything else goes to Yoga, untouched or with the body already read):
 * `POST <endpoint>` with the Content-Type Yoga's JSON parser takes, a Content-Length, an Accept
 * Yoga answers with a JSON type, and a body
 * `{ query | documentId, variables?, operationName?, extensions?: {} | null }`.
 */
export interface FastPathOptions {
  yoga: YogaServerInstance<Record<string, unknown>, GatewayContext>;
  /** The one GraphQL path: the fast path serves nothing else. */
  route: GraphQLRoute;
  /**
   * The parameter steps (token count, trusted documents), the list Yoga's onParams runs: the
   * parameters to run, or a thrown refusal. Undefined: none.
   */
  resolveParams?: (params: GraphQLParams) => GraphQLParams;
  /** Whether `documentId` is a parameter the gateway takes (trusted-documents mode). */
  acceptsDocumentId: boolean;
  /** The result steps, in order: the same list Yoga's onResultProcess runs. */
  processResult(result: ExecutionResult): ExecutionResult;
  /** The one source of response headers. */
  responseHeaders: ResponseHeaders;
  requestIdFor(header: string | undefined): string;
  /** The media type Yoga answers a single result with for this Accept (undefined: 406). */
  negotiate(accept: string | undefined): string | undefined;
  logger: Logger;
}

/** On the fast path's initial context: the request id, already decided from the node request. */
export const REQUEST_ID = Symbol('request id');

const PARAM_KEYS = new Set(['query', 'variables', 'operationName', 'extensions', 'documentId']);

/** The parameters of a body the fast path serves, or undefined (Yoga answers it). */
function paramsOf(body: unknown, acceptsDocumentId: boolean): GraphQLParams | undefined {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) return undefined;
  const given = body as Record<string, unknown>;
  for (const key in given) if (!PARAM_KEYS.has(key)) return undefined;
  const { query, variables, operationName, extensions, documentId } = given;
  if (documentId !== undefined) {
    if (!acceptsDocumentId || typeof documentId !== 'string' || query !== undefined) {
      return undefined;
    }
  } else if (typeof query !== 'string') {
    return undefined;
  }
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
  return given as GraphQLParams;
}

/**
 * Whether Yoga's JSON request parser takes this Content-Type: the first of a list, exactly
 * `application/json` or `application/graphql+json`, or either followed by parameters. Case
 * matters, as in Yoga: `Application/JSON` is 415 on both paths.
 */
export function isJsonContentType(value: string | undefined): boolean {
  const type = value?.split(',')[0];
  if (!type) return false;
  for (const expected of ['application/json', 'application/graphql+json']) {
    if (type === expected || type.startsWith(`${expected};`)) return true;
  }
  return false;
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

export function createFastPath(options: FastPathOptions) {
  let served = 0;
  const { yoga, logger } = options;

  /** As Yoga's handleError with the gateway's masking: what a thrown error becomes. */
  const handleError = (error: unknown): GraphQLError[] =>
    error instanceof AggregateError
      ? error.errors.flatMap(handleError)
      : [maskAndLog(logger, error)];

  /** The answer's media type when the fast path may serve this request, else undefined. */
  const servable = (req: IncomingMessage): string | undefined => {
    if (req.method !== 'POST' || !options.route.isGraphQLTarget(req.url)) return undefined;
    const headers = req.headers;
    if (headers['transfer-encoding'] !== undefined) return undefined;
    if (!isJsonContentType(headers['content-type'])) return undefined;
    const length = headers['content-length'];
    if (length === undefined || !/^\d{1,9}$/.test(length)) return undefined;
    // The checks refused a body over the limit; an empty one is Yoga's to refuse.
    if (Number(length) === 0) return undefined;
    const mediaType = options.negotiate(headers.accept);
    // Server-sent events and multipart answers, and a 406, are Yoga's to give.
    return mediaType === 'application/json' || mediaType === 'application/graphql-response+json'
      ? mediaType
      : undefined;
  };

  /** Yoga answers, with the body already read. */
  const delegate = async (req: IncomingMessage, res: ServerResponse, body: Buffer) => {
    const response = await yoga.fetch(`http://localhost${req.url}`, fetchInit(req, body), {
      req,
      res,
    });
    const answer = new Uint8Array(await response.arrayBuffer());
    const out: Record<string, string> = {};
    response.headers.forEach((value, name) => {
      out[name] = value;
    });
    writeAnswer(res, response.status, out, answer);
  };

  /** Yoga's processRequest over the gateway's envelop, for one request. */
  const run = async (
    context: Record<string | symbol, unknown>,
    given: GraphQLParams,
  ): Promise<ExecutionResult> => {
    try {
      const params = options.resolveParams ? options.resolveParams(given) : given;
      context.params = params;
      const enveloped = yoga.getEnveloped(context);
      const document = enveloped.parse(params.query as string);
      const errors = enveloped.validate(enveloped.schema, document);
      if (errors.length > 0) return { errors };
      const contextValue = await enveloped.contextFactory();
      const operation = getOperationAST(document, params.operationName);
      const executeFn =
        operation?.operation === 'subscription' ? enveloped.subscribe : enveloped.execute;
      const result = await executeFn({
        schema: enveloped.schema,
        document,
        contextValue,
        variableValues: params.variables ?? undefined,
        operationName: params.operationName ?? undefined,
      });
      if (isAsyncIterable(result)) {
        // This schema has no subscriptions, @defer or @stream: a stream here is a bug.
        throw new Error('The fast path cannot serve a stream.');
      }
      return result as ExecutionResult;
    } catch (error) {
      return { errors: handleError(error) };
    }
  };

  const serve = async (req: IncomingMessage, res: ServerResponse, mediaType: string) => {
    const body = await readBody(req);
    if (body === undefined) return;
    let params: GraphQLParams | undefined;
    try {
      params = paramsOf(JSON.parse(body.toString('utf8')), options.acceptsDocumentId);
    } catch {
      params = undefined;
    }
    if (!params) {
      await delegate(req, res, body);
      return;
    }
    // What Yoga's plugins see of the request: a Fetch Request, as on Yoga's path.
    const requestId = options.requestIdFor(headerOf(req, 'x-request-id'));
    // What Yoga's plugins see of the request: a Fetch Request, as on Yoga's path. Yoga's own
    // parse hook reads its method on every request; the whole Request (headers, body) is built
    // only when something reads more than method and url.
    const url = `http://localhost${req.url}`;
    const request = lazyRequest(yoga.fetchAPI.Request, url, () => fetchInit(req, body));
    const context: Record<string | symbol, unknown> = {
      req,
      res,
      request,
      [REQUEST_ID]: requestId,
    };
    let result = await run(context, params);
    served += 1;
    result = options.processResult(result);
    // Yoga's serializer copies every error once more: copies that are never thrown need no stack.
    const answer = withoutStackTrace(
      () => processRegularResult(result, CAPTURE, mediaType) as unknown as CapturedResponse,
    );
    writeAnswer(
      res,
      answer.init.status,
      { ...answer.init.headers, ...options.responseHeaders.api(nodeHeaderSource(req), requestId) },
      answer.body,
    );
  };

  return {
    /**
     * Serves a node:http request on the fast path when it qualifies and returns true; false: the
     * caller hands it to Yoga untouched.
     */
    handle(req: IncomingMessage, res: ServerResponse): boolean {
      const mediaType = servable(req);
      if (mediaType === undefined) return false;
      serve(req, res, mediaType).catch((error: unknown) => {
        const [masked] = handleError(error);
        if (!res.headersSent && masked) {
          const result = options.processResult({ errors: [masked] });
          const answer = processRegularResult(
            result,
            CAPTURE,
            mediaType,
          ) as unknown as CapturedResponse;
          const requestId = options.requestIdFor(headerOf(req, 'x-request-id'));
          writeAnswer(
            res,
            answer.init.status,
            {
              ...answer.init.headers,
              ...options.responseHeaders.api(nodeHeaderSource(req), requestId),
            },
            answer.body,
          );
        } else {
          res.destroy();
        }
      });
      return true;
    },
    /** Requests served without Yoga's HTTP layer so far. */
    stats: () => ({ served }),
  };
}

export type FastPath = ReturnType<typeof createFastPath>;
