import { expect } from 'vitest';
import { RefreshUserTokenDocument } from '../../src/generated/graphql.js';
import type { startTestGateway } from '../support/gateway-server.js';
import { newSession, refreshInput } from '../support/session.js';

/** The product in this process (`npm start`'s path) on a Redis shape, for the shape and fault suites. */
export type TestGateway = Awaited<ReturnType<typeof startTestGateway>>;

export interface RedisReadiness {
  state: 'up' | 'down' | 'off';
  reason?: string;
}

/** /ready's `redis` entry. */
export async function redisReadiness(gateway: TestGateway): Promise<RedisReadiness> {
  const response = await fetch(`${gateway.url}/ready`);
  expect(response.status).toBe(200);
  return ((await response.json()) as { redis: RedisReadiness }).redis;
}

/** One refresh of a new simulator session; it must succeed whatever Redis does. */
export async function refreshSucceeds(gateway: TestGateway): Promise<void> {
  const session = await newSession(gateway.simulator!.url);
  const { body } = await gateway.execute(RefreshUserTokenDocument, {
    input: refreshInput(session),
  });
  expect(body.errors).toBeUndefined();
  expect(body.data?.refreshUserToken.userId).toBe(session.userId);
}

/** The gateway's log lines (JSON) with this `msg`. */
export const logged = (gateway: TestGateway, msg: string) =>
  gateway.logs
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as Record<string, unknown>)
    .filter((line) => line.msg === msg);

export const REDIS_DOWN = 'redis unreachable: each process uses its own memory until it is back';
export const REDIS_BACK = 'redis reachable again: limits, minted tokens and coalescing are shared';
