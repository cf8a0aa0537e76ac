import { readFileSync } from 'node:fs';

/** The parts of V8's .cpuprofile format (what `node --cpu-prof` writes) this reads. */
interface CpuProfile {
  nodes: Array<{
    id: number;
    callFrame: { functionName: string; url: string; lineNumber: number; columnNumber: number };
    children?: number[];
  }>;
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

export interface ProfileEntry {
  name: string;
  ms: number;
  /** Share of the non-idle time in the window. */
  share: number;
}

export interface ProfileSummary {
  file: string;
  /** Time covered by the samples taken in the window, idle included. */
  windowMs: number;
  /** Time the process was not idle (in JS, GC, or native code called from JS). */
  busyMs: number;
  samples: number;
  /** Self time by function name + file:line. */
  topSelf: ProfileEntry[];
  /** Self time by package (node_modules/<name>), Node internal area, or file of src/. */
  selfByArea: ProfileEntry[];
  /** Time with at least one frame of the group on the stack (groups overlap). */
  inclusiveByGroup: ProfileEntry[];
  /** Inclusive time of the gateway's own functions (src/). */
  topSrcInclusive: ProfileEntry[];
}

const IDLE = new Set(['(idle)', '(program)', '(root)']);

/** Shortens a script URL: the repository and node_modules prefixes go. */
export function shortUrl(url: string): string {
  const nm = url.lastIndexOf('/node_modules/');
  if (nm !== -1) return url.slice(nm + '/node_modules/'.length);
  const src = url.search(/\/(src|bench)\//);
  if (src !== -1 && url.startsWith('file://')) return url.slice(src + 1);
  return url;
}

/** Where a frame's code lives: a package, an area of Node, or a file of ours. */
export function areaOf(functionName: string, url: string): string {
  if (url === '') return functionName.startsWith('(') ? functionName : '(native)';
  const short = shortUrl(url);
  if (url.includes('/node_modules/')) {
    const parts = short.split('/');
    return parts[0]?.startsWith('@') ? `${parts[0]}/${parts[1]}` : (parts[0] ?? short);
  }
  if (url.startsWith('node:')) {
    if (/_http_|internal\/http/.test(url)) return 'node:http';
    if (/internal\/streams|node:stream/.test(url)) return 'node:streams';
    if (/node:net|internal\/net|stream_base|node:dns/.test(url)) return 'node:net';
    if (url.includes('abort_controller')) return 'node:abort_controller';
    if (url.includes('internal/crypto')) return 'node:crypto';
    if (url.includes('internal/url')) return 'node:url';
    if (/timers/.test(url)) return 'node:timers';
    if (/task_queues|internal\/process\/promises/.test(url)) return 'node:microtasks';
    if (/node:events|internal\/event_target/.test(url)) return 'node:events';
    if (url.includes('internal/deps/undici')) return 'node:undici(fetch)';
    if (/buffer|internal\/util/.test(url)) return 'node:buffer/util';
    return 'node:other';
  }
  return short;
}

type Frame = { functionName: string; url: string };

/** The gateway's own code: src/ through tsx, dist/ as production (and the bench) runs it. */
const isOurs = (url: string) => /\/(src|dist)\//.test(url) && !url.includes('/node_modules/');

/** Groups asked about in the analysis; a sample counts for every group on its stack. */
const GROUPS: Array<[string, (f: Frame) => boolean]> = [
  ['our code (src/)', (f) => isOurs(f.url)],
  ['graphql-yoga + @envelop (pipeline, plugins)', (f) => /graphql-yoga|@envelop/.test(f.url)],
  [
    '@whatwg-node (Fetch API Request/Response over node:http)',
    (f) => f.url.includes('@whatwg-node'),
  ],
  ['graphql parse (language/)', (f) => f.url.includes('/graphql/language/')],
  ['graphql validate (validation/)', (f) => f.url.includes('/graphql/validation/')],
  [
    'execute (@graphql-tools/executor, graphql/execution)',
    (f) => /@graphql-tools\/executor\/|\/graphql\/execution\//.test(f.url),
  ],
  [
    'variables coercion (coerceInputValue, executor values)',
    (f) => /coerceInputValue|executor\/.*\/values\.js/.test(f.url),
  ],
  ['@pothos (resolver wrappers)', (f) => f.url.includes('@pothos')],
  ['undici (upstream client)', (f) => f.url.includes('/node_modules/undici/')],
  ['AbortSignal.any/timeout (node:abort_controller)', (f) => f.url.includes('abort_controller')],
  ['uuid', (f) => f.url.includes('/node_modules/uuid/')],
  ['crypto hash (sha256)', (f) => f.url.includes('internal/crypto/hash')],
  [
    'JSON logging (src/observability/logger.ts)',
    (f) => /\/(src|dist)\/observability\/logger\.[jt]s$/.test(f.url),
  ],
  ['DataLoader', (f) => f.url.includes('/node_modules/dataloader/')],
  [
    'metrics (src/observability/metrics.ts, prom-client)',
    (f) => /\/(src|dist)\/observability\/metrics\.[jt]s|prom-client/.test(f.url),
  ],
  ['new DOMException (an abort: stack captured)', (f) => f.functionName === 'DOMException'],
  [
    'stream pipeline (node:stream/promises)',
    (f) => /internal\/streams\/pipeline|node:stream\/promises/.test(f.url),
  ],
  ['node:http server/client', (f) => /_http_|internal\/http/.test(f.url)],
  [
    'JSON.parse / JSON.stringify (native)',
    (f) => f.url === '' && /^(parse|stringify)$/.test(f.functionName),
  ],
  ['(garbage collector)', (f) => f.functionName === '(garbage collector)'],
];

/**
 * Aggregates a .cpuprofile. With a window (µs, on the monotonic clock that both V8's profile
 * timestamps and process.hrtime use), only the samples taken inside it count: start-up and
 * shut-down stay out.
 */
export function summarizeProfile(
  file: string,
  window?: { fromUs: number; toUs: number },
  top = 25,
): ProfileSummary {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);

  const keyOf = (id: number) => {
    const f = byId.get(id)!.callFrame;
    const name = f.functionName || '(anonymous)';
    if (!f.url) return name;
    // Lines and columns are of the code as run: tsx's output for src/ keeps few line breaks,
    // so the column tells functions on one line apart.
    const ours = !f.url.includes('/node_modules/') && f.url.startsWith('file:');
    return `${name} ${shortUrl(f.url)}:${f.lineNumber + 1}${ours ? `:${f.columnNumber + 1}` : ''}`;
  };
  // Per node: the distinct function keys and groups on its stack (memoized walk to the root).
  const stackCache = new Map<number, { fns: Set<string>; groups: Set<string> }>();
  const stackOf = (id: number): { fns: Set<string>; groups: Set<string> } => {
    const cached = stackCache.get(id);
    if (cached) return cached;
    const up = parent.get(id);
    const base =
      up === undefined ? { fns: new Set<string>(), groups: new Set<string>() } : stackOf(up);
    const fns = new Set(base.fns);
    const groups = new Set(base.groups);
    const frame = byId.get(id)!.callFrame;
    if (isOurs(frame.url)) fns.add(keyOf(id));
    for (const [name, test] of GROUPS) if (test(frame)) groups.add(name);
    const entry = { fns, groups };
    stackCache.set(id, entry);
    return entry;
  };

  const self = new Map<string, number>();
  const area = new Map<string, number>();
  const inclusive = new Map<string, number>();
  const srcInclusive = new Map<string, number>();
  const add = (map: Map<string, number>, key: string, us: number) =>
    map.set(key, (map.get(key) ?? 0) + us);

  let t = profile.startTime;
  let windowUs = 0;
  let busyUs = 0;
  let counted = 0;
  const { samples, timeDeltas } = profile;
  for (let i = 0; i < samples.length; i += 1) {
    t += timeDeltas[i] ?? 0;
    if (window && (t < window.fromUs || t > window.toUs)) continue;
    // A sample stands for the time until the next one.
    const us = timeDeltas[i + 1] ?? timeDeltas[i] ?? 0;
    const id = samples[i]!;
    const frame = byId.get(id)!.callFrame;
    windowUs += us;
    counted += 1;
    if (IDLE.has(frame.functionName) && frame.url === '') continue;
    busyUs += us;
    add(self, keyOf(id), us);
    add(area, areaOf(frame.functionName, frame.url), us);
    const stack = stackOf(id);
    for (const g of stack.groups) add(inclusive, g, us);
    for (const fn of stack.fns) add(srcInclusive, fn, us);
  }
  const rank = (map: Map<string, number>, n: number): ProfileEntry[] =>
    [...map]
      .sort((a, b) => b[1] - a[1])
      .slice(0, n)
      .map(([name, us]) => ({ name, ms: us / 1000, share: busyUs ? us / busyUs : 0 }));
  return {
    file,
    windowMs: windowUs / 1000,
    busyMs: busyUs / 1000,
    samples: counted,
    topSelf: rank(self, top),
    selfByArea: rank(area, 20),
    inclusiveByGroup: GROUPS.map(([name]) => ({
      name,
      ms: (inclusive.get(name) ?? 0) / 1000,
      share: busyUs ? (inclusive.get(name) ?? 0) / busyUs : 0,
    })),
    topSrcInclusive: rank(srcInclusive, 20),
  };
}

/** The summary as text tables for the terminal. */
export function formatProfile(summary: ProfileSummary, requests?: number): string {
  const perReq = (ms: number) =>
    requests ? `${((ms * 1000) / requests).toFixed(1).padStart(7)} µs/req` : '';
  const table = (title: string, rows: ProfileEntry[]) =>
    [
      title,
      ...rows.map(
        (r, i) =>
          `${String(i + 1).padStart(3)}. ${(r.share * 100).toFixed(1).padStart(5)}%  ${r.ms
            .toFixed(0)
            .padStart(6)} ms ${perReq(r.ms)}  ${r.name}`,
      ),
    ].join('\n');
  return [
    `Profile ${summary.file}`,
    `  ${summary.samples} samples in the load window: ${summary.windowMs.toFixed(0)} ms, busy ${summary.busyMs.toFixed(0)} ms (shares below are of busy time)`,
    table(`Top ${summary.topSelf.length} functions by self time:`, summary.topSelf),
    table('Self time by area:', summary.selfByArea),
    table(
      'Inclusive time by group (a sample counts for every group on its stack):',
      summary.inclusiveByGroup,
    ),
    table('Our functions (src/) by inclusive time:', summary.topSrcInclusive),
  ].join('\n\n');
}
