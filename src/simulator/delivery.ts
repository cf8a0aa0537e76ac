import type { ServerResponse } from 'node:http';
import { type Answer, errorAnswer } from './answer.js';
import type { FaultAction } from './faults.js';

/**
 * Writes answers to the socket, on time or not. Every response it holds back (delayed, hung,
 * half-sent) is tracked, so `abortPending` can end them all when the server shuts down instead
 * of waiting for timers or for clients that never give up.
 */
export interface Delivery {
  /**
   * Delivers `answer` after `delayMs`, as the fault (if any) says. `answer` is `undefined` when
   * the call was not processed; only faults that replace the answer are then possible.
   */
  deliver(
    res: ServerResponse,
    answer: Answer | undefined,
    delayMs: number,
    fault?: FaultAction,
  ): void;
  /** Ends every held response by destroying its socket, and cancels their timers. */
  abortPending(): void;
}

// A proxy's error page where JSON was expected: what a client meets when something in between fails.
const NOT_JSON_BODY = '<html><body><h1>Service temporarily unavailable</h1></body></html>';
const WRONG_SHAPE_BODY = JSON.stringify({ data: { status: 'ok' } });
// Used when a truncated answer was not processed: the start of a plausible token answer.
const PLACEHOLDER_BODY = JSON.stringify({
  data: { userToken: 'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.truncated', encryptionKey: 'x' },
});

export function createDelivery(): Delivery {
  // `undefined` marks a response held without a timer (a hang).
  const pending = new Map<ServerResponse, NodeJS.Timeout | undefined>();
  const watched = new WeakSet<ServerResponse>();

  function hold(res: ServerResponse, timer?: NodeJS.Timeout): void {
    if (!watched.has(res)) {
      watched.add(res);
      // The client giving up releases the response; nothing is left to write to.
      res.once('close', () => {
        const held = pending.get(res);
        if (held !== undefined) clearTimeout(held);
        pending.delete(res);
      });
    }
    pending.set(res, timer);
  }

  function later(res: ServerResponse, ms: number, then: () => void): void {
    if (ms <= 0) {
      then();
      return;
    }
    const timer = setTimeout(() => {
      pending.delete(res);
      if (res.destroyed || res.writableEnded) return;
      then();
    }, ms);
    hold(res, timer);
  }

  return {
    deliver(res, answer, delayMs, fault) {
      if (fault === undefined || fault.kind === 'latency') {
        const extra = fault?.kind === 'latency' ? fault.ms : 0;
        if (answer !== undefined) later(res, delayMs + extra, () => write(res, answer));
        return;
      }
      switch (fault.kind) {
        case 'hang':
          hold(res);
          return;
        case 'drop':
          res.destroy();
          return;
        case 'status': {
          const headers: Record<string, string> =
            fault.retryAfter === undefined ? {} : { 'retry-after': fault.retryAfter };
          const error = errorAnswer(fault, { headers });
          later(res, delayMs, () => write(res, error));
          return;
        }
        case 'malformed': {
          const body = fault.variant === 'not-json' ? NOT_JSON_BODY : WRONG_SHAPE_BODY;
          const bad: Answer = {
            status: 200,
            headers: { 'content-type': 'application/json' },
            body,
          };
          later(res, delayMs, () => write(res, bad));
          return;
        }
        case 'truncated': {
          const whole = answer ?? jsonLike(200, PLACEHOLDER_BODY);
          later(res, delayMs, () => {
            const bytes = Buffer.from(whole.body, 'utf8');
            res.writeHead(whole.status, { ...whole.headers, 'content-length': bytes.length });
            res.write(bytes.subarray(0, Math.floor(bytes.length / 2)), () => res.destroy());
          });
          return;
        }
        case 'slowBody': {
          if (answer === undefined) return;
          later(res, delayMs, () => {
            const bytes = Buffer.from(answer.body, 'utf8');
            const cut = Math.max(1, Math.floor(bytes.length / 2));
            res.writeHead(answer.status, { ...answer.headers, 'content-length': bytes.length });
            res.write(bytes.subarray(0, cut));
            later(res, fault.ms, () => res.end(bytes.subarray(cut)));
          });
          return;
        }
      }
    },

    abortPending() {
      for (const [res, timer] of pending) {
        if (timer !== undefined) clearTimeout(timer);
        res.destroy();
      }
      pending.clear();
    },
  };
}

function jsonLike(status: number, body: string): Answer {
  return { status, headers: { 'content-type': 'application/json' }, body };
}

function write(res: ServerResponse, answer: Answer): void {
  res.writeHead(answer.status, {
    ...answer.headers,
    'content-length': Buffer.byteLength(answer.body),
  });
  res.end(answer.body);
}
