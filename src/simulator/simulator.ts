import { randomBytes, randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  errorAnswer,
  flattenHeaders,
  isBodyTooLargeError,
  type ParsedBody,
  parseBody,
  readBody,
  singleHeader,
} from './answer.js';
import { createCircleApi } from './circle-api.js';
import { createDelivery } from './delivery.js';
import { CIRCLE_ERRORS } from './errors.js';
import { createFaultQueue, parseFault } from './faults.js';
import { handleHelperCall } from './helper-api.js';
import { createIdempotencyStore } from './idempotency.js';
import { createUserTokenCodec } from './jwt.js';
import { createRateLimiter } from './rate-limit.js';
import { createSimulatorState } from './state.js';
import type { CircleSimulator, RecordedRequest } from './types.js';

export interface SimulatorOptions {
  /**
   * The clock, in milliseconds since the epoch. Token expiry, rate limits and the idempotency
   * store all read it; `advanceClock` adds to it.
   * @default Date.now
   */
  now?: () => number;
  /**
   * Lifetime of a user token (minted or refreshed).
   * @default 3_600_000 (60 minutes, as Circle)
   */
  userTokenTtlMs?: number;
  /**
   * Enforce Circle's limits per API key: refresh 5 requests/s, mint 10 requests/s, answering 429
   * with `Retry-After: 1` when exceeded.
   * @default true
   */
  rateLimits?: boolean;
  /**
   * For benchmarks: no rate limits and no base latency, whatever `rateLimits` and `latencyMs`
   * say. Injected faults still apply.
   * @default false
   */
  fast?: boolean;
  /**
   * When set, a well-formed API key not in the list answers 403 (code 3). When unset, any
   * well-formed key is accepted.
   * @default undefined
   */
  acceptedApiKeys?: string[];
  /**
   * How many received calls `requests` keeps (every call outside /simulator/); the oldest go
   * first.
   * @default 1000
   */
  maxRecordedRequests?: number;
  /**
   * A delay added before every Circle answer, for a more lifelike upstream.
   * @default 0
   */
  latencyMs?: number;
}

const MAX_BODY_BYTES = 1024 * 1024;
const CIRCLE_ROUTES: Record<string, 'refresh' | 'mint'> = {
  '/v1/w3s/users/token': 'mint',
  '/v1/w3s/users/token/refresh': 'refresh',
};

export function createCircleSimulator(options: SimulatorOptions = {}): CircleSimulator {
  validateOptions(options);
  const {
    now: baseNow = Date.now,
    userTokenTtlMs = 60 * 60 * 1000,
    fast = false,
    maxRecordedRequests = 1000,
  } = options;
  const rateLimits = !fast && (options.rateLimits ?? true);
  const latencyMs = fast ? 0 : (options.latencyMs ?? 0);

  let clockOffsetMs = 0;
  const now = (): number => baseNow() + clockOffsetMs;
  const state = createSimulatorState({
    now,
    userTokenTtlMs,
    codec: createUserTokenCodec(randomBytes(32)),
  });
  const idempotency = createIdempotencyStore({ now });
  const rateLimiter = createRateLimiter(now);
  const api = createCircleApi({
    state,
    idempotency,
    rateLimiter,
    rateLimits,
    acceptedApiKeys:
      options.acceptedApiKeys === undefined ? undefined : new Set(options.acceptedApiKeys),
  });
  const faults = createFaultQueue();
  const delivery = createDelivery();
  let recorded: RecordedRequest[] = [];

  function record(entry: RecordedRequest): void {
    if (maxRecordedRequests === 0) return;
    recorded.push(entry);
    if (recorded.length > maxRecordedRequests)
      recorded.splice(0, recorded.length - maxRecordedRequests);
  }

  async function serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    // Every answer carries a request id: the caller's, so logs on both sides line up, or a new one.
    const requestId = nonEmpty(singleHeader(req, 'x-request-id')) ?? randomUUID();
    res.setHeader('x-request-id', requestId);
    const url = req.url ?? '/';
    const path = url.split('?')[0] ?? '/';
    const method = req.method ?? 'GET';

    let text: string;
    try {
      text = await readBody(req, MAX_BODY_BYTES);
    } catch (error) {
      if (isBodyTooLargeError(error)) {
        res.setHeader('connection', 'close');
        delivery.deliver(res, errorAnswer(CIRCLE_ERRORS.payloadTooLarge), 0);
      } else {
        res.destroy();
      }
      return;
    }
    const body = parseBody(text);

    if (path === '/simulator' || path.startsWith('/simulator/')) {
      delivery.deliver(res, handleHelperCall(simulator, method, path, body), 0);
      return;
    }

    const entry: RecordedRequest = {
      method,
      path: url,
      headers: flattenHeaders(req.headers),
      body: recordedBody(body),
      time: now(),
      requestId,
    };
    record(entry);

    const call = CIRCLE_ROUTES[path];
    if (call === undefined) {
      delivery.deliver(res, errorAnswer(CIRCLE_ERRORS.notFound), latencyMs);
      return;
    }
    if (method !== 'POST') {
      const answer = errorAnswer(CIRCLE_ERRORS.methodNotAllowed, { headers: { allow: 'POST' } });
      delivery.deliver(res, answer, latencyMs);
      return;
    }

    const fault = faults.take(call);
    if (fault !== undefined) entry.fault = fault.action.kind;
    const deliversNormally = fault?.action.kind === 'latency' || fault?.action.kind === 'slowBody';
    const processed = fault === undefined || fault.afterProcessing || deliversNormally;
    const answer = processed ? api[call](req, body) : undefined;
    delivery.deliver(res, answer, latencyMs, fault?.action);
  }

  const simulator: CircleSimulator = {
    handle(req, res) {
      serve(req, res).catch(() => {
        // A bug in the simulator should look like Circle's own 500, not a hung socket.
        if (res.headersSent) res.destroy();
        else delivery.deliver(res, errorAnswer(CIRCLE_ERRORS.internal), 0);
      });
    },
    createSession: (input) => state.createSession(input),
    injectFault: (fault) => faults.add(parseFault(fault)),
    clearFaults: () => faults.clear(),
    advanceClock(ms) {
      if (typeof ms !== 'number' || !Number.isFinite(ms) || ms < 0) {
        throw new RangeError('advanceClock(ms) needs a non-negative, finite number.');
      }
      clockOffsetMs += ms;
    },
    now,
    disableUser: (userId) => state.disableUser(userId),
    get requests() {
      return recorded.slice();
    },
    clearRequests() {
      const count = recorded.length;
      recorded = [];
      return count;
    },
    reset() {
      state.reset();
      idempotency.reset();
      rateLimiter.reset();
      faults.clear();
      recorded = [];
      clockOffsetMs = 0;
    },
    abortPending: () => delivery.abortPending(),
  };
  return simulator;
}

function validateOptions(options: SimulatorOptions): void {
  const problems: string[] = [];
  const { now, userTokenTtlMs, rateLimits, fast, acceptedApiKeys, maxRecordedRequests, latencyMs } =
    options;
  if (now !== undefined && typeof now !== 'function') problems.push('now must be a function.');
  if (userTokenTtlMs !== undefined && (!Number.isFinite(userTokenTtlMs) || userTokenTtlMs < 1000)) {
    problems.push('userTokenTtlMs must be a finite number of at least 1000.');
  }
  if (rateLimits !== undefined && typeof rateLimits !== 'boolean') {
    problems.push('rateLimits must be a boolean.');
  }
  if (fast !== undefined && typeof fast !== 'boolean') problems.push('fast must be a boolean.');
  if (
    acceptedApiKeys !== undefined &&
    (!Array.isArray(acceptedApiKeys) || acceptedApiKeys.some((key) => typeof key !== 'string'))
  ) {
    problems.push('acceptedApiKeys must be an array of strings.');
  }
  if (
    maxRecordedRequests !== undefined &&
    (!Number.isSafeInteger(maxRecordedRequests) || maxRecordedRequests < 0)
  ) {
    problems.push('maxRecordedRequests must be a non-negative integer.');
  }
  if (latencyMs !== undefined && (!Number.isFinite(latencyMs) || latencyMs < 0)) {
    problems.push('latencyMs must be a non-negative number.');
  }
  if (problems.length > 0) {
    throw new TypeError(`Invalid simulator options: ${problems.join(' ')}`);
  }
}

function recordedBody(body: ParsedBody): unknown {
  if (body.kind === 'json') return body.value;
  if (body.kind === 'invalid') return body.text;
  return undefined;
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === '' ? undefined : value;
}

export type { CircleSimulator, RecordedRequest } from './types.js';
