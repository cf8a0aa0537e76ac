import { randomUUID } from 'node:crypto';
import { afterEach } from 'vitest';
import {
  type RunningSimulator,
  type SimulatorSession,
  type StartSimulatorOptions,
  startCircleSimulator,
} from '../../src/simulator/index.js';
import { postJson } from '../support/requests.js';

export const API_KEY = 'TEST_API_KEY:abc:def';

/** Starts a simulator on port 0 for one test and closes it afterwards. */
export function useSimulator(): (options?: StartSimulatorOptions) => Promise<RunningSimulator> {
  const started: RunningSimulator[] = [];
  afterEach(async () => {
    await Promise.all(started.splice(0).map((running) => running.close()));
  });
  return async (options = {}) => {
    const running = await startCircleSimulator({ rateLimits: false, ...options });
    started.push(running);
    return running;
  };
}

export interface RefreshCall {
  userToken?: string | undefined;
  refreshToken?: unknown;
  deviceId?: unknown;
  idempotencyKey?: unknown;
  apiKey?: string;
  requestId?: string;
  signal?: AbortSignal;
}

export function refresh(url: string, call: RefreshCall): Promise<Response> {
  const headers: Record<string, string> = {
    authorization: `Bearer ${call.apiKey ?? API_KEY}`,
    'content-type': 'application/json',
  };
  if (call.userToken !== undefined) headers['x-user-token'] = call.userToken;
  if (call.requestId !== undefined) headers['x-request-id'] = call.requestId;
  const body = {
    idempotencyKey: 'idempotencyKey' in call ? call.idempotencyKey : randomUUID(),
    refreshToken: call.refreshToken,
    deviceId: call.deviceId,
  };
  return fetch(`${url}/v1/w3s/users/token/refresh`, {
    method: 'POST',
    headers,
    body: JSON.stringify(body),
    ...(call.signal === undefined ? {} : { signal: call.signal }),
  });
}

/** A refresh with everything taken from a session, overridable field by field. */
export function refreshSession(
  url: string,
  session: SimulatorSession,
  overrides: RefreshCall = {},
): Promise<Response> {
  return refresh(url, {
    userToken: session.userToken,
    refreshToken: session.refreshToken,
    deviceId: session.deviceId,
    ...overrides,
  });
}

export function mint(url: string, userId: unknown, apiKey = API_KEY): Promise<Response> {
  return postJson(`${url}/v1/w3s/users/token`, { userId }, { authorization: `Bearer ${apiKey}` });
}

export async function json<T = Record<string, unknown>>(response: Response): Promise<T> {
  return (await response.json()) as T;
}

export interface RefreshData {
  userToken: string;
  encryptionKey: string;
  userID: string;
  refreshToken: string;
}

export function decodeJwtPart(token: string, index: 0 | 1): Record<string, unknown> {
  const part = token.split('.')[index] ?? '';
  return JSON.parse(Buffer.from(part, 'base64url').toString('utf8')) as Record<string, unknown>;
}
