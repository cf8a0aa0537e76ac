import type { IncomingMessage } from 'node:http';
import { brandErrorClass, isBrandedError } from '../errors/brand.js';
import type { CircleErrorBody, CircleErrorSpec, FieldError } from './errors.js';

/**
 * A complete answer, computed before anything is written to the socket, so that faults can
 * deliver it late, slowly, partially or not at all, and idempotent replays can resend its bytes.
 */
export interface Answer {
  status: number;
  headers: Record<string, string>;
  /** The exact bytes sent; empty for answers without a body. */
  body: string;
}

export function jsonAnswer(
  status: number,
  value: unknown,
  headers: Record<string, string> = {},
): Answer {
  return {
    status,
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(value),
  };
}

export function errorAnswer(
  spec: CircleErrorSpec,
  extra: { headers?: Record<string, string>; errors?: FieldError[]; message?: string } = {},
): Answer {
  const body: CircleErrorBody = { code: spec.code, message: extra.message ?? spec.message };
  if (extra.errors !== undefined) body.errors = extra.errors;
  return jsonAnswer(spec.status, body, extra.headers);
}

export class BodyTooLargeError extends Error {
  override readonly name = 'BodyTooLargeError';
  readonly code = 'SIMULATOR_BODY_TOO_LARGE';
}
brandErrorClass(BodyTooLargeError);

export const isBodyTooLargeError = (error: unknown): error is BodyTooLargeError =>
  isBrandedError(error, 'SIMULATOR_BODY_TOO_LARGE');

/** Reads the whole request body as UTF-8, refusing more than `limit` bytes. */
export function readBody(req: IncomingMessage, limit: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        reject(new BodyTooLargeError(`Request body exceeds ${limit} bytes.`));
        // Stop buffering but keep draining, so the error answer can still be written.
        req.removeAllListeners('data');
        req.resume();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

export type ParsedBody =
  | { kind: 'empty' }
  | { kind: 'json'; value: unknown }
  | { kind: 'invalid'; text: string };

/** Circle reads bodies as JSON whatever the Content-Type says; so does the simulator. */
export function parseBody(text: string): ParsedBody {
  if (text.trim() === '') return { kind: 'empty' };
  try {
    return { kind: 'json', value: JSON.parse(text) as unknown };
  } catch {
    return { kind: 'invalid', text };
  }
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Node gives repeated headers as arrays; a plain `name → value` object is easier to assert on. */
export function flattenHeaders(headers: IncomingMessage['headers']): Record<string, string> {
  const flat: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined) continue;
    flat[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : value;
  }
  return flat;
}

export function singleHeader(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}
