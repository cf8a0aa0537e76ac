import { randomUUID } from 'node:crypto';
import { connect } from 'node:net';
import { type FieldNode, GraphQLError, type ValidationContext } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import { describe, expect, it } from 'vitest';
import type { RateLimitStore } from '../../src/security/rate-limit.js';
import { listenApiGateway } from '../support/api-gateway.js';
import { jwtLike } from '../support/jwt.js';
import { rawPost } from '../support/loopback-gateway.js';
import { REFRESH_MUTATION } from '../support/refresh.js';

/**
 * One pipeline, two transports: a plugin given to createGateway runs whichever path serves a
 * request, a plugin the fast path cannot mirror turns it off, and the controls hold on the one
 * GraphQL path there is. Each gateway here listens on a real loopback socket (the fast path is a
 * node:http transport) and talks to a MockAgent upstream.
 */

/** POST to `path` of a gateway as JSON, over node:http. */
const post = (url: string, headers: Record<string, string>, body: string, path = '/graphql') =>
  rawPost(`${url}${path}`, { 'content-type': 'application/json', ...headers }, body);

const listen = listenApiGateway;

const session = () => ({
  input: {
    user: { userToken: jwtLike({ exp: Math.floor(Date.now() / 1000) + 3600 }) },
    deviceId: `device-${randomUUID()}`,
    refreshToken: 'refresh-token',
    idempotencyKey: randomUUID(),
  },
});
const refreshBody = () => JSON.stringify({ query: REFRESH_MUTATION, variables: session() });
const INFO = JSON.stringify({ query: '{ circleWalletsGateway { version } }' });
const TOKENS = { body: { data: { userToken: 'new-user-token', refreshToken: 'rt-2' } } };

/** A plugin that records which execution-level hooks ran, and what the context carried. */
function recorder() {
  const seen: string[] = [];
  const plugin: Plugin = {
    onParse: () => {
      seen.push('parse');
    },
    onValidate: () => {
      seen.push('validate');
    },
    onContextBuilding: ({ context }) => {
      const request = (context as { request?: Request }).request;
      seen.push(`context:${request?.headers.get('authorization') ?? '-'}`);
    },
    onExecute: ({ args }) => {
      seen.push(`execute:${(args.contextValue as { requestId?: string }).requestId ? 'id' : '-'}`);
      return { onExecuteDone: () => void seen.push('done') };
    },
  };
  return { seen, plugin };
}

describe('plugins given to createGateway', () => {
  it('run their execution hooks on fast-path requests, as on Yoga', async () => {
    const runs: string[][] = [];
    for (const fastPath of [false, true]) {
      const { seen, plugin } = recorder();
      const api = await listen({ fastPath, plugins: [plugin] });
      // The project's own operations were parsed and validated through envelop at start.
      expect(seen).toEqual(['parse', 'validate', 'parse', 'validate']);
      seen.length = 0;
      api.onRefresh(TOKENS, { times: 2 });
      const answers = [
        await post(api.url, { authorization: 'Bearer host-session' }, refreshBody()),
        await post(api.url, {}, INFO),
      ];
      expect(answers.map((answer) => answer.status)).toEqual([200, 200]);
      expect(JSON.parse(answers[0]!.body).data.refreshUserToken.userToken).toBe('new-user-token');
      expect(api.gateway.fastPathStats().served).toBe(fastPath ? 2 : 0);
      runs.push(seen);
    }
    expect(runs[0]).toEqual([
      'parse',
      'validate',
      'context:Bearer host-session',
      'execute:id',
      'done',
      'parse',
      'validate',
      'context:-',
      'execute:id',
      'done',
    ]);
    expect(runs[1]).toEqual(runs[0]);
  });

  it('refuse in onExecute on the fast path: no upstream call, every time', async () => {
    const refusing: Plugin = {
      onExecute: ({ setResultAndStopExecution }) => {
        setResultAndStopExecution({ errors: [] as never, data: null });
      },
    };
    const api = await listen({ plugins: [refusing] });
    for (let i = 0; i < 3; i += 1) {
      const answer = await post(api.url, {}, refreshBody());
      expect(JSON.parse(answer.body).data).toBeNull();
    }
    expect(api.gateway.fastPathStats().served).toBe(3);
    expect(api.requests).toHaveLength(0);
  });

  for (const hook of ['onRequest', 'onParams', 'onResultProcess', 'onResponse'] as const) {
    it(`with an HTTP-level hook (${hook}) turn the fast path off: every request is Yoga's`, async () => {
      let calls = 0;
      const http = {
        name: `use-${hook}`,
        [hook]: () => {
          calls += 1;
        },
      } as Plugin;
      const api = await listen({ plugins: [http] });
      api.onRefresh(TOKENS);
      await post(api.url, {}, refreshBody());
      await post(api.url, {}, INFO);
      expect(calls).toBeGreaterThanOrEqual(2);
      expect(api.gateway.fastPathStats()).toEqual({ served: 0, enabled: false });
      const lines = api.logs.filter((line) => line.includes('fast path off'));
      expect(lines).toHaveLength(1);
      expect(lines[0]).toContain(`use-${hook}`);
      expect(lines[0]).toContain(hook);
    });
  }
});

describe('validation rules a plugin adds', () => {
  // The validation cache is keyed by the list of rules: a rule added for one request only (here:
  // when the caller sends x-strict, as an auth plugin might for a tenant) must decide that
  // request, and not be served another request's cached verdict for the same document.
  it('decide each request, on both paths, though the document is cached', async () => {
    const strictRule: Plugin = {
      onValidate: ({ context, addValidationRule }) => {
        const request = (context as { request?: Request }).request;
        if (request?.headers.get('x-strict') !== '1') return;
        // A new function each request, as Armor's plugins make theirs.
        addValidationRule(function NoGatewayInfo(validation: ValidationContext) {
          return {
            Field(node: FieldNode) {
              if (node.name.value === 'circleWalletsGateway') {
                validation.reportError(
                  new GraphQLError('Gateway info is off here.', { nodes: node }),
                );
              }
            },
          };
        });
      },
    };
    for (const fastPath of [false, true]) {
      const api = await listen({ fastPath, plugins: [strictRule] });
      const verdicts: string[] = [];
      for (const strict of [false, true, false, true]) {
        const answer = await post(api.url, strict ? { 'x-strict': '1' } : {}, INFO);
        const body = JSON.parse(answer.body) as {
          data?: unknown;
          errors?: Array<{ message: string }>;
        };
        verdicts.push(body.errors ? body.errors[0]!.message : 'ok');
      }
      expect(verdicts).toEqual([
        'ok',
        'Gateway info is off here.',
        'ok',
        'Gateway info is off here.',
      ]);
      expect(api.gateway.fastPathStats().served).toBe(fastPath ? 4 : 0);
    }
  });
});

describe('a plugin that wraps the execute function', () => {
  it('wraps the one the gateway executes with, on both paths', async () => {
    for (const fastPath of [false, true]) {
      let wrapped = 0;
      const wrapping: Plugin = {
        onExecute: ({ executeFn, setExecuteFn }) => {
          setExecuteFn((args) => {
            wrapped += 1;
            return executeFn(args);
          });
        },
      };
      const api = await listen({ fastPath, plugins: [wrapping] });
      api.onRefresh(TOKENS);
      const answer = await post(api.url, {}, refreshBody());
      expect(JSON.parse(answer.body).data.refreshUserToken.userToken).toBe('new-user-token');
      expect(wrapped).toBe(1);
      expect(api.requests).toHaveLength(1);
    }
  });
});

describe('a client that leaves before Circle is called', () => {
  // The device limit's store answers slowly (as Redis can); the client sends a whole refresh and
  // closes its connection while the check waits. Calling Circle then would rotate a refresh
  // token whose successor nobody can receive.
  it('spends no refresh token, on either path', async () => {
    for (const fastPath of [false, true]) {
      let checked = () => {};
      const checking = new Promise<void>((resolve) => {
        checked = resolve;
      });
      const slowDevices: RateLimitStore = {
        async take(key) {
          if (!key.startsWith('device:')) return { allowed: true, retryAfterMs: 0 };
          checked();
          await new Promise((resolve) => setTimeout(resolve, 150));
          return { allowed: true, retryAfterMs: 0 };
        },
      };
      const api = await listen({
        fastPath,
        security: { rateLimits: { store: slowDevices, exempt: [] } },
      });
      api.onRefresh(TOKENS);
      const body = refreshBody();
      const socket = connect(Number(new URL(api.url).port), '127.0.0.1');
      socket.on('error', () => {});
      socket.write(
        `POST /graphql HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
      );
      await checking;
      socket.destroy();
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(api.requests).toHaveLength(0);
      const lines = api.logs.filter((line) => line.includes('"refreshUserToken"'));
      expect(lines).toHaveLength(1);
      expect(lines[0]).toContain('"outcome":"CLIENT_GONE"');
      expect(api.gateway.fastPathStats().served).toBe(fastPath ? 1 : 0);
      // A client that stays gets its tokens through the same slow check.
      const answer = await post(api.url, {}, refreshBody());
      expect(JSON.parse(answer.body).data.refreshUserToken.userToken).toBe('new-user-token');
      expect(api.requests).toHaveLength(1);
    }
  });
});

describe('a plugin that adds an HTTP-level plugin at init', () => {
  it('turns the fast path off too', async () => {
    let calls = 0;
    const parent: Plugin = {
      onPluginInit({ addPlugin }) {
        addPlugin({
          onResponse: () => {
            calls += 1;
          },
        });
      },
    };
    const api = await listen({ plugins: [parent] });
    await post(api.url, {}, INFO);
    expect(api.gateway.fastPathStats()).toEqual({ served: 0, enabled: false });
    expect(calls).toBe(1);
  });
});

describe('one GraphQL path', () => {
  for (const path of ['/graphql/', '//graphql', '/x/graphql', '/metrics/graphql', '/graphql/x']) {
    it(`answers 404 on ${path}, with no upstream call`, async () => {
      const api = await listen({});
      api.onRefresh(TOKENS);
      const answer = await post(api.url, {}, refreshBody(), path);
      expect(answer.status).toBe(404);
      expect(answer.body).toBe('');
      expect(api.requests).toHaveLength(0);
      const get = await fetch(`${api.url}${path}`, { headers: { accept: 'text/html' } });
      expect(get.status).toBe(404);
    });
  }

  it('keeps the address limit on the endpoint: no other spelling escapes it', async () => {
    const api = await listen({
      security: { rateLimits: { perAddress: { rate: 0.001, burst: 3 }, exempt: [] } },
    });
    const statuses: number[] = [];
    for (const path of ['/graphql', '/graphql/', '/graphql', '//graphql', '/graphql', '/graphql']) {
      statuses.push((await post(api.url, {}, INFO, path)).status);
    }
    expect(statuses).toEqual([200, 404, 200, 404, 200, 429]);
  });
});

describe('a reset connection', () => {
  it('stays within the address limit: an unknown peer is a bucket of its own', async () => {
    const api = await listen({
      security: {
        rateLimits: {
          perAddress: { rate: 1, burst: 5 },
          perDevice: { rate: 0, burst: 1 },
          exempt: [],
        },
      },
    });
    api.onRefresh(TOKENS, { persist: true });
    const port = Number(new URL(api.url).port);
    for (let i = 0; i < 20; i += 1) {
      const body = refreshBody();
      await new Promise<void>((resolve) => {
        const socket = connect(port, '127.0.0.1', () => {
          socket.write(
            `POST /graphql HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
            () => {
              socket.resetAndDestroy();
              resolve();
            },
          );
        });
      });
    }
    // Let the server finish what it received.
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(api.requests.length).toBeLessThanOrEqual(6);
  });

  it('is never exempt, even where loopback is', async () => {
    const { createAddressMatcher } = await import('../../src/security/client-address.js');
    const { UNKNOWN_ADDRESS } = await import('../../src/security/peer-address.js');
    expect(createAddressMatcher(['loopback'])(UNKNOWN_ADDRESS)).toBe(false);
  });
});

describe('an Accept the gateway cannot answer', () => {
  for (const fastPath of [true, false]) {
    for (const accept of [
      'application/json; charset=iso-8859-1',
      'application/graphql-response+json; charset=utf-16',
      'text/html',
    ]) {
      it(`is refused before execution (${accept}, fast path ${fastPath ? 'on' : 'off'})`, async () => {
        const api = await listen({ fastPath });
        api.onRefresh(TOKENS);
        const answer = await post(api.url, { accept }, refreshBody());
        expect(answer.status).toBe(406);
        expect(JSON.parse(answer.body).errors[0].extensions.reason).toBe('NOT_ACCEPTABLE');
        expect(api.requests).toHaveLength(0);
      });
    }
  }
});

describe("Yoga's parse cache", () => {
  it('is bounded by bytes: padded documents do not pile up', async () => {
    const api = await listen({ documentCache: { maxBytes: 200_000, maxDocumentBytes: 16_384 } });
    const padding = `#${'x'.repeat(8_000)}\n`;
    for (let i = 0; i < 60; i += 1) {
      const answer = await post(
        api.url,
        {},
        JSON.stringify({ query: `${padding}# ${i}\n{ circleWalletsGateway { version } }` }),
      );
      expect(answer.status).toBe(200);
    }
    // A document past maxDocumentBytes is never kept.
    await post(
      api.url,
      {},
      JSON.stringify({ query: `#${'y'.repeat(40_000)}\n{ circleWalletsGateway { version } }` }),
    );
    const stats = api.gateway.documentCacheStats();
    expect(stats.bytes).toBeLessThanOrEqual(200_000);
    expect(stats.entries).toBeLessThan(30);
    // The project's own operations are pinned outside the bound.
    expect(stats.pinned).toBeGreaterThanOrEqual(2);
  });
});
