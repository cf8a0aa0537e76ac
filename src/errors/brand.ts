/**
 * How the gateway recognises its own errors. A host can load this package twice (two versions, or
 * one through ESM and one bundled), and then `instanceof` fails across the copies; a
 * `Symbol.for` key is the same in every copy and realm. As in undici, every class also has a
 * stable `name` and SCREAMING_SNAKE `code`, and callers test those, never the class.
 *
 * No imports, no graphql-js, no node:*: src/circle/ and the browser client use this file too.
 */

/** Marks an error as made by this package, whichever copy of it made the error. */
export const ERROR_BRAND: unique symbol = Symbol.for('circle-wallets-graphql-gateway.error');

/** An error of this package: branded, with its stable code. */
export interface BrandedError extends Error {
  readonly [ERROR_BRAND]: true;
  readonly code: string;
}

/**
 * Brands every instance of `errorClass` and its subclasses. The mark lives on the prototype and
 * is not enumerable, so it never shows in a log line, a spread or a JSON body.
 */
export function brandErrorClass(errorClass: abstract new (...args: never[]) => Error): void {
  Object.defineProperty(errorClass.prototype, ERROR_BRAND, { value: true });
}

/** Whether `error` was made by this package (by any copy of it), optionally with this code. */
export function isBrandedError(error: unknown, code?: string): error is BrandedError {
  const found = errorCodeOf(error);
  return found !== undefined && (code === undefined || found === code);
}

/** The stable `code` of an error this package made, or undefined for anything else. */
export function errorCodeOf(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  if ((error as Partial<BrandedError>)[ERROR_BRAND] !== true) return undefined;
  const { code } = error as { code?: unknown };
  return typeof code === 'string' ? code : undefined;
}
