/**
 * Structured JSON logs, one object a line. Fields are allow-listed by the call sites' types:
 * nothing takes a free-form object, so no request, header or token can slip into a line.
 */

export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'silent';

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
}

export function createLogger(options: LoggerOptions = {}, bound: LogFields = {}): Logger {
  const threshold = LEVELS[options.level ?? 'info'];
  const write = options.write ?? ((line: string) => process.stdout.write(`${line}\n`));
  const now = options.now ?? Date.now;
  const emit = (level: Exclude<LogLevel, 'silent'>, msg: string, fields?: LogFields) => {
    if (LEVELS[level] < threshold) return;
    write(JSON.stringify({ level, time: new Date(now()).toISOString(), msg, ...bound, ...fields }));
  };
  return {
    debug: (msg, fields) => emit('debug', msg, fields),
    info: (msg, fields) => emit('info', msg, fields),
    warn: (msg, fields) => emit('warn', msg, fields),
    error: (msg, fields) => emit('error', msg, fields),
    child: (fields) => createLogger(options, { ...bound, ...fields }),
  };
}
