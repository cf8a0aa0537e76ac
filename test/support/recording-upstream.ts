import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RecordedCall {
  method: string;
  path: string;
  headers: Record<string, string>;
  body: string;
}

export type Responder = (
  call: RecordedCall,
  res: ServerResponse,
  index: number,
) => void | Promise<void>;

/**
 * A real loopback HTTP server standing in for Circle: it records every request as received and
 * answers with the responder the test gives it.
 */
export async function startRecordingUpstream(responder: Responder) {
  const calls: RecordedCall[] = [];
  let respond = responder;
  const server = createServer((req: IncomingMessage, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const headers: Record<string, string> = {};
      for (const [name, value] of Object.entries(req.headers)) {
        headers[name] = Array.isArray(value) ? value.join(', ') : (value ?? '');
      }
      const call = {
        method: req.method ?? '',
        path: req.url ?? '',
        headers,
        body: Buffer.concat(chunks).toString('utf8'),
      };
      calls.push(call);
      void respond(call, res, calls.length - 1);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    calls,
    setResponder(next: Responder) {
      respond = next;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Answers like Circle: JSON body, an X-Request-Id (the caller's, when it sent one). */
export function answer(
  res: ServerResponse,
  call: RecordedCall,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
) {
  res.writeHead(status, {
    'content-type': 'application/json',
    'x-request-id': call.headers['x-request-id'] ?? 'circle-request-id',
    ...headers,
  });
  res.end(JSON.stringify(body));
}
