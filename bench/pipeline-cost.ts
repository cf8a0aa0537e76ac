/**
 * The gateway's own CPU per request, without sockets or an upstream: `handleNodeRequest` driven
 * with in-memory requests and responses, over a Circle client that answers at once. It isolates
 * what the product adds (front door, fast path or Yoga, envelop, execution, result steps,
 * headers) from what any Node proxy pays (node:http, undici, the kernel's loopback), so a change
 * to the pipeline shows in figures that move by a few percent, not the ±25% of a loaded run.
 *
 *   npx tsx bench/pipeline-cost.ts                     # production settings, both paths
 *   npx tsx bench/pipeline-cost.ts --requests 40000 --rounds 5
 *   npm run build && node --import tsx --cpu-prof bench/pipeline-cost.ts --build dist
 *
 * Prints µs of CPU per request (user + system, the best of the rounds) for each request shape
 * on the fast path and with FAST_PATH=false.
 */
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';
import { PassThrough } from 'node:stream';
import { parseArgs } from 'node:util';
import type { CircleClient } from '../src/circle/client.js';
import type * as GatewayModule from '../src/http/gateway.js';
import type { Gateway } from '../src/http/gateway.js';
import type * as LoggerModule from '../src/observability/logger.js';
import type * as SecurityModule from '../src/security/from-config.js';
import type * as ConfigModule from '../src/settings.js';

// graphql-js picks its production instanceof check when first loaded, as the gateway's process
// does: set before any module that loads it (so every import below is dynamic).
process.env.NODE_ENV = 'production';
const { rateLimitOverrides } = await import('./lib/rate-limit-overrides.js');
// `--build dist` measures the compiled package (what `npm start` runs; profiles keep line numbers).
const root = process.argv.includes('dist') ? '../dist' : '../src';
const { readConfig } = (await import(`${root}/settings.js`)) as typeof ConfigModule;
const { createGateway } = (await import(`${root}/http/gateway.js`)) as typeof GatewayModule;
const { createLogger } = (await import(`${root}/observability/logger.js`)) as typeof LoggerModule;
const { securityOptionsFromConfig } = (await import(
  `${root}/security/from-config.js`
)) as typeof SecurityModule;

const { values: args } = parseArgs({
  options: {
    requests: { type: 'string', default: '20000' },
    rounds: { type: 'string', default: '5' },
    only: { type: 'string' },
    build: { type: 'string', default: 'src' },
    paths: { type: 'string', default: 'fast,yoga' },
    'alloc-profile': { type: 'string' },
  },
});
const REQUESTS = Number(args.requests);
const ROUNDS = Number(args.rounds);

const jwt = (claims: Record<string, unknown>) => {
  const part = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
  return `${part({ alg: 'HS256', typ: 'JWT' })}.${part(claims)}.c2lnbmF0dXJl`;
};
const USER_TOKEN = jwt({ sub: 'user-1', exp: 4_102_444_800 });

/** Circle answering every call at once, as the simulator's replay does. */
const client: CircleClient = {
  refreshUserToken: async () => ({
    data: {
      userToken: USER_TOKEN,
      encryptionKey: 'ZW5jcnlwdGlvbi1rZXk=',
      userId: 'user-1',
      refreshToken: 'refresh-2',
    },
    requestId: '00000000-0000-4000-8000-000000000000',
  }),
  createUserToken: async () => ({
    data: { userToken: USER_TOKEN, encryptionKey: 'ZW5jcnlwdGlvbi1rZXk=' },
    requestId: '00000000-0000-4000-8000-000000000000',
  }),
  status: () => ({ circuit: 'closed', inFlight: 0, queued: 0 }),
  close: async () => {},
};

const MUTATION = `mutation RefreshUserToken($input: RefreshUserTokenInput!) {
  refreshUserToken(input: $input) { userToken encryptionKey refreshToken expiresAt }
}`;
const body = (input: Record<string, unknown>) =>
  JSON.stringify({ query: MUTATION, operationName: 'RefreshUserToken', variables: { input } });
const SHAPES: Record<string, string> = {
  userToken: body({
    user: { userToken: USER_TOKEN },
    deviceId: 'device-1',
    refreshToken: 'refresh-1',
    idempotencyKey: '5f0c7a3e-1d2b-4c5d-8e9f-0a1b2c3d4e5f',
  }),
  badInput: body({ user: { userToken: USER_TOKEN }, deviceId: 'device-1', refreshToken: ' ' }),
};

function gatewayWith(fastPath: boolean): Gateway {
  const config = readConfig({
    NODE_ENV: 'production',
    CIRCLE_API_KEY: 'TEST_API_KEY:bench:secret',
    LOG_LEVEL: 'error',
    USER_ID_PATH: 'enabled',
    ...rateLimitOverrides(),
  });
  return createGateway({
    client,
    logger: createLogger({ level: 'error' }),
    security: securityOptionsFromConfig(config),
    fastPath,
    mutationDeadlineMs: config.mutationDeadlineMs,
  });
}

/** A node:http request and response pair in memory: what the handler reads and writes. */
function exchange(gateway: Gateway, text: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve) => {
    const payload = Buffer.from(text);
    const headers: Record<string, string> = {
      host: '127.0.0.1',
      'content-type': 'application/json',
      accept: 'application/graphql-response+json',
      'content-length': String(payload.length),
    };
    const req = Object.assign(new PassThrough(), {
      method: 'POST',
      url: '/graphql',
      headers,
      rawHeaders: Object.entries(headers).flat(),
      httpVersion: '1.1',
      complete: true,
      socket: { remoteAddress: '127.0.0.1', encrypted: false },
    });
    let status = 0;
    const res = Object.assign(new PassThrough(), {
      req,
      headersSent: false,
      writeHead(code: number) {
        status = code;
        res.headersSent = true;
        return res;
      },
      setHeader() {},
      getHeader() {},
      removeHeader() {},
      end(chunk?: Uint8Array | string) {
        resolve({ status, body: chunk === undefined ? '' : String(chunk) });
        return res;
      },
    });
    gateway.handleNodeRequest(req as never, res as never);
    req.end(payload);
  });
}

async function measure(gateway: Gateway, text: string): Promise<number> {
  const first = await exchange(gateway, text);
  if (first.status !== 200) throw new Error(`status ${first.status}: ${first.body}`);
  for (let i = 0; i < 2000; i += 1) await exchange(gateway, text);
  const start = process.cpuUsage();
  for (let i = 0; i < REQUESTS; i += 1) await exchange(gateway, text);
  const used = process.cpuUsage(start);
  return (used.user + used.system) / REQUESTS;
}

// The least disturbed round: on a shared machine other work only ever adds to a round's CPU.
const best = (xs: number[]) => Math.min(...xs);

const paths = args.paths.split(',') as Array<'fast' | 'yoga'>;
// --alloc-profile FILE: every allocation sampled, also the ones the GC already collected (what the
// young generation churns through per request), written as a .heapprofile for DevTools.
const allocations = args['alloc-profile'] ? new Session() : undefined;
if (allocations) {
  allocations.connect();
  allocations.post('HeapProfiler.startSampling', {
    samplingInterval: 512,
    includeObjectsCollectedByMajorGC: true,
    includeObjectsCollectedByMinorGC: true,
  });
}
const gateways = { fast: gatewayWith(true), yoga: gatewayWith(false) };
const shapes = args.only ? args.only.split(',') : Object.keys(SHAPES);
console.log(
  `${REQUESTS} requests per round, ${ROUNDS} rounds, µs CPU per request (the best round)`,
);
for (const shape of shapes) {
  const figures: Record<string, number[]> = { fast: [], yoga: [] };
  for (let round = 0; round < ROUNDS; round += 1) {
    for (const name of paths) {
      figures[name]!.push(await measure(gateways[name], SHAPES[shape]!));
    }
  }
  const cell = (name: 'fast' | 'yoga') =>
    figures[name]!.length ? `${best(figures[name]!).toFixed(1).padStart(6)} µs` : '     -   ';
  console.log(
    `${shape.padEnd(10)} fast path ${cell('fast')}   Yoga ${cell('yoga')}   (served on the fast path: ${gateways.fast.fastPathStats().served})`,
  );
}
if (allocations) {
  allocations.post('HeapProfiler.stopSampling', (error, result) => {
    if (error) throw error;
    writeFileSync(args['alloc-profile']!, JSON.stringify(result.profile));
    console.log(`allocation profile: ${args['alloc-profile']}`);
  });
}
