import { brandErrorClass, isBrandedError } from '../errors/brand.js';
import { isPlainObject } from './answer.js';
import { defaultCodeForStatus, defaultMessageForStatus } from './errors.js';

/** Which Circle calls a fault applies to. */
export type FaultTarget = 'refresh' | 'mint' | 'any';

interface FaultCommon {
  /** @default 'any' */
  path?: FaultTarget;
  /** How many matching calls the fault applies to. @default 1 */
  count?: number;
  /**
   * Process the call first (tokens rotate, the idempotency key is remembered), then misbehave:
   * the "Circle did it but the answer was lost" case. Latency and slow bodies always process.
   * @default false
   */
  afterProcessing?: boolean;
}

/** A fault for the next `count` matching calls. Exactly one of the behaviour fields is set. */
export type SimulatorFault = FaultCommon &
  (
    | { /** Wait, then answer normally. */ latencyMs: number }
    | {
        /** Answer with this status and a Circle-shaped error body. */
        status: number;
        /** @default -1 for 5xx, else the status */
        code?: number;
        message?: string;
        /** `Retry-After` header value: seconds, or an HTTP date. Absent: no header. */
        retryAfter?: number | string;
      }
    | { /** Never answer, until the client gives up or the server closes. */ hang: true }
    | { /** Destroy the socket without answering. */ drop: true }
    | {
        /** 200 with a body that is not JSON (`true`, 'not-json') or lacks `data.userToken`. */
        malformed: true | 'not-json' | 'wrong-shape';
      }
    | {
        /** 200 declaring a longer Content-Length than is sent, then the socket ends. */ truncated: true;
      }
    | { /** Send headers and part of the body, the rest after this many ms. */ slowBodyMs: number }
  );

export type FaultAction =
  | { kind: 'latency'; ms: number }
  | { kind: 'status'; status: number; code: number; message: string; retryAfter?: string }
  | { kind: 'hang' }
  | { kind: 'drop' }
  | { kind: 'malformed'; variant: 'not-json' | 'wrong-shape' }
  | { kind: 'truncated' }
  | { kind: 'slowBody'; ms: number };

export type FaultKind = FaultAction['kind'];

export interface QueuedFault {
  path: FaultTarget;
  remaining: number;
  afterProcessing: boolean;
  action: FaultAction;
}

export class FaultSpecError extends Error {
  override readonly name = 'FaultSpecError';
  readonly code = 'SIMULATOR_FAULT_INVALID';
  readonly problems: string[];
  constructor(problems: string[]) {
    super(`Invalid fault: ${problems.join(' ')}`);
    this.problems = problems;
  }
}
brandErrorClass(FaultSpecError);

export const isFaultSpecError = (error: unknown): error is FaultSpecError =>
  isBrandedError(error, 'SIMULATOR_FAULT_INVALID');

const BEHAVIOURS = [
  'latencyMs',
  'status',
  'hang',
  'drop',
  'malformed',
  'truncated',
  'slowBodyMs',
] as const;
const COMMON = ['path', 'count', 'afterProcessing'] as const;
const STATUS_EXTRAS = ['code', 'message', 'retryAfter'] as const;
const MAX_DELAY_MS = 10 * 60 * 1000;

/** Validates a fault from code or from a JSON body, reporting every problem at once. */
export function parseFault(input: unknown): QueuedFault {
  if (!isPlainObject(input)) throw new FaultSpecError(['The fault must be a JSON object.']);
  const problems: string[] = [];
  const known = new Set<string>([...BEHAVIOURS, ...COMMON, ...STATUS_EXTRAS]);
  for (const key of Object.keys(input)) {
    if (!known.has(key)) problems.push(`Unknown field "${key}".`);
  }

  const path = input.path ?? 'any';
  if (path !== 'refresh' && path !== 'mint' && path !== 'any') {
    problems.push('path must be "refresh", "mint" or "any".');
  }
  const count = input.count ?? 1;
  if (!Number.isSafeInteger(count) || (count as number) < 1) {
    problems.push('count must be a positive integer.');
  }
  const afterProcessing = input.afterProcessing ?? false;
  if (typeof afterProcessing !== 'boolean') problems.push('afterProcessing must be a boolean.');

  const present = BEHAVIOURS.filter((key) => input[key] !== undefined);
  if (present.length !== 1) {
    problems.push(`Set exactly one of ${BEHAVIOURS.join(', ')} (got ${present.length}).`);
  }
  if (present[0] !== 'status') {
    for (const key of STATUS_EXTRAS) {
      if (input[key] !== undefined) problems.push(`${key} only goes with status.`);
    }
  }

  const action = present.length === 1 ? parseAction(input, problems) : undefined;
  if (problems.length > 0 || action === undefined) throw new FaultSpecError(problems);
  return {
    path: path as FaultTarget,
    remaining: count as number,
    afterProcessing: afterProcessing as boolean,
    action,
  };
}

function parseAction(input: Record<string, unknown>, problems: string[]): FaultAction | undefined {
  const delay = (key: string): number | undefined => {
    const value = input[key];
    if (!Number.isSafeInteger(value) || (value as number) < 0 || (value as number) > MAX_DELAY_MS) {
      problems.push(`${key} must be an integer from 0 to ${MAX_DELAY_MS}.`);
      return undefined;
    }
    return value as number;
  };
  const mustBeTrue = (key: string): boolean => {
    if (input[key] !== true) problems.push(`${key} must be true.`);
    return input[key] === true;
  };

  if (input.latencyMs !== undefined) {
    const ms = delay('latencyMs');
    return ms === undefined ? undefined : { kind: 'latency', ms };
  }
  if (input.slowBodyMs !== undefined) {
    const ms = delay('slowBodyMs');
    return ms === undefined ? undefined : { kind: 'slowBody', ms };
  }
  if (input.hang !== undefined) return mustBeTrue('hang') ? { kind: 'hang' } : undefined;
  if (input.drop !== undefined) return mustBeTrue('drop') ? { kind: 'drop' } : undefined;
  if (input.truncated !== undefined) {
    return mustBeTrue('truncated') ? { kind: 'truncated' } : undefined;
  }
  if (input.malformed !== undefined) {
    const value = input.malformed;
    if (value === true || value === 'not-json') return { kind: 'malformed', variant: 'not-json' };
    if (value === 'wrong-shape') return { kind: 'malformed', variant: 'wrong-shape' };
    problems.push('malformed must be true, "not-json" or "wrong-shape".');
    return undefined;
  }
  return parseStatus(input, problems);
}

function parseStatus(input: Record<string, unknown>, problems: string[]): FaultAction | undefined {
  const { status, code, message, retryAfter } = input;
  let ok = true;
  if (!Number.isSafeInteger(status) || (status as number) < 400 || (status as number) > 599) {
    problems.push('status must be an integer from 400 to 599.');
    ok = false;
  }
  if (code !== undefined && !Number.isSafeInteger(code)) {
    problems.push('code must be an integer.');
    ok = false;
  }
  if (message !== undefined && typeof message !== 'string') {
    problems.push('message must be a string.');
    ok = false;
  }
  let retryAfterHeader: string | undefined;
  if (retryAfter !== undefined) {
    if (Number.isSafeInteger(retryAfter) && (retryAfter as number) >= 0) {
      retryAfterHeader = String(retryAfter);
    } else if (
      typeof retryAfter === 'string' &&
      (/^\d+$/.test(retryAfter) || !Number.isNaN(Date.parse(retryAfter)))
    ) {
      retryAfterHeader = retryAfter;
    } else {
      problems.push('retryAfter must be a non-negative integer of seconds or an HTTP date.');
      ok = false;
    }
  }
  if (!ok) return undefined;
  const s = status as number;
  const action: FaultAction = {
    kind: 'status',
    status: s,
    code: (code as number | undefined) ?? defaultCodeForStatus(s),
    message: (message as string | undefined) ?? defaultMessageForStatus(s),
  };
  if (retryAfterHeader !== undefined) action.retryAfter = retryAfterHeader;
  return action;
}

export interface FaultQueue {
  add(fault: QueuedFault): number;
  /** The first queued fault matching the call, counted as used once. */
  take(call: 'refresh' | 'mint'): QueuedFault | undefined;
  /** Removes every queued fault; returns how many there were. */
  clear(): number;
  readonly size: number;
}

export function createFaultQueue(): FaultQueue {
  const queue: QueuedFault[] = [];
  return {
    add(fault) {
      queue.push({ ...fault });
      return queue.length;
    },
    take(call) {
      const index = queue.findIndex((fault) => fault.path === 'any' || fault.path === call);
      if (index === -1) return undefined;
      const fault = queue[index]!;
      fault.remaining -= 1;
      if (fault.remaining === 0) queue.splice(index, 1);
      return fault;
    },
    clear() {
      const count = queue.length;
      queue.length = 0;
      return count;
    },
    get size() {
      return queue.length;
    },
  };
}
