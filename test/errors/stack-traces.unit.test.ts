import { GraphQLError } from 'graphql';
import { describe, expect, it } from 'vitest';
import { CircleHttpError } from '../../src/circle/errors.js';
import { withoutStackTrace } from '../../src/errors/stack-traces.js';
import { GatewayRefusal } from '../../src/security/refusal.js';

describe('expected errors are made without a stack trace', () => {
  const frames = (error: Error) =>
    (error.stack ?? '').split('\n').filter((l) => l.includes(' at '));

  it('leaves the process limit as it was, also when the constructor throws', () => {
    const before = Error.stackTraceLimit;
    const made = withoutStackTrace(() => new GraphQLError('refused'));
    expect(frames(made)).toEqual([]);
    expect(() =>
      withoutStackTrace(() => {
        throw new Error('in the constructor');
      }),
    ).toThrow('in the constructor');
    expect(Error.stackTraceLimit).toBe(before);
    // Anything else still gets its stack.
    expect(frames(new Error('a bug')).length).toBeGreaterThan(0);
  });

  it('Circle errors and gateway refusals: no frames, limit restored, fields intact', () => {
    const before = Error.stackTraceLimit;
    const http = new CircleHttpError({
      call: 'refresh',
      status: 403,
      circleCode: 155105,
      circleMessage: 'invalid',
      requestId: 'r-1',
      retryAfterMs: undefined,
    });
    const refusal = new GatewayRefusal('slow down', {
      code: 'RATE_LIMITED',
      status: 429,
      retryAfter: 2,
    });
    expect(Error.stackTraceLimit).toBe(before);
    expect(frames(http)).toEqual([]);
    expect(frames(refusal)).toEqual([]);
    expect(http).toMatchObject({ status: 403, circleCode: 155105, code: 'CIRCLE_HTTP_ERROR' });
    expect(refusal.extensions).toMatchObject({ code: 'RATE_LIMITED', retryAfter: 2 });
    expect(frames(new Error('a bug')).length).toBeGreaterThan(0);
  });
});
