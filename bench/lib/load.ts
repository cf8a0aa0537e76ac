import { execFile, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import autocannon from 'autocannon';
import { ROOT } from './processes.js';

export interface LoadRequest {
  method: 'POST';
  path: string;
  headers: Record<string, string>;
  body: string;
}

export interface LoadSpec {
  /** Origin, e.g. http://127.0.0.1:4000. */
  origin: string;
  /**
   * Sent in turn (wrk) or one per connection (autocannon). Each body is its own refresh, so no
   * two requests in flight are identical and the gateway's coalescing never merges them.
   */
  requests: LoadRequest[];
  connections: number;
  durationS: number;
}

export interface LoadResult {
  tool: 'wrk' | 'autocannon';
  requests: number;
  durationS: number;
  rps: number;
  p50Ms: number;
  p90Ms: number;
  p99Ms: number;
  meanMs: number;
  maxMs: number;
  /** Responses with an error status: >= 400 under wrk, any non-2xx under autocannon. */
  badStatus: number;
  /** Connect, read and write errors and timeouts. */
  socketErrors: number;
}

export type LoadTool = 'wrk' | 'autocannon';

/** wrk when it is on PATH (it leaves more of the 2 cores to the servers), else autocannon. */
export function pickLoadTool(forced?: string): LoadTool {
  if (forced === 'autocannon') return 'autocannon';
  const found = spawnSync('wrk', ['--version'], { encoding: 'utf8' });
  const hasWrk = found.error === undefined;
  if (forced === 'wrk' && !hasWrk) throw new Error('--tool wrk: wrk is not on PATH');
  return hasWrk ? 'wrk' : 'autocannon';
}

export function runLoad(tool: LoadTool, spec: LoadSpec): Promise<LoadResult> {
  return tool === 'wrk' ? runWrk(spec) : runAutocannon(spec);
}

const run = promisify(execFile);

/** Aborted on Ctrl+C: wrk is a child of its own, which the process list of the run does not hold. */
const interrupted = new AbortController();

/** Stops a wrk run in progress (autocannon runs in-process and ends with it). */
export function abortLoad(): void {
  interrupted.abort();
}

async function runWrk(spec: LoadSpec): Promise<LoadResult> {
  const dir = mkdtempSync(join(tmpdir(), 'bench-wrk-'));
  try {
    const specFile = join(dir, 'requests.lua');
    writeFileSync(specFile, toLuaSpec(spec.requests));
    // One thread: on 2 cores every extra load-generator thread takes CPU from the servers.
    const { stdout } = await run(
      'wrk',
      [
        '-t1',
        `-c${spec.connections}`,
        `-d${spec.durationS}s`,
        '--timeout',
        '5s',
        '-s',
        join(ROOT, 'bench/lib/wrk-post.lua'),
        spec.origin,
        '--',
        specFile,
      ],
      { maxBuffer: 1 << 20, timeout: (spec.durationS + 30) * 1000, signal: interrupted.signal },
    );
    const line = stdout.split('\n').find((l) => l.startsWith('WRK_JSON '));
    if (!line) throw new Error(`wrk printed no summary:\n${stdout}`);
    const s = JSON.parse(line.slice('WRK_JSON '.length)) as Record<string, number>;
    const n = (key: string) => s[key] ?? 0;
    const durationS = n('durationUs') / 1e6;
    return {
      tool: 'wrk',
      requests: n('requests'),
      durationS,
      rps: n('requests') / durationS,
      p50Ms: n('p50Us') / 1000,
      p90Ms: n('p90Us') / 1000,
      p99Ms: n('p99Us') / 1000,
      meanMs: n('meanUs') / 1000,
      maxMs: n('maxUs') / 1000,
      badStatus: n('status'),
      socketErrors: n('connect') + n('read') + n('write') + n('timeout'),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The requests as a Lua table literal; every byte outside printable ASCII is escaped. */
function toLuaSpec(requests: LoadRequest[]): string {
  const str = (value: string) => {
    let out = '"';
    for (const byte of Buffer.from(value, 'utf8')) {
      if (byte === 0x22 || byte === 0x5c) out += `\\${String.fromCharCode(byte)}`;
      else if (byte >= 0x20 && byte < 0x7f) out += String.fromCharCode(byte);
      else out += `\\${byte}`;
    }
    return `${out}"`;
  };
  const rows = requests.map((r) => {
    const headers = Object.entries(r.headers)
      .map(([k, v]) => `[${str(k)}]=${str(v)}`)
      .join(',');
    return `{method=${str(r.method)},path=${str(r.path)},headers={${headers}},body=${str(r.body)}}`;
  });
  return `return {\n${rows.join(',\n')}\n}\n`;
}

async function runAutocannon(spec: LoadSpec): Promise<LoadResult> {
  const first = spec.requests[0];
  if (!first) throw new Error('no requests to send');
  let next = 0;
  const result = await autocannon({
    url: spec.origin + first.path,
    method: 'POST',
    connections: spec.connections,
    duration: spec.durationS,
    timeout: 5,
    headers: first.headers,
    body: first.body,
    setupClient: (client: autocannon.Client) => {
      const r = spec.requests[next++ % spec.requests.length] ?? first;
      client.setHeadersAndBody(r.headers, r.body);
    },
  });
  return {
    tool: 'autocannon',
    requests: result.requests.total,
    durationS: result.duration,
    rps: result.requests.total / result.duration,
    p50Ms: result.latency.p50,
    p90Ms: result.latency.p90,
    p99Ms: result.latency.p99,
    meanMs: result.latency.average,
    maxMs: result.latency.max,
    badStatus: result.non2xx,
    // autocannon's `errors` already counts its timeouts.
    socketErrors: result.errors,
  };
}
