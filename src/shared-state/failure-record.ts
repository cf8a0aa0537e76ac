/**
 * A failed refresh as it crosses from the instance that made the call to the ones that waited
 * for it: the allow-listed fields of the Circle client's errors (never a request, header or
 * token), rebuilt on the other side as the same error class, so every waiter gets the same
 * GraphQL error code the holder's caller got.
 */
import {
  type CircleCall,
  CircleCircuitOpenError,
  type CircleClientError,
  CircleConnectionError,
  CircleHttpError,
  type CircleHttpErrorInit,
  CircleMalformedResponseError,
  CircleOverloadedError,
  CircleTimeoutError,
  isCircleError,
} from '../circle/errors.js';

/** A failure as waiters on other instances rebuild it: the allow-listed fields only. */
export type FailureRecord =
  | ({ kind: 'http'; idempotencyKey?: string | undefined } & CircleHttpErrorInit)
  | {
      kind: 'timeout' | 'connection' | 'malformed' | 'circuit' | 'overloaded';
      call: CircleCall;
      requestId?: string | undefined;
      status?: number | undefined;
      causeCode?: string | undefined;
      idempotencyKey?: string | undefined;
    }
  | { kind: 'internal' };

export function describeFailure(error: unknown): FailureRecord {
  if (!isCircleError(error)) return { kind: 'internal' };
  const common = {
    call: error.call,
    requestId: error.requestId,
    idempotencyKey: error.idempotencyKey,
  };
  switch (error.code) {
    case 'CIRCLE_HTTP_ERROR':
      return {
        kind: 'http',
        ...common,
        status: error.status,
        circleCode: error.circleCode,
        circleMessage: error.circleMessage,
        retryAfterMs: error.retryAfterMs,
      };
    case 'CIRCLE_CONNECTION_ERROR':
      return { kind: 'connection', ...common, causeCode: error.causeCode };
    case 'CIRCLE_MALFORMED_RESPONSE':
      return { kind: 'malformed', ...common, status: error.status };
    case 'CIRCLE_CIRCUIT_OPEN':
      return { kind: 'circuit', ...common };
    case 'CIRCLE_OVERLOADED':
      return { kind: 'overloaded', ...common };
    default:
      return { kind: 'timeout', ...common };
  }
}

export function rebuildFailure(record: FailureRecord): Error {
  if (record.kind === 'internal') return new Error('The shared refresh failed');
  let error: CircleClientError;
  switch (record.kind) {
    case 'http':
      error = new CircleHttpError(record);
      break;
    case 'connection':
      error = new CircleConnectionError(record.call, record.requestId, record.causeCode);
      break;
    case 'malformed':
      error = new CircleMalformedResponseError(
        record.call,
        record.requestId,
        record.status ?? 200,
        'as seen by the instance that made the call',
      );
      break;
    case 'circuit':
      error = new CircleCircuitOpenError(record.call);
      break;
    case 'overloaded':
      error = new CircleOverloadedError(record.call);
      break;
    default:
      error = new CircleTimeoutError(record.call, record.requestId, 'attempt');
  }
  error.idempotencyKey = record.idempotencyKey;
  return error;
}
