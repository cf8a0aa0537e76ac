import type { IncomingMessage, ServerResponse } from 'node:http';

/**
 * node:http reading and writing for the transports that skip the Fetch-API layer (the fast path,
 * the front door's refusals): bodies read once, Fetch Requests built only when something reads
 * them, answers written with their length.
 */

/** What the response headers need of a request. */
export interface HeaderSource {
  method: string;
  headers: { get(name: string): string | null };
}

/** A node:http request as Fetch's RequestInit, with its body already read: headers as sent. */
export function fetchInit(req: IncomingMessage, body: Buffer): RequestInit {
  const headers: Array<[string, string]> = [];
  const raw = req.rawHeaders;
  for (let i = 0; i < raw.length; i += 2) headers.push([raw[i]!, raw[i + 1]!]);
  return { method: 'POST', headers, body: new Uint8Array(body) };
}

/** A request header as one string (node:http joins repeated ones with ", " already). */
export const headerOf = (req: IncomingMessage, name: string): string | undefined => {
  const value = req.headers[name];
  return Array.isArray(value) ? value.join(', ') : value;
};

/** The request body, or undefined when the client went away before sending all of it. */
export function readBody(req: IncomingMessage): Promise<Buffer | undefined> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      chunks.push(chunk);
      size += chunk.length;
    });
    req.once('end', () => resolve(chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, size)));
    req.once('error', () => resolve(undefined));
    req.once('close', () => {
      if (!req.complete) resolve(undefined);
    });
  });
}

/**
 * A POST Request that is built on first use: `method` and `url` answer without it; anything else
 * (headers, body, clone, …) is the real Request's, and `instanceof Request` holds.
 */
export function lazyRequest(
  RequestClass: typeof Request,
  url: string,
  init: () => RequestInit,
): Request {
  let real: Request | undefined;
  const materialize = () => {
    real ??= new RequestClass(url, init());
    return real;
  };
  return new Proxy({} as Request, {
    get(_target, property) {
      if (property === 'method') return 'POST';
      if (property === 'url') return url;
      const target = materialize();
      const value = Reflect.get(target, property, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
    has: (_target, property) => Reflect.has(materialize(), property),
    getPrototypeOf: () => RequestClass.prototype,
  });
}

/** The headers of a node:http request as the response-header function reads them. */
export const nodeHeaderSource = (req: IncomingMessage): HeaderSource => ({
  method: req.method ?? 'GET',
  headers: { get: (name) => headerOf(req, name.toLowerCase()) ?? null },
});

/** Writes a status, headers and body to a node:http response, with its content length. */
export function writeAnswer(
  res: ServerResponse,
  status: number,
  headers: Record<string, string>,
  body: string | Uint8Array,
): void {
  const flat: string[] = [];
  for (const name in headers) {
    if (name !== 'content-length') flat.push(name, headers[name]!);
  }
  flat.push(
    'content-length',
    String(typeof body === 'string' ? Buffer.byteLength(body) : body.byteLength),
  );
  res.writeHead(status, flat);
  res.end(body);
}
