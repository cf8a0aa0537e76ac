/**
 * The Circle client's events as log lines: each attempt (debug when it succeeds, warn when it
 * fails) and each change of the circuit (warn). Fields are the events' allow-listed ones only.
 * Here rather than in circle/: the client publishes, whoever cares subscribes, and the client
 * needs nothing of the logger.
 */
import { observeCircleClient } from '../circle/client-events.js';
import type { Logger } from './logger.js';

/** Logs one client's attempts and circuit changes; returns the unsubscribe. */
export function logCircleClient(client: object, logger: Logger): () => void {
  return observeCircleClient(client, {
    onAttempt(e) {
      const fields = {
        call: e.call,
        attempt: e.attempt,
        status: e.status,
        outcome: e.outcome,
        circleCode: e.circleCode,
        upstreamRequestId: e.requestId,
        durationMs: Math.round(e.durationMs),
      };
      if (e.outcome === 'ok') logger.debug('upstream attempt', fields);
      else logger.warn('upstream attempt failed', fields);
    },
    onCircuitChange(state) {
      logger.warn('circuit breaker', { state });
    },
  });
}
