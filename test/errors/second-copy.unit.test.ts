import { GraphQLError } from 'graphql';
import { describe, expect, it, vi } from 'vitest';
import * as first from '../../src/circle/errors.js';
import { isGatewayError } from '../../src/client/gateway-error.js';
import { isConfigError } from '../../src/config/read-settings.js';
import { ERROR_BRAND, errorCodeOf, isBrandedError } from '../../src/errors/brand.js';
import { isCallerRefusal, toGraphQLError } from '../../src/schema/errors.js';
import { isRefusal } from '../../src/security/refusal.js';
import { describeFailure } from '../../src/shared-state/failure-record.js';

/** The modules as a host gets them when it installs the package twice: new classes, same code. */
async function secondCopy() {
  vi.resetModules();
  const [circle, refusal, config, client] = await Promise.all([
    import('../../src/circle/errors.js'),
    import('../../src/security/refusal.js'),
    import('../../src/config/read-settings.js'),
    import('../../src/client/gateway-error.js'),
  ]);
  return { circle, refusal, config, client };
}

const frames = (error: unknown) =>
  ((error as Error).stack ?? '').split('\n').filter((line) => line.includes(' at '));

const extensionsOf = (error: unknown) => (error as GraphQLError).extensions;

describe('an error from a second copy of the package', () => {
  it('is a different class, and still maps to the same GraphQL error', async () => {
    const { circle } = await secondCopy();
    const init = { call: 'refresh', status: 403, circleCode: 155104, requestId: 'r-1' } as const;
    const ours = new first.CircleHttpError(init);
    const theirs = new circle.CircleHttpError(init);
    expect(theirs).not.toBeInstanceOf(first.CircleHttpError);

    expect(first.isCircleError(theirs, 'CIRCLE_HTTP_ERROR')).toBe(true);
    expect(errorCodeOf(theirs)).toBe('CIRCLE_HTTP_ERROR');
    expect(isCallerRefusal(theirs)).toBe(true);
    expect(extensionsOf(toGraphQLError(theirs))).toEqual(extensionsOf(toGraphQLError(ours)));
    expect(extensionsOf(toGraphQLError(theirs))).toMatchObject({
      code: 'USER_TOKEN_EXPIRED',
      retryable: false,
      upstream: { status: 403, code: 155104, requestId: 'r-1' },
    });
    expect(describeFailure(theirs)).toEqual(describeFailure(ours));
  });

  it('maps every Circle failure without an answer to the same code as ours', async () => {
    const { circle } = await secondCopy();
    const pairs = [
      [
        new first.CircleTimeoutError('refresh', 'r', 'attempt'),
        new circle.CircleTimeoutError('refresh', 'r', 'attempt'),
      ],
      [
        new first.CircleConnectionError('mint', 'r', 'ECONNRESET'),
        new circle.CircleConnectionError('mint', 'r', 'ECONNRESET'),
      ],
      [
        new first.CircleMalformedResponseError('refresh', 'r', 200, 'x'),
        new circle.CircleMalformedResponseError('refresh', 'r', 200, 'x'),
      ],
      [new first.CircleCircuitOpenError('refresh'), new circle.CircleCircuitOpenError('refresh')],
      [new first.CircleOverloadedError('mint'), new circle.CircleOverloadedError('mint')],
    ] as const;
    for (const [ours, theirs] of pairs) {
      expect(theirs).not.toBeInstanceOf(ours.constructor);
      expect(toGraphQLError(theirs)).toEqual(toGraphQLError(ours));
      expect(describeFailure(theirs)).toEqual(describeFailure(ours));
    }
    expect(extensionsOf(toGraphQLError(pairs[0][1])).code).toBe('UPSTREAM_TIMEOUT');
  });

  it('is recognised from its brand and code alone, as a structurally equal object', () => {
    const lookalike = {
      [ERROR_BRAND]: true,
      name: 'CircleTimeoutError',
      code: 'CIRCLE_TIMEOUT',
      message: 'Circle did not answer in time',
      call: 'refresh',
      requestId: 'r-2',
      idempotencyKey: '6f1c1f0e-3c1a-4c1e-9a57-0d5b9d7a8e21',
      retryable: true,
    };
    expect(first.isCircleClientError(lookalike)).toBe(true);
    expect(extensionsOf(toGraphQLError(lookalike))).toEqual({
      code: 'UPSTREAM_TIMEOUT',
      retryable: true,
      idempotencyKey: lookalike.idempotencyKey,
    });
  });

  it('refusals, configuration errors and the client error are recognised across copies', async () => {
    const { refusal, config, client } = await secondCopy();
    const gone = new refusal.GatewayRefusal('gone', {
      code: 'BAD_USER_INPUT',
      reason: 'CLIENT_GONE',
      status: 400,
    });
    expect(isRefusal(gone, 'CLIENT_GONE')).toBe(true);
    expect(isRefusal(gone, 'MAX_DEPTH')).toBe(false);
    expect(errorCodeOf(gone)).toBe('BAD_USER_INPUT');
    // A refusal is already the GraphQL error the client sees: the translation leaves it as it is.
    expect(toGraphQLError(gone)).toBe(gone);

    expect(isConfigError(new config.ConfigError(['PORT is not a port']))).toBe(true);

    const clientError = new client.GatewayError('expired', {
      code: 'USER_TOKEN_EXPIRED',
      retryable: false,
    });
    expect(isGatewayError(clientError)).toBe(true);
    expect(clientError.sessionEnded).toBe(true);
    // The same code on a server-side error does not make it the client's error.
    expect(isGatewayError(gone)).toBe(false);
  });
});

describe('what is not the package', () => {
  it('an error with a code but no brand (undici, node:net) is neither recognised nor mapped', () => {
    const foreign = Object.assign(new Error('socket hang up'), { code: 'CIRCLE_HTTP_ERROR' });
    expect(errorCodeOf(foreign)).toBeUndefined();
    expect(isBrandedError(foreign, 'CIRCLE_HTTP_ERROR')).toBe(false);
    expect(first.isCircleClientError(foreign)).toBe(false);
    expect(toGraphQLError(foreign)).toBe(foreign);
    for (const value of [undefined, null, 'CIRCLE_TIMEOUT', 42]) {
      expect(errorCodeOf(value)).toBeUndefined();
    }
  });

  it('keeps the brand out of what is logged or serialised', () => {
    const error = new first.CircleOverloadedError('refresh');
    expect(Object.getOwnPropertySymbols(error)).toEqual([]);
    expect(JSON.stringify(error)).not.toContain('circle-wallets');
    expect(ERROR_BRAND in { ...error }).toBe(false);
    expect(ERROR_BRAND in error).toBe(true);
  });
});

describe('the stack rule across copies', () => {
  it('errors a second copy makes on purpose carry no stack frames; bugs still do', async () => {
    const { circle, refusal } = await secondCopy();
    const before = Error.stackTraceLimit;
    const upstream = new circle.CircleHttpError({ call: 'mint', status: 503 });
    const refused = new refusal.GatewayRefusal('slow down', { code: 'RATE_LIMITED', status: 429 });
    expect(frames(upstream)).toEqual([]);
    expect(frames(refused)).toEqual([]);
    expect(frames(toGraphQLError(upstream))).toEqual([]);
    expect(toGraphQLError(upstream)).toBeInstanceOf(GraphQLError);
    expect(Error.stackTraceLimit).toBe(before);
    expect(frames(new Error('a bug')).length).toBeGreaterThan(0);
  });
});
