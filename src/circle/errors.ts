/**
 * Errors of the Circle client. Each class has a stable `name` and `code` and carries only data a
 * caller may see: the HTTP status, Circle's numeric code, Circle's request id and Circle's own
 * message. Never the request, its headers or its body: those hold the API key and user tokens.
 * Recognise them with `isCircleError(error, code)`, not `instanceof` (src/errors/brand.ts).
 */
import { brandErrorClass, errorCodeOf } from '../errors/brand.js';
import { pauseStackTraces } from '../errors/stack-traces.js';

export type CircleCall = 'refresh' | 'mint';

export abstract class CircleClientError extends Error {
  abstract readonly code: string;
  /** Whether the same request may succeed later. */
  abstract readonly retryable: boolean;
  readonly call: CircleCall;
  readonly requestId: string | undefined;
  /**
   * The idempotency key of the refresh this failure belongs to, set by the user-token service, so
   * a caller who sent none can still retry safely (and get Circle's replay of a lost answer).
   */
  idempotencyKey: string | undefined;

  constructor(message: string, call: CircleCall, requestId: string | undefined) {
    // An expected failure, not a bug: no stack trace.
    const resume = pauseStackTraces();
    super(message);
    resume();
    this.call = call;
    this.requestId = requestId;
  }

  /** The allow-listed fields that may be logged or shown. */
  toJSON(): Record<string, unknown> {
    return { name: this.name, code: this.code, call: this.call, requestId: this.requestId };
  }
}

/** What a CircleHttpError is made from: the allow-listed facts of Circle's answer. */
export interface CircleHttpErrorInit {
  call: CircleCall;
  status: number;
  circleCode?: number | undefined;
  circleMessage?: string | undefined;
  requestId?: string | undefined;
  retryAfterMs?: number | undefined;
}

/** Circle answered with a non-2xx status. */
export class CircleHttpError extends CircleClientError {
  override readonly name = 'CircleHttpError';
  readonly code = 'CIRCLE_HTTP_ERROR';
  readonly status: number;
  /** Circle's numeric error code from the body, when the body had one. */
  readonly circleCode: number | undefined;
  /** Circle's own message text from the body, when the body had one. */
  readonly circleMessage: string | undefined;
  /** From a `Retry-After` header, in milliseconds. */
  readonly retryAfterMs: number | undefined;

  constructor(init: CircleHttpErrorInit) {
    super(
      `Circle answered ${init.status}${init.circleCode === undefined ? '' : ` (code ${init.circleCode})`}`,
      init.call,
      init.requestId,
    );
    this.status = init.status;
    this.circleCode = init.circleCode;
    this.circleMessage = init.circleMessage;
    this.retryAfterMs = init.retryAfterMs;
  }

  get retryable(): boolean {
    return this.status === 429 || this.status >= 500;
  }

  override toJSON(): Record<string, unknown> {
    return {
      ...super.toJSON(),
      status: this.status,
      circleCode: this.circleCode,
      circleMessage: this.circleMessage,
    };
  }
}

/** The deadline passed before Circle answered. */
export class CircleTimeoutError extends CircleClientError {
  override readonly name = 'CircleTimeoutError';
  readonly code = 'CIRCLE_TIMEOUT';
  readonly retryable = true;
  constructor(call: CircleCall, requestId: string | undefined, phase: 'attempt' | 'deadline') {
    super(
      phase === 'deadline'
        ? 'The deadline passed before Circle answered'
        : 'Circle did not answer in time',
      call,
      requestId,
    );
  }
}

/** The connection failed: refused, reset, closed early, DNS. */
export class CircleConnectionError extends CircleClientError {
  override readonly name = 'CircleConnectionError';
  readonly code = 'CIRCLE_CONNECTION_ERROR';
  readonly retryable = true;
  /** The system or undici error code (ECONNREFUSED, UND_ERR_SOCKET, …), never its message. */
  readonly causeCode: string | undefined;
  constructor(call: CircleCall, requestId: string | undefined, causeCode: string | undefined) {
    super(`Could not reach Circle${causeCode ? ` (${causeCode})` : ''}`, call, requestId);
    this.causeCode = causeCode;
  }
  override toJSON(): Record<string, unknown> {
    return { ...super.toJSON(), causeCode: this.causeCode };
  }
}

/** Circle answered 2xx with a body that is not what its contract promises. */
export class CircleMalformedResponseError extends CircleClientError {
  override readonly name = 'CircleMalformedResponseError';
  readonly code = 'CIRCLE_MALFORMED_RESPONSE';
  readonly retryable = true;
  readonly status: number;
  constructor(call: CircleCall, requestId: string | undefined, status: number, reason: string) {
    super(`Circle's answer was malformed: ${reason}`, call, requestId);
    this.status = status;
  }
  override toJSON(): Record<string, unknown> {
    return { ...super.toJSON(), status: this.status };
  }
}

/** The circuit breaker is open: Circle failed repeatedly and is not called for a pause. */
export class CircleCircuitOpenError extends CircleClientError {
  override readonly name = 'CircleCircuitOpenError';
  readonly code = 'CIRCLE_CIRCUIT_OPEN';
  readonly retryable = true;
  constructor(call: CircleCall) {
    super('Circle is failing; calls are paused', call, undefined);
  }
}

/** Too many calls in flight, and no slot freed within the allowed wait. */
export class CircleOverloadedError extends CircleClientError {
  override readonly name = 'CircleOverloadedError';
  readonly code = 'CIRCLE_OVERLOADED';
  readonly retryable = true;
  constructor(call: CircleCall) {
    super('Too many calls to Circle in flight', call, undefined);
  }
}

brandErrorClass(CircleClientError);

/** Every concrete Circle client error: its `code` tells which one. */
export type AnyCircleClientError =
  | CircleHttpError
  | CircleTimeoutError
  | CircleConnectionError
  | CircleMalformedResponseError
  | CircleCircuitOpenError
  | CircleOverloadedError;

export type CircleErrorCode = AnyCircleClientError['code'];

const CIRCLE_ERROR_CODES: ReadonlySet<string> = new Set<CircleErrorCode>([
  'CIRCLE_HTTP_ERROR',
  'CIRCLE_TIMEOUT',
  'CIRCLE_CONNECTION_ERROR',
  'CIRCLE_MALFORMED_RESPONSE',
  'CIRCLE_CIRCUIT_OPEN',
  'CIRCLE_OVERLOADED',
]);

/** Whether `error` is a Circle client error (with this code), made by any copy of the package. */
export function isCircleError<C extends CircleErrorCode = CircleErrorCode>(
  error: unknown,
  code?: C,
): error is Extract<AnyCircleClientError, { code: C }> {
  const found = errorCodeOf(error);
  return (
    found !== undefined && (code === undefined ? CIRCLE_ERROR_CODES.has(found) : found === code)
  );
}

export const isCircleClientError = (error: unknown): error is AnyCircleClientError =>
  isCircleError(error);
