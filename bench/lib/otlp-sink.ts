/**
 * The production profile's trace collector: an OTLP/HTTP receiver on loopback that answers 200
 * and counts what arrives, so a run can show the traced gateways really exported. It runs in the
 * harness's own process (whose CPU the others' share already counts as ours).
 *
 * Spans are counted by walking the protobuf wire format by hand (ExportTraceServiceRequest →
 * resource_spans = 1 → scope_spans = 2 → spans = 2) rather than decoding with
 * @opentelemetry/otlp-transformer: counting needs only the field numbers, and the gateway's
 * default protocol is http/protobuf. http/json bodies are counted from the parsed JSON.
 */
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';

/** What one exporter (one path prefix) sent. */
export interface SinkCounts {
  posts: number;
  spans: number;
  bytes: number;
  /** Bodies the sink could not read (still answered 200: an exporter is never failed). */
  unreadable: number;
}

export interface OtlpSink {
  /** http://127.0.0.1:<port>; `${url}/<name>` is an OTEL_EXPORTER_OTLP_ENDPOINT of its own. */
  url: string;
  /** Per path prefix ('' for a plain /v1/traces), everything received so far. */
  counts(): Record<string, SinkCounts>;
  close(): Promise<void>;
}

/** Bodies above this are refused (413): a bound on what one export may hold in memory. */
const MAX_BODY_BYTES = 16 * 1024 * 1024;

/** POST [/<name>]/v1/traces: the OTLP/HTTP path, with the name an exporter's endpoint adds. */
const TRACES_PATH = /^(?:\/([\w-]+))?\/v1\/traces$/;

function* fields(buf: Buffer): Generator<{ field: number; bytes?: Buffer }> {
  let at = 0;
  const varint = (): number => {
    let value = 0;
    for (let shift = 0; shift < 64; shift += 7) {
      if (at >= buf.length) throw new Error('truncated varint');
      const byte = buf[at++]!;
      value += (byte & 0x7f) * 2 ** shift;
      if ((byte & 0x80) === 0) return value;
    }
    throw new Error('varint too long');
  };
  while (at < buf.length) {
    const key = varint();
    const field = Math.floor(key / 8);
    const wire = key % 8;
    if (wire === 0) varint();
    else if (wire === 1) at += 8;
    else if (wire === 5) at += 4;
    else if (wire === 2) {
      const length = varint();
      if (at + length > buf.length) throw new Error('truncated field');
      yield { field, bytes: buf.subarray(at, at + length) };
      at += length;
      continue;
    } else throw new Error(`unsupported wire type ${wire}`);
    if (at > buf.length) throw new Error('truncated field');
    yield { field };
  }
}

/** The length-delimited sub-messages of `buf` with the given field number. */
function* children(buf: Buffer, field: number): Generator<Buffer> {
  for (const f of fields(buf)) if (f.field === field && f.bytes) yield f.bytes;
}

/** Spans in an ExportTraceServiceRequest, protobuf or JSON. Throws on a body it cannot read. */
export function countSpans(body: Buffer, contentType: string | undefined): number {
  if (contentType?.includes('json')) {
    const request = JSON.parse(body.toString('utf8')) as {
      resourceSpans?: Array<{ scopeSpans?: Array<{ spans?: unknown[] }> }>;
    };
    let spans = 0;
    for (const rs of request.resourceSpans ?? [])
      for (const ss of rs.scopeSpans ?? []) spans += ss.spans?.length ?? 0;
    return spans;
  }
  let spans = 0;
  for (const resourceSpans of children(body, 1))
    for (const scopeSpans of children(resourceSpans, 2))
      for (const _span of children(scopeSpans, 2)) spans += 1;
  return spans;
}

async function readBody(req: IncomingMessage): Promise<Buffer | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) return undefined;
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

/** Starts the sink on a free 127.0.0.1 port. */
export async function startOtlpSink(): Promise<OtlpSink> {
  const counts: Record<string, SinkCounts> = {};
  const server = createServer((req, res) => {
    const match = req.method === 'POST' ? TRACES_PATH.exec(req.url ?? '') : null;
    if (!match) {
      req.resume();
      res.writeHead(404).end();
      return;
    }
    const name = match[1] ?? '';
    readBody(req).then(
      (raw) => {
        if (raw === undefined) {
          res.writeHead(413, { connection: 'close' }).end();
          return;
        }
        counts[name] ??= { posts: 0, spans: 0, bytes: 0, unreadable: 0 };
        const entry = counts[name];
        entry.posts += 1;
        entry.bytes += raw.length;
        try {
          const body = req.headers['content-encoding'] === 'gzip' ? gunzipSync(raw) : raw;
          entry.spans += countSpans(body, req.headers['content-type']);
        } catch {
          entry.unreadable += 1;
        }
        // An empty ExportTraceServiceResponse: full success, in either encoding.
        const json = req.headers['content-type']?.includes('json');
        res
          .writeHead(200, { 'content-type': json ? 'application/json' : 'application/x-protobuf' })
          .end(json ? '{}' : '');
      },
      () => {
        if (!res.headersSent) res.writeHead(400).end();
      },
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    counts: () => structuredClone(counts),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
