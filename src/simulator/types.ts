import type { IncomingMessage, ServerResponse } from 'node:http';
import type { FaultKind, SimulatorFault } from './faults.js';
import type { SessionInput, SimulatorSession } from './state.js';

/** The simulator as its users and its /simulator/ helper endpoints see it (built in simulator.ts). */

/** One call (outside the /simulator/ helpers) as the simulator received it. */
export interface RecordedRequest {
  method: string;
  /** The path with its query string. */
  path: string;
  /** Lower-cased names; repeated headers joined with ", ". */
  headers: Record<string, string>;
  /** The parsed JSON body, the raw text when it is not JSON, `undefined` when empty. */
  body: unknown;
  /** The simulator's clock when the request arrived, in ms since the epoch. */
  time: number;
  /** The X-Request-Id of the answer. */
  requestId: string;
  /** The injected fault that applied to the call, if any. */
  fault?: FaultKind;
}

export interface CircleSimulator {
  /** A node:http request listener serving Circle's endpoints and the /simulator/ helpers. */
  handle(req: IncomingMessage, res: ServerResponse): void;
  /** Creates the user if needed, a device if needed, and a logged-in session on it. */
  createSession(input?: SessionInput): SimulatorSession;
  /** Queues a fault for the next matching calls; returns how many faults are queued. */
  injectFault(fault: SimulatorFault): number;
  /** Drops every queued fault; returns how many there were. */
  clearFaults(): number;
  /** Moves the simulator's clock forward, e.g. past a user token's expiry. */
  advanceClock(ms: number): void;
  /** The simulator's current time, in ms since the epoch. */
  now(): number;
  /** Mint and refresh for this user answer 409 (code 155109) from now on. */
  disableUser(userId: string): void;
  /** The calls received outside /simulator/, oldest first (a copy, at most `maxRecordedRequests`). */
  readonly requests: readonly RecordedRequest[];
  /** Forgets the recorded requests; returns how many there were. */
  clearRequests(): number;
  /**
   * Forgets users, tokens, faults, recorded requests, rate-limit windows and the clock offset.
   * The signing secret stays, so tokens issued before answer 155103 (unknown), not 155105.
   */
  reset(): void;
  /** Ends every response held back by a fault or delay (hung, delayed, half-sent). */
  abortPending(): void;
}
