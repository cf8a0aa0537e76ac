/**
 * What a setting is: its environment variable, its default, its parser and its line in the
 * settings table. Each area declares its own list next to its code (e.g. src/security/settings.ts);
 * the composition root (src/settings.ts) gathers them and reads the environment once. A setting's
 * type is its parser's: the Config type is derived from the lists, never restated.
 */

/** Turns the raw value (never empty) into the setting's value, or says what is wrong with it. */
export type Parser<T> = (raw: string) => T | { problem: string };

export interface Setting<K extends string = string, T = unknown> {
  key: K;
  env: string;
  /** The value when the variable is unset or empty; typed by `parse`, not widening it. */
  default: NoInfer<T>;
  parse: Parser<T>;
  /** One line for the settings table (docs). */
  description: string;
  /** How the table shows the default, where the value alone would not say it. */
  defaultLabel?: string;
  /** The value may hold a password: a problem with it never quotes it. */
  secret?: boolean;
}

/** Declares one setting; its key and type are kept for the Config type. */
export const setting = <const K extends string, T>(s: Setting<K, T>): Setting<K, T> => s;

/** The values a list of settings gives: one field per key, typed by its parser. */
export type ValuesOf<S extends readonly Setting<string, unknown>[]> = {
  [E in S[number] as E['key']]: E extends Setting<string, infer T> ? T : never;
};

/** A parser whose setting may be unset (its default is `undefined`). */
export const optional = <T>(parse: Parser<T>): Parser<T | undefined> => parse;

export const integer =
  (min: number, max = Number.MAX_SAFE_INTEGER): Parser<number> =>
  (raw) => {
    const value = Number(raw);
    return /^-?\d+$/.test(raw.trim()) && value >= min && value <= max
      ? value
      : { problem: `must be a whole number from ${min} to ${max}` };
  };

export const ratio: Parser<number> = (raw) => {
  const value = Number(raw);
  return raw.trim() !== '' && Number.isFinite(value) && value >= 0 && value <= 1
    ? value
    : { problem: 'must be a number from 0 to 1' };
};

export const text: Parser<string> = (raw) =>
  raw.trim() ? raw.trim() : { problem: 'must not be empty' };

/** `auto` leaves the choice to NODE_ENV (see resolveToggle). */
export const toggle: Parser<boolean | 'auto'> = (raw) => {
  const value = raw.trim().toLowerCase();
  if (value === 'auto') return 'auto';
  if (value === 'true' || value === '1' || value === 'on') return true;
  if (value === 'false' || value === '0' || value === 'off') return false;
  return { problem: 'must be true, false or auto' };
};

export const boolean: Parser<boolean> = (raw) => {
  const value = raw.trim().toLowerCase();
  if (value === 'true') return true;
  if (value === 'false') return false;
  return { problem: 'must be true or false' };
};

/** `auto` follows NODE_ENV: on in development, off in production. */
export const resolveToggle = (value: boolean | 'auto', production: boolean): boolean =>
  value === 'auto' ? !production : value;

/** One of a few words, case-insensitive. */
export const oneOf =
  <const W extends string>(words: readonly W[]): Parser<W> =>
  (raw) => {
    const value = raw.trim().toLowerCase();
    return (words as readonly string[]).includes(value)
      ? (value as W)
      : { problem: `must be ${words.slice(0, -1).join(', ')} or ${words.at(-1)}` };
  };
