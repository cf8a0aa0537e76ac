/**
 * One attempt: one POST to Circle over an undici dispatcher, its answer parsed. The only file in
 * `src/circle/` that knows undici; the call policy (src/circle/call-policy.ts) wraps this function
 * and knows nothing of HTTP beyond the errors it throws.
 */
import { Agent, type Dispatcher, errors as undiciErrors } from 'undici';
import { type CircleCall, CircleHttpError, CircleMalformedResponseError } from './errors.js';
import { parseRetryAfter } from './retry-policy.js';
import { type CircleResult, parseErrorBody } from './wire.js';

export type { Dispatcher };

/** What an endpoint sends: the policy never looks inside. */
export interface AttemptRequest<T> {
  call: CircleCall;
  path: string;
  headers: Record<string, string>;
  body: string;
  /** The data, or why the body is not what Circle promises. */
  parse: (body: unknown) => T | string;
}

/** Anything with `aborted` and abort listeners: undici takes it as a request's signal. */
export interface AttemptSignal {
  readonly aborted: boolean;
  addEventListener(type: 'abort', listener: () => void): void;
  removeEventListener(type: 'abort', listener: () => void): void;
}

export interface AttemptContext {
  /** Sent as `X-Request-Id`; Circle's own, when it answers with one, comes back in the result. */
  requestId: string;
  /** Thrown by the policy on timeout or when the caller leaves: the attempt settles at once. */
  signal: AttemptSignal;
  /** Trace-context headers (`traceparent`); never replace the client's own. */
  traceHeaders?: Record<string, string> | undefined;
}

/**
 * One exchange. Resolves with the parsed answer of a 2xx; rejects with a `CircleHttpError` or a
 * `CircleMalformedResponseError` when Circle answered, with anything else (the policy classifies
 * it) when it did not.
 */
export type Attempt = <T>(
  request: AttemptRequest<T>,
  context: AttemptContext,
) => Promise<{ result: CircleResult<T>; status: number }>;

export interface HttpAttemptOptions {
  apiKey: string;
  /** Circle's origin and base path, already validated. */
  baseUrl: URL;
  /** Injected: the caller's to close. Absent: an own keep-alive Agent, closed by `close()`. */
  dispatcher?: Dispatcher | undefined;
  connectTimeoutMs: number;
  connections: number;
  userAgent: string;
  now: () => number;
}

export interface HttpAttempt {
  attempt: Attempt;
  /** The URL of a path (origin and path: no secret), as traces show it. */
  urlOf(path: string): string;
  close(): Promise<void>;
}

export function createHttpAttempt(options: HttpAttemptOptions): HttpAttempt {
  const origin = options.baseUrl.origin;
  const basePath = options.baseUrl.pathname.replace(/\/+$/, '');
  const ownDispatcher = options.dispatcher
    ? undefined
    : new Agent({
        connect: { timeout: options.connectTimeoutMs },
        connections: options.connections,
        keepAliveTimeout: 30_000,
        pipelining: 1,
      });
  const dispatcher: Dispatcher = options.dispatcher ?? (ownDispatcher as Dispatcher);
  const baseHeaders = {
    authorization: `Bearer ${options.apiKey}`,
    'content-type': 'application/json',
    accept: 'application/json',
    'user-agent': options.userAgent,
  };

  /** Always reads or discards the body, so the connection goes back to the pool. */
  async function exchange<T>(
    request: AttemptRequest<T>,
    { requestId, signal, traceHeaders }: AttemptContext,
  ): Promise<{ result: CircleResult<T>; status: number }> {
    const response = await dispatcher.request({
      origin,
      path: basePath + request.path,
      method: 'POST',
      // Trace context first: a subscriber can add headers, never replace the client's own.
      headers: { ...traceHeaders, ...baseHeaders, ...request.headers, 'x-request-id': requestId },
      body: request.body,
      signal,
    });
    const header = response.headers['x-request-id'];
    const upstreamRequestId = (Array.isArray(header) ? header[0] : header) ?? requestId;
    const text = await response.body.text();
    const status = response.statusCode;
    if (status < 200 || status >= 300) {
      const { code, message } = parseErrorBody(text);
      const retryAfter = response.headers['retry-after'];
      throw new CircleHttpError({
        call: request.call,
        status,
        circleCode: code,
        circleMessage: message,
        requestId: upstreamRequestId,
        retryAfterMs: parseRetryAfter(
          Array.isArray(retryAfter) ? retryAfter[0] : retryAfter,
          options.now(),
        ),
      });
    }
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      throw new CircleMalformedResponseError(request.call, upstreamRequestId, status, 'not JSON');
    }
    const data = request.parse(json);
    if (typeof data === 'string') {
      throw new CircleMalformedResponseError(request.call, upstreamRequestId, status, data);
    }
    return { result: { data, requestId: upstreamRequestId }, status };
  }

  /**
   * The exchange, settled as soon as its switch is thrown. undici cancels a request still queued
   * for a connection only when one frees up; the attempt must not wait for that.
   */
  const attempt: Attempt = (request, context) => {
    const exchanged = exchange(request, context);
    const { signal } = context;
    return new Promise((resolve, reject) => {
      const onAbort = () => {
        // The exchange rejects too, later: already answered for.
        exchanged.catch(() => {});
        reject(new undiciErrors.RequestAbortedError());
      };
      signal.addEventListener('abort', onAbort);
      exchanged.then(
        (answer) => {
          signal.removeEventListener('abort', onAbort);
          resolve(answer);
        },
        (error: unknown) => {
          signal.removeEventListener('abort', onAbort);
          reject(error);
        },
      );
    });
  };

  return {
    attempt,
    urlOf: (path) => origin + basePath + path,
    async close() {
      await ownDispatcher?.close();
    },
  };
}
