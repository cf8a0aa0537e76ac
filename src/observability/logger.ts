/**
 * Structured JSON logs, one object a line. Fields are allow-listed by the call sites' types:
 * nothing takes a free-form object, so no request, header or token can slip into a line.
 */

export const LOG_LEVELS = ['debug', 'info', 'warn', 'error', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];
export const DEFAULT_LOG_LEVEL: LogLevel = 'info';

const LEVELS: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40, silent: 99 };

export type LogValue = string | number | boolean | null | undefined;
export type LogFields = Record<string, LogValue>;

export interface Logger {
  debug(msg: string, fields?: LogFields): void;
  info(msg: string, fields?: LogFields): void;
  warn(msg: string, fields?: LogFields): void;
  error(msg: string, fields?: LogFields): void;
  /** A logger whose lines all carry `fields` (e.g. the request id). */
  child(fields: LogFields): Logger;
}

export interface LoggerOptions {
  /** @default 'info' */
  level?: LogLevel;
  /** Where lines go. @default one line to stdout */
  write?: (line: string) => void;
  now?: () => number;
  /**
   * The active trace's ids, added to every line logged inside a trace (`Tracing.logFields`).
   * @default undefined (no trace fields)
   */
  traceFields?: () => { trace_id: string; span_id: string } | undefined;
}

interface Sink {
  threshold: number;
  write: (line: string) => void;
  now: () => number;
  traceFields: LoggerOptions['traceFields'];
}

// A class, so a child (one per request) is one small object, not five closures.
class JsonLogger implements Logger {
  constructor(
    private readonly sink: Sink,
    private readonly bound: LogFields,
  ) {}

  private emit(level: Exclude<LogLevel, 'silent'>, msg: string, fields?: LogFields): void {
    if (LEVELS[level] < this.sink.threshold) return;
    const time = new Date(this.sink.now()).toISOString();
    const trace = this.sink.traceFields?.();
    this.sink.write(JSON.stringify({ level, time, msg, ...this.bound, ...fields, ...trace }));
  }

  debug(msg: string, fields?: LogFields): void {
    this.emit('debug', msg, fields);
  }
  info(msg: string, fields?: LogFields): void {
    this.emit('info', msg, fields);
  }
  warn(msg: string, fields?: LogFields): void {
    this.emit('warn', msg, fields);
  }
  error(msg: string, fields?: LogFields): void {
    this.emit('error', msg, fields);
  }
  child(fields: LogFields): Logger {
    return new JsonLogger(this.sink, { ...this.bound, ...fields });
  }
}

export function createLogger(options: LoggerOptions = {}, bound: LogFields = {}): Logger {
  const sink: Sink = {
    threshold: LEVELS[options.level ?? DEFAULT_LOG_LEVEL],
    write: options.write ?? ((line: string) => process.stdout.write(`${line}\n`)),
    now: options.now ?? Date.now,
    traceFields: options.traceFields,
  };
  return new JsonLogger(sink, bound);
}
