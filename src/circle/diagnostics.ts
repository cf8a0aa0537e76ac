/**
 * The Circle client's and the user-token service's events, published once on
 * `node:diagnostics_channel` (as undici publishes its own): whoever cares subscribes (tracing,
 * and logs and metrics through `observeCircleClient`), and with no subscriber a publication costs
 * one boolean check. The channels are process-wide: a message names the client that made it, so a
 * subscriber can keep to its own client when a process runs several.
 *
 * Messages carry allow-listed data only: call names, numbers, codes and Circle's request id,
 * never a header, token, key or body. The one exception is `headers` on an attempt's start: an
 * empty carrier a subscriber may fill with trace-context headers (`traceparent`), which the
 * client then sends with that attempt.
 */
import { channel } from 'node:diagnostics_channel';
import type { CircuitState } from './circuit-breaker.js';
import type { CircleCall, CircleClientError } from './errors.js';

/** One call of the client (`refreshUserToken` or `createUserToken`), all its attempts included. */
export interface CircleCallMessage {
  /** The `CircleClient` that made the call. */
  client: object;
  call: CircleCall;
  /** The `X-Request-Id` sent with every attempt. */
  requestId: string;
  /** The circuit when the call asked to go through. */
  circuitAtStart: CircuitState;
  /** Set before `callEnd`. */
  circuitAtEnd?: CircuitState;
  /** Set before `callEnd` when the call failed. */
  error?: CircleClientError;
  /** Attempts made (0 when refused before sending). Set before `callEnd`. */
  attempts?: number;
}

/** One HTTP exchange of a call. */
export interface CircleAttemptMessage {
  callMessage: CircleCallMessage;
  attempt: number;
  /** POST URL without query string (origin and path: no secret). */
  url: string;
  /** Trace-context headers a subscriber adds on `attemptStart`; sent with the attempt. */
  headers: Record<string, string>;
  /** Set before `attemptEnd`. */
  status?: number | undefined;
  circleCode?: number | undefined;
  /** Circle's `X-Request-Id` of the answer, when it answered. */
  upstreamRequestId?: string | undefined;
  error?: CircleClientError;
  /** Set before `attemptEnd` when another attempt follows after this wait. */
  retryDelayMs?: number | undefined;
  /** From send to answer (or failure), in ms. Set before `attemptEnd`. */
  durationMs?: number;
}

/** The client's circuit breaker opened or closed (half-open is a matter of time, not an event). */
export interface CircleCircuitMessage {
  client: object;
  state: CircuitState;
}

/** The user-token service's choices for one refresh. */
export interface RefreshMessage {
  path: 'userId' | 'userToken';
  /** True when this refresh shared an identical one already in flight (no call of its own). */
  coalesced: boolean;
  /** userId path only: whether a cached minted token was used (no mint call). */
  cacheHit?: boolean;
}

export const CIRCLE_CHANNELS = {
  callStart: channel('circle-wallets-gateway:circle:call:start'),
  callEnd: channel('circle-wallets-gateway:circle:call:end'),
  attemptStart: channel('circle-wallets-gateway:circle:attempt:start'),
  attemptEnd: channel('circle-wallets-gateway:circle:attempt:end'),
  circuit: channel('circle-wallets-gateway:circle:circuit'),
  refresh: channel('circle-wallets-gateway:refresh'),
} as const;
