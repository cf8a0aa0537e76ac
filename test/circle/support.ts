/**
 * A rig for the fault suite: the whole gateway in this process on a real loopback socket, in
 * front of the Circle simulator on its own loopback socket. The simulator is started here (fast:
 * no rate limits, no base latency) so that only the injected faults misbehave, and its own record
 * of received calls is what the tests count.
 */

import { createServer } from 'node:net';
import { GATEWAY_ERROR_CODES } from '../../src/errors/gateway-codes.js';
import type { RefreshUserTokenInput } from '../../src/generated/graphql.js';
import type { RecordedRequest, SimulatorSession } from '../../src/simulator/index.js';
import { startCircleSimulator } from '../../src/simulator/index.js';
import { startTestGateway } from '../support/gateway-server.js';
import { REFRESH_MUTATION } from '../support/refresh.js';
import { postJson } from '../support/requests.js';
import { refreshInput, refreshInputByUserId } from '../support/session.js';

export const API_KEY = 'TEST_API_KEY:resilience:not-a-secret';
export const REFRESH_PATH = '/v1/w3s/users/token/refresh';
export const MINT_PATH = '/v1/w3s/users/token';

/** Every `extensions.code` the contract allows: the gateway's one list. */
export const CONTRACT_CODES: ReadonlySet<string> = new Set(GATEWAY_ERROR_CODES);

/**
 * Short settings so that every fault plays out in well under two seconds. The breaker is off and
 * the retry budget generous unless a test is about them, so attempt counts depend on the fault
 * alone.
 */
export const FAST_ENV: Record<string, string> = {
  UPSTREAM_ATTEMPT_TIMEOUT_MS: '300',
  MUTATION_DEADLINE_MS: '1500',
  UPSTREAM_RETRY_BASE_DELAY_MS: '10',
  UPSTREAM_RETRY_MAX_DELAY_MS: '40',
  UPSTREAM_MAX_ATTEMPTS: '3',
  UPSTREAM_RETRY_BUDGET_RATIO: '1',
  CIRCUIT_FAILURE_THRESHOLD: '0',
  // The tests send one device's refresh several times a second on purpose (reuse, coalescing);
  // the per-device limit is another suite's subject.
  RATE_LIMIT_DEVICE_RATE: '0',
  LOG_LEVEL: 'debug',
};

export type Rig = Awaited<ReturnType<typeof startRig>>;

export interface Answer {
  status: number;
  headers: Headers;
  body: {
    data?: { refreshUserToken: Record<string, string | null> } | null;
    errors?: Array<{ message: string; extensions: Record<string, unknown> }>;
  };
  ms: number;
}

/** The simulator and a gateway pointed at it, with `env` on top of FAST_ENV. */
export async function startRig(env: Record<string, string> = {}) {
  const upstream = await startCircleSimulator({ port: 0, fast: true });
  const gateway = await startTestGateway({
    ...FAST_ENV,
    CIRCLE_API_KEY: API_KEY,
    CIRCLE_BASE_URL: upstream.url,
    ...env,
  });
  const simulator = upstream.simulator;

  /** POSTs the refresh mutation over real HTTP and times it. */
  async function refresh(
    input: RefreshUserTokenInput,
    headers: Record<string, string> = {},
    signal?: AbortSignal,
  ): Promise<Answer> {
    const started = performance.now();
    const response = await postJson(
      gateway.graphqlUrl,
      { query: REFRESH_MUTATION, variables: { input } },
      { accept: 'application/json', ...headers },
      signal ? { signal } : {},
    );
    const body = (await response.json()) as Answer['body'];
    return {
      status: response.status,
      headers: response.headers,
      body,
      ms: performance.now() - started,
    };
  }

  return {
    upstream,
    simulator,
    gateway,
    refresh,
    /** A fresh Circle session: user, device, user token and refresh token. */
    session: (): SimulatorSession => simulator.createSession(),
    /** The calls Circle received from index `from` on, optionally for one path only. */
    calls(from = 0, path?: string): RecordedRequest[] {
      return simulator.requests
        .slice(from)
        .filter((call) => path === undefined || call.path === path);
    },
    mark: (): number => simulator.requests.length,
    async ready(): Promise<{ status: string; upstream: { circuit: string } }> {
      const response = await fetch(`${gateway.url}/ready`);
      return (await response.json()) as { status: string; upstream: { circuit: string } };
    },
    async close() {
      await gateway.close();
      await upstream.close();
    },
  };
}

/** The input of a refresh by user token for a session. */
export const byToken = (
  session: SimulatorSession,
  idempotencyKey?: string,
): RefreshUserTokenInput => refreshInput(session, idempotencyKey || undefined);

/** The input of a refresh by user id for a session. */
export const byUserId = (session: SimulatorSession): RefreshUserTokenInput =>
  refreshInputByUserId(session);

/** The idempotency key a recorded refresh carried. */
export const keyOf = (call: RecordedRequest): unknown =>
  (call.body as { idempotencyKey?: unknown } | undefined)?.idempotencyKey;

/** A loopback port nothing listens on (bound, then released). */
export async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls until `check` is true or `ms` pass. */
export async function until(check: () => boolean, ms = 2000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await sleep(5);
  }
}
