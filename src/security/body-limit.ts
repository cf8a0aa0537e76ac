import type { Plugin } from 'graphql-yoga';
import { GatewayRefusal } from './refusal.js';

/** The body limit's default, for code and for MAX_BODY_BYTES alike. */
export const DEFAULT_MAX_BODY_BYTES = 65_536;

export interface BodyLimitOptions {
  /**
   * Largest request body, in bytes. A larger Content-Length is refused before the body is read; a
   * body without one (chunked) is counted as it streams and refused once it passes the limit.
   * @default 65536
   */
  maxBytes?: number;
}

/** The refusal of a body over the limit: by its Content-Length or as it streams. */
export const bodyTooLarge = (maxBytes: number): GatewayRefusal =>
  new GatewayRefusal(`The request body is larger than ${maxBytes} bytes.`, {
    code: 'BAD_USER_INPUT',
    reason: 'BODY_TOO_LARGE',
    status: 413,
    // The rest of the body is not read: the connection cannot be reused.
    headers: { connection: 'close' },
  });

/**
 * Counts a body that comes without a Content-Length (chunked) as Yoga reads it, and refuses it with
 * 413 once it passes `maxBytes`. A declared Content-Length over the limit is refused before any of
 * this by the request checks (src/http/request-checks.ts).
 */
export function useStreamedBodyLimit(options: BodyLimitOptions = {}): Plugin {
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_BODY_BYTES;
  if (!Number.isSafeInteger(maxBytes) || maxBytes < 1) {
    throw new RangeError('maxBytes must be a whole number >= 1');
  }
  return {
    onRequestParse({ request, requestParser, setRequestParser, fetchAPI }) {
      const declared = request.headers.get('content-length');
      // node:http frames the body by Content-Length: it cannot deliver more than declared (and
      // the checks refused more than the limit), so counting it again would buy nothing.
      if (declared !== null && /^\d+$/.test(declared.trim())) return;
      if (!requestParser || !request.body) return;
      const parse = requestParser;
      setRequestParser((original) => {
        const body = original.body;
        if (!body) return parse(original);
        let seen = 0;
        // As Yoga's own limit does: a native stream needs the native TransformStream.
        const Transform =
          body instanceof ReadableStream ? globalThis.TransformStream : fetchAPI.TransformStream;
        const counted = body.pipeThrough(
          new Transform<Uint8Array, Uint8Array>({
            transform(chunk, controller) {
              seen += chunk.byteLength;
              if (seen > maxBytes) controller.error(bodyTooLarge(maxBytes));
              else controller.enqueue(chunk);
            },
          }),
        );
        const limited = new fetchAPI.Request(original.url, {
          method: original.method,
          headers: original.headers,
          body: counted,
          signal: original.signal,
          // @ts-expect-error a streamed body needs duplex; the Request type does not list it.
          duplex: 'half',
        });
        return parse(limited);
      });
    },
  };
}
