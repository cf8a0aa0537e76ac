/**
 * The client's events, published once (src/circle/diagnostics.ts) and read two ways: as channel
 * messages (tracing, and `observeCircleClient` for logs and metrics), and through the client's
 * own `observer` option, which this file calls from the same points so it sees exactly what a
 * subscriber sees. The observer is kept as a per-client listener, not a channel subscription: a
 * subscription would outlive a client nobody closed.
 */
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import type { CircuitState } from './circuit-breaker.js';
import {
  CIRCLE_CHANNELS,
  type CircleAttemptMessage,
  type CircleCallMessage,
  type CircleCircuitMessage,
} from './diagnostics.js';
import type { CircleCall, CircleClientError } from './errors.js';

/** One upstream attempt, as observers see it: no header, token or body. */
export interface AttemptEvent {
  call: CircleCall;
  attempt: number;
  durationMs: number;
  /** HTTP status, when Circle answered. */
  status: number | undefined;
  /** `ok`, or the error code of the failed attempt. */
  outcome: 'ok' | CircleClientError['code'];
  circleCode: number | undefined;
  requestId: string | undefined;
}

/** Hooks for logs and metrics. They must not throw. */
export interface CircleClientObserver {
  onAttempt?(event: AttemptEvent): void;
  onRetry?(event: { call: CircleCall; attempt: number; delayMs: number; reason: string }): void;
  onCircuitChange?(state: CircuitState): void;
  onRejected?(event: { call: CircleCall; reason: 'circuit-open' | 'overloaded' }): void;
}

const REJECTIONS: Record<string, 'circuit-open' | 'overloaded'> = {
  CIRCLE_CIRCUIT_OPEN: 'circuit-open',
  CIRCLE_OVERLOADED: 'overloaded',
};

/** Hands one client's messages to an observer's hooks. */
function deliver(observer: CircleClientObserver) {
  return {
    attemptEnd(m: CircleAttemptMessage): void {
      const error = m.error;
      observer.onAttempt?.({
        call: m.callMessage.call,
        attempt: m.attempt,
        durationMs: m.durationMs ?? 0,
        // A malformed 2xx counts under its status too, as Circle did answer.
        status: error && 'status' in error ? (error.status as number) : m.status,
        outcome: error ? error.code : 'ok',
        circleCode: m.circleCode,
        requestId: m.upstreamRequestId,
      });
      if (error && m.retryDelayMs !== undefined) {
        observer.onRetry?.({
          call: m.callMessage.call,
          attempt: m.attempt,
          delayMs: m.retryDelayMs,
          reason: error.code,
        });
      }
    },
    callEnd(m: CircleCallMessage): void {
      const reason = m.error ? REJECTIONS[m.error.code] : undefined;
      if (reason) observer.onRejected?.({ call: m.call, reason });
    },
    circuit(m: CircleCircuitMessage): void {
      observer.onCircuitChange?.(m.state);
    },
  };
}

/**
 * Subscribes an observer to one client's events on the channels; returns the unsubscribe. This is
 * how logs and metrics follow a client, each on its own.
 */
export function observeCircleClient(client: object, observer: CircleClientObserver): () => void {
  const to = deliver(observer);
  const handlers: Array<[string, (message: unknown) => void]> = [
    [
      CIRCLE_CHANNELS.attemptEnd.name as string,
      (m) => {
        const message = m as CircleAttemptMessage;
        if (message.callMessage.client === client) to.attemptEnd(message);
      },
    ],
    [
      CIRCLE_CHANNELS.callEnd.name as string,
      (m) => {
        const message = m as CircleCallMessage;
        if (message.client === client) to.callEnd(message);
      },
    ],
    [
      CIRCLE_CHANNELS.circuit.name as string,
      (m) => {
        const message = m as CircleCircuitMessage;
        if (message.client === client) to.circuit(message);
      },
    ],
  ];
  for (const [name, handler] of handlers) subscribe(name, handler);
  return () => {
    for (const [name, handler] of handlers) unsubscribe(name, handler);
  };
}

/** Where the call policy reports: the channels, then the client's own observer. */
export interface CircleEvents {
  callStart(message: CircleCallMessage): void;
  callEnd(message: CircleCallMessage): void;
  /** Whether a subscriber may add trace headers: then the attempt gets a carrier for them. */
  readonly tracing: boolean;
  attemptStart(message: CircleAttemptMessage): void;
  attemptEnd(message: CircleAttemptMessage): void;
  circuit(message: CircleCircuitMessage): void;
}

export function createCircleEvents(observer: CircleClientObserver | undefined): CircleEvents {
  const own = observer ? deliver(observer) : undefined;
  const { callStart, callEnd, attemptStart, attemptEnd, circuit } = CIRCLE_CHANNELS;
  return {
    callStart(m) {
      if (callStart.hasSubscribers) callStart.publish(m);
    },
    callEnd(m) {
      if (callEnd.hasSubscribers) callEnd.publish(m);
      own?.callEnd(m);
    },
    get tracing() {
      return attemptStart.hasSubscribers;
    },
    attemptStart(m) {
      if (attemptStart.hasSubscribers) attemptStart.publish(m);
    },
    attemptEnd(m) {
      own?.attemptEnd(m);
      if (attemptEnd.hasSubscribers) attemptEnd.publish(m);
    },
    circuit(m) {
      if (circuit.hasSubscribers) circuit.publish(m);
      own?.circuit(m);
    },
  };
}
