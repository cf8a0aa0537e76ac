import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { GatewayOptions } from '../../src/http/gateway.js';
import { createGraphQLRoute } from '../../src/http/graphql-path.js';
import { createRequestChecks } from '../../src/http/request-checks.js';
import { listenApiGateway } from '../support/api-gateway.js';
import { jwtLike } from '../support/jwt.js';
import { rawPost } from '../support/loopback-gateway.js';
import { REFRESH_MUTATION } from '../support/refresh.js';

/**
 * Every request check holds on every way a request is served: node:http with the fast path, node:http
 * through Yoga, and in process (`yoga.fetch`). Each check has a request that trips it; the list of
 * cases must name every check the gateway has, so a check added without a case fails here, and a
 * transport that skipped a check would call Circle (a MockAgent that records every request).
 */

const listen = listenApiGateway;

const refreshBody = () =>
  JSON.stringify({
    query: REFRESH_MUTATION,
    variables: {
      input: {
        user: { userToken: jwtLike({ exp: Math.floor(Date.now() / 1000) + 3600 }) },
        deviceId: `device-${randomUUID()}`,
        refreshToken: 'refresh-token',
      },
    },
  });

interface CheckCase {
  /** Gateway options that turn the check on. */
  options?: Partial<GatewayOptions>;
  path?: string;
  headers?: Record<string, string>;
  body?: () => string;
  /** Requests sent first, which the check lets through. */
  before?: number;
  /** Done to the gateway before the request. */
  prepare?: (gateway: { drain(): void }) => void;
  status: number;
  reason?: string;
  /** Why the check does not apply in process, if it does not. */
  notInProcess?: string;
}

/** Limits that stay out of the way of the check under test. */
const NO_LIMITS: Partial<GatewayOptions> = { security: { rateLimits: false } };

const CASES: Record<string, CheckCase> = {
  'one GraphQL path': { options: NO_LIMITS, path: '/graphql/', status: 404 },
  drain: { options: NO_LIMITS, prepare: (gateway) => gateway.drain(), status: 503 },
  'address limit': {
    options: {
      security: {
        rateLimits: {
          perAddress: { rate: 0.001, burst: 1 },
          perDevice: { rate: 0, burst: 0 },
          upstreamPerAddress: { rate: 0, burst: 0, refusalCost: 0 },
          exempt: [],
        },
      },
    },
    before: 1,
    status: 429,
    notInProcess: 'a request with no socket has no address: the limit keys on addresses',
  },
  Accept: {
    options: NO_LIMITS,
    headers: { accept: 'image/png' },
    status: 406,
    reason: 'NOT_ACCEPTABLE',
  },
  'body limit': {
    options: { security: { rateLimits: false, maxBodyBytes: 200 } },
    status: 413,
    reason: 'BODY_TOO_LARGE',
  },
  CSRF: {
    options: NO_LIMITS,
    headers: { 'content-type': 'text/plain' },
    status: 403,
    reason: 'CSRF_HEADER_REQUIRED',
  },
};

describe('the request checks', () => {
  it('each have a case here that trips them', () => {
    const names = createRequestChecks({
      route: createGraphQLRoute('/graphql'),
      otherRoutes: [],
      otherPrefixes: [],
      isDraining: () => false,
      answeredWhileDraining: [],
      admit: () => undefined,
      maxBodyBytes: 1,
      csrf: () => undefined,
      servesGraphiQL: true,
    }).map((check) => check.name);
    expect(Object.keys(CASES).sort()).toEqual([...names].sort());
  });

  for (const [name, check] of Object.entries(CASES)) {
    for (const transport of ['fast path', 'Yoga over node:http', 'in process'] as const) {
      if (transport === 'in process' && check.notInProcess) continue;
      it(`${name} refuses on ${transport}, and Circle is never called`, async () => {
        const api = await listen({ ...check.options, fastPath: transport === 'fast path' });
        api.onRefresh(
          { body: { data: { userToken: 'new', refreshToken: 'rt-2' } } },
          { persist: true },
        );
        const headers = { 'content-type': 'application/json', ...check.headers };
        const send = async () => {
          const body = check.body?.() ?? refreshBody();
          if (transport === 'in process') {
            const response = await api.gateway.yoga.fetch(
              `http://localhost${check.path ?? '/graphql'}`,
              { method: 'POST', headers, body },
            );
            return { status: response.status, body: await response.text() };
          }
          return rawPost(`${api.url}${check.path ?? '/graphql'}`, headers, body);
        };
        for (let i = 0; i < (check.before ?? 0); i++) await send();
        const callsBefore = api.requests.length;
        check.prepare?.(api.gateway);
        const answer = await send();
        expect(answer.status).toBe(check.status);
        if (check.reason)
          expect(JSON.parse(answer.body).errors[0].extensions.reason).toBe(check.reason);
        expect(api.requests.length, 'no call to Circle').toBe(callsBefore);
        const served = api.gateway.fastPathStats().served;
        if (transport !== 'fast path') expect(served).toBe(0);
      });
    }
  }
});
